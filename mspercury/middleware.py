from contextlib import contextmanager, nullcontext

from django.db import connection, transaction

from mspercury import tenancy
from mspercury.localtime import workspace_time
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
    """Attach ``request.membership`` and ``request.workspace`` (the active tenant), and run the
    rest of the request — the view and the rendering of its template — in one transaction that
    is fenced to that workspace (row-level security reads it through ``mspercury.tenancy``).

    Anonymous and workspace-less requests see no tenant rows at all; public pages resolve
    their token in ``system_context()`` and then enter the token's workspace. Stripe's webhook
    intake runs without the transaction (``AUTOCOMMIT_PATHS``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        with tenancy.user_context(user):
            request.membership = current_membership(request)
        request.workspace = request.membership.workspace if request.membership else None
        if request.workspace is not None:
            scope = tenancy.workspace_context(request.workspace, user)
        else:
            scope = tenancy.user_context(user)
        with scope, _request_transaction(request) as in_transaction:
            response = self.get_response(request)
            if in_transaction and response.status_code >= 500:
                # Django turns a view's exception into this 500 answer before it reaches us:
                # without this, the writes the view made before failing would be committed.
                transaction.set_rollback(True)
            return response


class WorkspaceTimeMiddleware:
    """Render the request's times in its workspace's zone (DESIGN.md "Local time, language,
    sender"): ``|date``, ``|local_stamp`` and ``timezone.localtime`` show local time. Public
    pages (share, portal) resolve their workspace later and enter its zone themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        workspace = getattr(request, "workspace", None)
        if workspace is None:
            return self.get_response(request)
        with workspace_time(workspace):
            return self.get_response(request)


# Stripe's webhook intake stores a delivery in one statement, which commits on its own: no
# BEGIN and COMMIT round trips on the busiest anonymous path. Its tenancy is then a session
# setting, which the backend (mspercury.db) remembers per connection and sets anew before any
# query that runs for another tenancy.
AUTOCOMMIT_PATHS = ("/webhooks/",)


def _request_transaction(request):
    """PostgreSQL: one transaction per request, so its tenancy is SET LOCAL and ends with it.
    No savepoint: in production this is the outermost block; it only nests in tests. The
    SQLite demo has no row-level security and keeps Django's autocommit."""
    if connection.vendor != "postgresql" or request.path_info.startswith(AUTOCOMMIT_PATHS):
        return nullcontext(False)
    return _atomic_request()


@contextmanager
def _atomic_request():
    with transaction.atomic(savepoint=False):
        yield True
