from mspercury.models import Membership

SESSION_WORKSPACE_KEY = "mspercury_workspace"


def current_membership(request):
    """The signed-in user's membership in the workspace they work in now, or None."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("workspace").filter(user=user)
    wanted = request.session.get(SESSION_WORKSPACE_KEY)
    if wanted:
        membership = memberships.filter(workspace__public_id=wanted).first()
        if membership:
            return membership
    if user.last_workspace_id:
        membership = memberships.filter(workspace_id=user.last_workspace_id).first()
        if membership:
            return membership
    return memberships.order_by("created_at").first()


class WorkspaceMiddleware:
    """Attach ``request.membership`` and ``request.workspace`` (the active tenant)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = current_membership(request)
        request.workspace = request.membership.workspace if request.membership else None
        return self.get_response(request)
