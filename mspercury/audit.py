from mspercury.models import AuditEvent


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record(request_or_none, workspace, action: str, summary: str = "", actor=None, **details):
    """Write one audit event. Never pass secrets in ``details``."""
    if request_or_none is not None and actor is None and request_or_none.user.is_authenticated:
        actor = request_or_none.user
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        action=action,
        summary=summary[:300],
        details=details,
        ip_address=client_ip(request_or_none) if request_or_none is not None else None,
    )
