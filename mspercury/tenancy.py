"""Which tenant the code runs for: the second wall behind the access helpers.

The current tenancy lives in a context variable. On PostgreSQL the database backend
(``mspercury.db``) hands it to the server before each query — the database role and the
``app.workspace_id`` / ``app.user_id`` settings that the row-level security policies read — so a
query that forgets its workspace filter still sees only the current workspace's rows.

- ``workspace_context(ws)``: the app role, one workspace (requests, tasks, commands).
- ``no_workspace()``: the app role and no workspace, so tenant tables read as empty (the start
  of every request and Celery task, anonymous pages).
- ``user_context(user)``: no workspace, but the user's own memberships (the switcher).
- ``system_context()``: the explicit cross-tenant role (webhook intake before its workspace
  is known, token look-ups of public pages, reconciliation's list of connections, key rotation).

Outside any of these (migrations, the shell) the connection keeps its login role untouched.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

APP = "app"
SYSTEM = "system"


@dataclass(frozen=True)
class Tenancy:
    role: str  # APP or SYSTEM
    workspace_id: int | None = None
    user_id: int | None = None


_current: ContextVar[Tenancy | None] = ContextVar("mspercury_tenancy", default=None)


def current() -> Tenancy | None:
    """The tenancy in force, or None when nobody chose one (the login role as it is)."""
    return _current.get()


def current_workspace_id() -> int | None:
    tenancy = _current.get()
    return tenancy.workspace_id if tenancy else None


@contextmanager
def _entered(tenancy: Tenancy):
    token = _current.set(tenancy)
    try:
        yield tenancy
    finally:
        _current.reset(token)


def _pk(obj) -> int | None:
    if obj is None:
        return None
    return int(getattr(obj, "pk", obj))


def workspace_context(workspace, user=None):
    """Run as the app role for one workspace (a Workspace or its primary key)."""
    if workspace is None:
        raise ValueError("workspace_context needs a workspace; use no_workspace() for none")
    return _entered(Tenancy(APP, _pk(workspace), _pk(user)))


def no_workspace():
    return _entered(Tenancy(APP))


def user_context(user):
    return _entered(Tenancy(APP, None, _pk(user)))


def system_context():
    """Cross-tenant access. Keep the block small and say in a comment why it must be."""
    return _entered(Tenancy(SYSTEM))
