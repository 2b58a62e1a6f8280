"""Connect, verify, replace and disconnect a workspace's Stripe key; register its webhook.

Stripe calls happen before any write; a failure leaves the stored connection as it was. Keys
never reach the audit log: only the masked prefix and last four characters.
"""

import contextlib
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.models import StripeConnection, StripeObjectMap, WebhookStatus
from integrations.stripe.account import (
    GRANTED,
    READABLE,
    UNKNOWN,
    KeyFormatError,
    KeyInfo,
    parse_key,
    sees_customer,
    verify_key,
)
from integrations.stripe.errors import FailureKind, StripeFailure
from integrations.stripe.permissions import WRITE_PROBES, WRITES_KEY, probe_writes
from integrations.stripe.webhooks import (
    delete_endpoint,
    list_endpoint_workspaces,
    register_endpoint,
)
from mspercury import audit
from mspercury.tenancy import system_context
from mspercury.texts import Text, as_text


class ConnectionError_(Exception):
    """A connect/replace/test that failed; ``message`` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    connection: StripeConnection
    warnings: list[str] = field(default_factory=list)


def _check_key(request, workspace, raw_key: str, action: str) -> tuple[KeyInfo, object]:
    try:
        info = parse_key(raw_key)
    except KeyFormatError as exc:
        audit.record(request, workspace, f"stripe.{action}_failed", exc.text, reason="key_format")
        raise ConnectionError_(str(exc)) from None
    try:
        verification = verify_key(info)
    except StripeFailure as failure:
        audit.record(
            request,
            workspace,
            f"stripe.{action}_failed",
            Text(
                gettext_noop("Stripe rejected key %(key)s: %(message)s"),
                key=info.masked,
                message=failure.message,
            ),
            key=info.masked,
            kind=str(failure.kind),
            request_id=failure.request_id,
        )
        raise ConnectionError_(failure.message) from None
    return info, verification


def _apply(connection: StripeConnection, info: KeyInfo, verification) -> None:
    connection.api_key = info.key
    connection.key_prefix = info.prefix
    connection.key_last4 = info.last4
    connection.key_kind = info.kind
    connection.mode = info.mode
    connection.account_id = verification.account_id
    connection.account_name = verification.account_name
    connection.account_details_available = verification.account_details_available
    readable = [
        scope
        for scope in WRITE_PROBES
        if verification.permissions.get(scope) in (GRANTED, READABLE, UNKNOWN)
    ]
    connection.permissions = {
        **verification.permissions,
        WRITES_KEY: probe_writes(info.key, readable),
    }
    connection.last_verified_at = timezone.now()
    connection.last_check_error = ""


def _register_webhook(connection: StripeConnection) -> None:
    """Create our endpoint at Stripe; on failure record why (the connection still works)."""
    try:
        endpoint = register_endpoint(
            connection.api_key, connection.webhook_url(), str(connection.workspace.public_id)
        )
    except StripeFailure as failure:
        connection.webhook_status = WebhookStatus.FAILED
        connection.webhook_endpoint_id = ""
        connection.webhook_secret = ""
        connection.webhook_error = failure.message
        connection.webhook_needs_manual = failure.kind == FailureKind.PERMISSION
        return
    connection.webhook_status = WebhookStatus.REGISTERED
    connection.webhook_endpoint_id = endpoint.endpoint_id
    connection.webhook_secret = endpoint.secret
    connection.webhook_error = ""
    connection.webhook_needs_manual = False
    connection.webhook_registered_at = timezone.now()


def do_connect(request, workspace, raw_key: str) -> Outcome:
    if StripeConnection.objects.filter(workspace=workspace).exists():
        raise ConnectionError_(_("Stripe is already connected; use “Replace key”."))
    info, verification = _check_key(request, workspace, raw_key, "connect")
    connection = StripeConnection(workspace=workspace, connected_by=request.user)
    _apply(connection, info, verification)
    connection.account_identity = (
        _earlier_identity(workspace, info, verification)
        or verification.account_id
        or f"conn:{connection.public_id}"
    )
    _register_webhook(connection)
    try:
        with transaction.atomic():
            connection.save()
            audit.record(
                request,
                workspace,
                "stripe.connected",
                Text(
                    gettext_noop("Stripe connected (%(mode)s) with key %(key)s"),
                    mode=info.mode,
                    key=info.masked,
                ),
                key=info.masked,
                mode=info.mode,
                account=verification.account_id,
                webhook=connection.webhook_status,
            )
    except IntegrityError:
        raise ConnectionError_(_("Stripe was connected meanwhile by someone else.")) from None
    warnings = []
    if info.kind == "secret":
        warnings.append(_secret_key_warning())
    return Outcome(connection, warnings)


def do_test_connection(request, connection: StripeConnection) -> None:
    info = parse_key(connection.api_key)
    try:
        verification = verify_key(info)
    except StripeFailure as failure:
        connection.last_check_error = failure.message
        connection.save(update_fields=["last_check_error"])
        audit.record(
            request,
            connection.workspace,
            "stripe.test_failed",
            Text(gettext_noop("Connection test failed: %(message)s"), message=failure.message),
            key=info.masked,
        )
        raise ConnectionError_(failure.message) from None
    _apply(connection, info, verification)
    connection.save()


def do_replace_key(request, connection: StripeConnection, raw_key: str) -> Outcome:
    """Verify the new key first; only then replace the old one. A failure changes nothing."""
    workspace = connection.workspace
    info, verification = _check_key(request, workspace, raw_key, "replace")
    old_account, old_mode, old_masked = (
        connection.account_id,
        connection.mode,
        connection.masked_key,
    )
    old_key, old_endpoint = connection.api_key, connection.webhook_endpoint_id
    same = _same_account(connection, old_account, old_mode, info, verification)
    _apply(connection, info, verification)
    if same is False:
        # Another account or mode: our stored Stripe ids stay with the old one.
        connection.account_identity = (
            _earlier_identity(workspace, info, verification, skip=connection.account_ref)
            or verification.account_id
            or f"conn:{uuid.uuid4()}"
        )
    warnings = []
    # Without proof of the same account, warn and move the webhook: nothing is assumed shared.
    switched = same is not True
    if switched:
        warnings.append(
            _(
                "The new key belongs to another Stripe account or mode. Stripe ids (customers, "
                "products, subscriptions) exist per account and mode: nothing created with the old "
                "key is reused; pushes create new objects in this account."
            )
        )
        if old_endpoint:
            # The old key may already be revoked; then its endpoint is left for the owner.
            with contextlib.suppress(StripeFailure):
                delete_endpoint(old_key, old_endpoint)
        _register_webhook(connection)
    with transaction.atomic():
        connection.save()
        audit.record(
            request,
            workspace,
            "stripe.key_replaced",
            Text(
                gettext_noop("Stripe key %(old)s replaced by %(new)s"),
                old=old_masked,
                new=info.masked,
            ),
            old_key=old_masked,
            key=info.masked,
            mode=info.mode,
            account=verification.account_id,
            switched_account=bool(switched),
        )
    if info.kind == "secret":
        warnings.append(_secret_key_warning())
    return Outcome(connection, warnings)


def _same_account(connection, old_account, old_mode, info, verification) -> bool | None:
    """Whether the new key reaches the account our stored ids live in (None: no way to tell).

    Account ids decide when both are known; otherwise a customer we created there must be
    visible to the new key. Keys of the same account keep every stored id, so nothing that was
    pushed can be pushed twice."""
    if old_mode != info.mode:
        return False
    if old_account and verification.account_id:
        return old_account == verification.account_id
    ours = (
        StripeObjectMap.objects.filter(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            mode=old_mode,
            kind=StripeObjectMap.Kind.CUSTOMER,
        )
        .values_list("stripe_id", flat=True)
        .first()
    )
    return sees_customer(info.key, ours) if ours else None


def _earlier_identity(workspace, info, verification, skip: str = "") -> str | None:
    """The identity our ids in this key's account were stored under by an earlier connection
    of this workspace (disconnected, or replaced), so reconnecting never pushes anything twice.
    """
    candidates: dict[str, str] = {}
    for ref, stripe_id in (
        StripeObjectMap.objects.filter(
            workspace=workspace, mode=info.mode, kind=StripeObjectMap.Kind.CUSTOMER
        )
        .exclude(account_ref=skip)
        .order_by("-updated_at")
        .values_list("account_ref", "stripe_id")
    ):
        candidates.setdefault(ref, stripe_id)
    if verification.account_id in candidates:
        return verification.account_id
    for ref, stripe_id in list(candidates.items())[:3]:
        if verification.account_id and ref.startswith("acct_"):
            continue  # a known account, and not this one
        if sees_customer(info.key, stripe_id):
            return ref
    return None


def do_disconnect(request, connection: StripeConnection) -> None:
    workspace = connection.workspace
    masked = connection.masked_key
    if connection.webhook_endpoint_id:
        # Disconnecting must work even with a revoked key.
        with contextlib.suppress(StripeFailure):
            delete_endpoint(connection.api_key, connection.webhook_endpoint_id)
    with transaction.atomic():
        connection.delete()
        audit.record(
            request,
            workspace,
            "stripe.disconnected",
            Text(gettext_noop("Stripe key %(key)s removed"), key=masked),
            key=masked,
        )


def do_retry_webhook(request, connection: StripeConnection) -> None:
    """Delete our own endpoint (by its id, never another's) and register a fresh one."""
    if connection.webhook_endpoint_id:
        try:
            delete_endpoint(connection.api_key, connection.webhook_endpoint_id)
        except StripeFailure as failure:
            if failure.kind != FailureKind.PERMISSION:
                raise ConnectionError_(failure.message) from None
    _register_webhook(connection)
    connection.save()
    audit.record(
        request,
        connection.workspace,
        "stripe.webhook_reconfigured",
        Text(
            gettext_noop("Webhook endpoint re-registered: %(status)s"),
            status=as_text(connection.get_webhook_status_display()),
        ),
        status=connection.webhook_status,
        error=connection.webhook_error,
    )
    if connection.webhook_status != WebhookStatus.REGISTERED:
        raise ConnectionError_(connection.webhook_error)


def do_save_manual_webhook_secret(request, connection: StripeConnection, secret: str) -> None:
    secret = secret.strip()
    if not secret.startswith("whsec_") or len(secret) < 16:
        raise ConnectionError_(
            _(
                "A webhook signing secret starts with whsec_; copy it from the "
                "endpoint's page in the Stripe Dashboard."
            )
        )
    connection.webhook_secret = secret
    connection.webhook_status = WebhookStatus.MANUAL
    connection.webhook_error = ""
    connection.webhook_needs_manual = False
    connection.webhook_registered_at = timezone.now()
    connection.save()
    audit.record(
        request,
        connection.workspace,
        "stripe.webhook_secret_saved",
        Text(gettext_noop("Webhook signing secret entered by hand")),
    )


def _secret_key_warning() -> str:
    return _(
        "You connected a full secret key (sk_…). It can do everything in your Stripe account, "
        "including refunds and payouts. We recommend a restricted key (rk_…) with only the "
        "permissions listed here: if this workspace were ever compromised, a restricted key "
        "limits the damage to creating invoices."
    )


def other_workspaces_on_account(connection: StripeConnection) -> int:
    """How many other workspaces use the same Stripe account and mode (a count, no names).

    Known account ids decide; a key that may not read the account still sees the webhook
    endpoints other workspaces registered there (their metadata names their workspace)."""
    keys = {connection.account_ref}
    if connection.account_id:
        keys.add(connection.account_id)
    endpoint_marks = _other_endpoint_marks(connection)
    # The only cross-tenant read here: how many, never which.
    with system_context():
        by_account = set(
            StripeConnection.objects.filter(mode=connection.mode)
            .filter(Q(account_identity__in=keys) | Q(account_id__in=keys))
            .exclude(workspace_id=connection.workspace_id)
            .values_list("workspace__public_id", flat=True)
        )
        by_endpoint = set(
            StripeConnection.objects.filter(
                mode=connection.mode, workspace__public_id__in=endpoint_marks
            )
            .exclude(workspace_id=connection.workspace_id)
            .values_list("workspace__public_id", flat=True)
        )
    return len(by_account | by_endpoint)


def _other_endpoint_marks(connection: StripeConnection) -> set[str]:
    """Workspace ids on the account's webhook endpoints (cached briefly; none if unreadable)."""
    if connection.account_id:
        return set()
    cache_key = f"stripe-endpoint-marks:{connection.public_id}:{connection.key_last4}"
    marks = cache.get(cache_key)
    if marks is None:
        try:
            marks = sorted(list_endpoint_workspaces(connection.api_key))
        except StripeFailure:
            marks = []
        cache.set(cache_key, marks, 300)
    ours = str(connection.workspace.public_id)
    return {mark for mark in marks if mark != ours and _is_uuid(mark)}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
