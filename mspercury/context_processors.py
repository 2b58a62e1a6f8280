from django.utils.functional import SimpleLazyObject


def _unread(request):
    from mspercury.models import Notification

    if not getattr(request, "workspace", None) or not request.user.is_authenticated:
        return 0
    return (
        Notification.visible_to(request.workspace, request.user)
        .filter(resolved_at__isnull=True)
        .exclude(read_by=request.user)
        .count()
    )


def _memberships(request):
    """The user's workspaces for the switcher, in one query however many there are."""
    if not request.user.is_authenticated:
        return []
    return list(request.user.memberships.select_related("workspace"))


def workspace(request):
    return {
        "membership": getattr(request, "membership", None),
        "workspace": getattr(request, "workspace", None),
        "my_memberships": SimpleLazyObject(lambda: _memberships(request)),
        # Counted only when a template shows it.
        "unread_notifications": SimpleLazyObject(lambda: _unread(request)),
    }
