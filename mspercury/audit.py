import ipaddress

from django.conf import settings
from django.utils import translation

from mspercury.models import AuditEvent
from mspercury.texts import Text, stored


def client_ip(request) -> str | None:
    """The client's address; behind trusted proxies, the one the outermost of them saw.

    Only the entries our own proxies appended to X-Forwarded-For are trusted (counted from the
    right), so a client cannot pick its address to dodge rate limits.
    """
    proxies = getattr(settings, "MSPERCURY_TRUSTED_PROXIES", 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def record(
    request_or_none, workspace, action: str, summary: Text | str = "", actor=None, **details
):
    """Write one audit event. Never pass secrets in ``details``. A ``summary`` written as a
    text is shown in each reader's language (workers and customers' requests write it too)."""
    if request_or_none is not None and actor is None and request_or_none.user.is_authenticated:
        actor = request_or_none.user
    with translation.override(settings.LANGUAGE_CODE):
        words = str(summary)[:300]
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        action=action,
        summary=words,
        summary_text=stored(summary),
        details=details,
        ip_address=client_ip(request_or_none) if request_or_none is not None else None,
    )
