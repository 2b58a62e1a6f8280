"""The database roles behind row-level security (PostgreSQL).

- the owner (whoever runs ``migrate``) owns the tables; the app never logs in as it;
- ``MSPERCURY_DB_APP_ROLE`` logs in for the web app, the workers and commands: data rights
  only, no ownership, no BYPASSRLS, every tenant table fenced by its policy;
- ``MSPERCURY_DB_SYSTEM_ROLE`` cannot log in and bypasses RLS; the app role may switch to it
  (``SET ROLE``), which only ``mspercury.tenancy.system_context()`` does, for cross-tenant work.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DATA_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"


def role_names() -> tuple[str, str]:
    names = (settings.MSPERCURY_DB_APP_ROLE, settings.MSPERCURY_DB_SYSTEM_ROLE)
    for name in names:
        if not _ROLE_NAME.match(name or ""):
            raise ImproperlyConfigured(f"{name!r} is not a plain PostgreSQL role name")
    return names


def roles_exist(cursor) -> bool:
    app, system = role_names()
    cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)", [app, system])
    return cursor.fetchone()[0] == 2


def create_roles(cursor, app_password: str | None = None) -> list[str]:
    """Create both roles if missing (needs a superuser: only one may grant BYPASSRLS)."""
    app, system = role_names()
    done = []
    cursor.execute("SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s)", [app, system])
    present = {row[0] for row in cursor.fetchall()}
    if system not in present:
        cursor.execute(f'CREATE ROLE "{system}" NOLOGIN BYPASSRLS')
        done.append(f"created {system}")
    if app not in present:
        cursor.execute(f'CREATE ROLE "{app}" LOGIN NOINHERIT NOBYPASSRLS NOSUPERUSER')
        done.append(f"created {app}")
    if app_password:
        cursor.execute(f'ALTER ROLE "{app}" PASSWORD %s', [app_password])
    cursor.execute(f'GRANT "{system}" TO "{app}"')
    return done


def grant_privileges(cursor) -> None:
    """Data rights on every table and sequence, now and for tables the owner creates later."""
    app, system = role_names()
    both = f'"{app}", "{system}"'
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {both}")
    cursor.execute(f"GRANT {DATA_RIGHTS} ON ALL TABLES IN SCHEMA public TO {both}")
    cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {both}")
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DATA_RIGHTS} ON TABLES TO {both}"
    )
    cursor.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {both}"
    )


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: new tables get the roles' rights at once (when the roles exist)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if roles_exist(cursor):
            grant_privileges(cursor)
