"""Django's PostgreSQL backend, plus the tenancy that row-level security reads.

Before a query the backend makes the session's role and ``app.workspace_id`` / ``app.user_id``
match ``mspercury.tenancy.current()``: ``SET LOCAL`` semantics inside a transaction (so a
request's settings end with its transaction), session settings in autocommit. What it applied
is remembered per connection and forgotten on commit, rollback and savepoint rollback, after
which PostgreSQL may have restored older values; so an out-of-date setting is never trusted.
"""

from django.conf import settings
from django.db.backends.postgresql import base as postgresql
from psycopg.pq import TransactionStatus

from mspercury import tenancy

_UNKNOWN = object()
_LOGIN = ("none", "", "")  # the login role itself, no workspace, no user

_APPLY_SQL = (
    "SELECT set_config('role', %s, %s), set_config('app.workspace_id', %s, %s), "
    "set_config('app.user_id', %s, %s)"
)


def _wanted(current: tenancy.Tenancy | None) -> tuple[str, str, str]:
    if current is None:
        return _LOGIN
    role = settings.MSPERCURY_DB_SYSTEM_ROLE if current.role == tenancy.SYSTEM else None
    role = role or settings.MSPERCURY_DB_APP_ROLE
    return (
        role,
        "" if current.workspace_id is None else str(current.workspace_id),
        "" if current.user_id is None else str(current.user_id),
    )


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tenancy_applied = _UNKNOWN

    def init_connection_state(self):
        super().init_connection_state()
        self._tenancy_applied = _LOGIN

    def create_cursor(self, name=None):
        self._apply_tenancy()
        return super().create_cursor(name)

    def _apply_tenancy(self) -> None:
        wanted = _wanted(tenancy.current())
        if wanted == self._tenancy_applied:
            return
        if self.connection.info.transaction_status == TransactionStatus.INERROR:
            return  # only a rollback can run now; it restores older settings anyway
        local = not self.connection.autocommit
        role, workspace_id, user_id = wanted
        with self.connection.cursor() as cursor:
            cursor.execute(_APPLY_SQL, [role, local, workspace_id, local, user_id, local])
        self._tenancy_applied = wanted

    def reset_tenancy(self) -> None:
        """Put an idle connection back to the login role with no workspace and no user, at
        session level: a worker does this after each task on the connection it keeps, so the
        next task starts from nothing even before its first query applies its own tenancy."""
        if self.connection is None or self._tenancy_applied == _LOGIN or self.in_atomic_block:
            return
        if self.connection.info.transaction_status != TransactionStatus.IDLE:
            return  # inside a transaction: close_old_connections closes such a connection
        role, workspace_id, user_id = _LOGIN
        with self.connection.cursor() as cursor:
            cursor.execute(_APPLY_SQL, [role, False, workspace_id, False, user_id, False])
        self._tenancy_applied = _LOGIN

    def _forget_tenancy(self) -> None:
        self._tenancy_applied = _UNKNOWN

    def _commit(self):
        self._forget_tenancy()
        return super()._commit()

    def _rollback(self):
        self._forget_tenancy()
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._forget_tenancy()

    def _close(self):
        self._forget_tenancy()
        return super()._close()
