"""Deployment checks of the database roles: ``manage.py check --deploy --database default``.

Not run by ``migrate``, which rightly logs in as the owner.
"""

from django.core.checks import Error, Tags, register

from mspercury import dbroles


def role_problems(login: str, superuser: bool, bypass: bool, owned_tables: int) -> list[str]:
    """What is wrong with the app's login role for row-level security (pure)."""
    problems = []
    if superuser:
        problems.append(f"the app logs in as {login}, a superuser: every policy is ignored")
    if bypass:
        problems.append(f"the app's login role {login} has BYPASSRLS")
    if owned_tables:
        problems.append(
            f"the app's login role {login} owns {owned_tables} tables and could switch their "
            "policies off; log in as the app role and migrate as the owner"
        )
    return problems


@register(Tags.database, deploy=True)
def check_app_role(app_configs=None, databases=None, **kwargs):
    from django.db import connections

    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT session_user, rolsuper, rolbypassrls, "
                "(SELECT count(*) FROM pg_tables WHERE tableowner = session_user "
                " AND schemaname = 'public') "
                "FROM pg_roles WHERE rolname = session_user"
            )
            login, superuser, bypass, owned = cursor.fetchone()
            if not dbroles.roles_exist(cursor):
                errors.append(
                    Error(
                        "The row-level security roles do not exist.",
                        hint="Run `python manage.py db_roles --create` as a superuser.",
                        id="mspercury.E101",
                    )
                )
        errors.extend(
            Error(problem, hint="See README, 'Database roles'.", id="mspercury.E100")
            for problem in role_problems(login, superuser, bypass, owned)
        )
    return errors
