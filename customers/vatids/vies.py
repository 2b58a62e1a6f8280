"""What a VIES check answers, in MSPercury's words: the port between customers' VAT IDs and the
VIES client at the edge (integrations.vies.client, named by the MSPERCURY_VIES_CLIENT setting).
Pure, but ``check_vat``, which hands the call to that client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.utils.module_loading import import_string


class Verdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNCONFIRMED = "unconfirmed"


# VIES's codes that go away by themselves: retry them with backoff.
TRANSIENT = frozenset(
    {
        "SERVICE_UNAVAILABLE",
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ_TIME",
        "MS_MAX_CONCURRENT_REQ",
        "MS_MAX_CONCURRENT_REQ_TIME",
        # Ours, for answers that never arrived or made no sense.
        "NETWORK_ERROR",
        "BAD_RESPONSE",
    }
)
# Codes a retry will not fix: the input or the requester needs fixing, or VIES blocks us.
PERMANENT = frozenset({"INVALID_INPUT", "INVALID_REQUESTER_INFO", "VAT_BLOCKED", "IP_BLOCKED"})


@dataclass(frozen=True)
class ViesResult:
    verdict: Verdict
    country: str
    number: str
    consultation_number: str = ""
    name: str = ""
    address: str = ""
    request_date: datetime | None = None
    error_code: str = ""
    error_message: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        """VIES gave a verdict (valid or invalid), not an error."""
        return self.verdict != Verdict.UNCONFIRMED

    @property
    def retryable(self) -> bool:
        """Unconfirmed for a reason that goes away by itself (unknown codes included)."""
        return self.verdict == Verdict.UNCONFIRMED and self.error_code not in PERMANENT


def split_vat_id(vat_id: str) -> tuple[str, str]:
    """ "DE136695976" → ("DE", "136695976"); Greek IDs keep VIES's EL."""
    compact = "".join(ch for ch in (vat_id or "") if ch.isalnum()).upper()
    country = compact[:2]
    return ("EL" if country == "GR" else country), compact[2:]


def check_vat(country: str, number: str, **kwargs) -> ViesResult:
    """Ask VIES through the configured client (never raises for VIES's or the network's
    failures: see integrations.vies.client)."""
    client = import_string(settings.MSPERCURY_VIES_CLIENT)
    return client(country, number, **kwargs)
