"""What webhook intake needs of a Stripe connection, found by the endpoint's path token and kept
in this process for a few minutes, so that a delivery usually costs no look-up at all.

A kept entry is never trusted blindly: the statement that stores an event stores it only while
the connection row still has the token, the encrypted secret, the mode and the account the entry
was read with (see ``store.store_delivery``). A rotated secret, a replaced key or a
disconnection therefore takes effect at the next delivery in every process; the entry is then
dropped and read again.
"""

import threading
import time
from dataclasses import dataclass, field

from integrations.models import StripeConnection
from mspercury import tenancy

KEEP_SECONDS = 300
MAX_KEPT = 4096  # connections per process; beyond it the oldest entries make room


@dataclass(frozen=True)
class Endpoint:
    connection_id: int
    workspace_id: int
    workspace_ref: str  # the workspace's public id: the identity our pushes write on objects
    # Never in a repr: tracebacks, error mails and debug pages show local variables.
    token: str = field(repr=False)
    secret: str = field(repr=False)  # decrypted
    # As stored, so the storing statement can tell whether the row changed since.
    secret_encrypted: str
    mode: str
    account_identity: str
    account_id: str
    account_ref: str
    read_at: float

    @property
    def is_live(self) -> bool:
        return self.mode == "live"


_kept: dict[str, Endpoint] = {}
_lock = threading.Lock()


def _clock() -> float:
    return time.monotonic()


FIELDS = (
    "pk",
    "public_id",
    "workspace_id",
    "workspace__public_id",
    "webhook_token",
    "webhook_secret_encrypted",
    "mode",
    "account_identity",
    "account_id",
)


def _read(token: str) -> Endpoint | None:
    # The token is the only thing that names the workspace: look it up across tenants (one
    # SELECT); everything after it runs inside that workspace alone.
    with tenancy.system_context():
        row = StripeConnection.objects.filter(webhook_token=token).values(*FIELDS).first()
    if row is None:
        return None
    # An unsaved instance with the stored columns: the model decrypts the secret (bound to the
    # row's public id) and names the account exactly as everywhere else.
    connection = StripeConnection(
        pk=row["pk"],
        public_id=row["public_id"],
        workspace_id=row["workspace_id"],
        webhook_secret_encrypted=row["webhook_secret_encrypted"],
        mode=row["mode"],
        account_identity=row["account_identity"],
        account_id=row["account_id"],
    )
    return Endpoint(
        connection_id=row["pk"],
        workspace_id=row["workspace_id"],
        workspace_ref=str(row["workspace__public_id"]),
        token=token,
        secret=connection.webhook_secret,
        secret_encrypted=row["webhook_secret_encrypted"],
        mode=row["mode"],
        account_identity=row["account_identity"],
        account_id=row["account_id"],
        account_ref=connection.account_ref,
        read_at=_clock(),
    )


def find(token: str, *, fresh: bool = False) -> Endpoint | None:
    """The endpoint of ``token`` (None: no connection has it); ``fresh`` reads the row again."""
    now = _clock()
    endpoint = None if fresh else _kept.get(token)
    if endpoint is not None and now - endpoint.read_at < KEEP_SECONDS:
        return endpoint
    endpoint = _read(token)
    with _lock:
        if endpoint is None:
            _kept.pop(token, None)
            return None
        if len(_kept) >= MAX_KEPT:
            for stale in sorted(_kept, key=lambda t: _kept[t].read_at)[: MAX_KEPT // 4]:
                del _kept[stale]
        _kept[token] = endpoint
    return endpoint


def forget(token: str | None = None) -> None:
    """Drop the kept entry of ``token`` (all entries without one)."""
    with _lock:
        if token is None:
            _kept.clear()
        else:
            _kept.pop(token, None)
