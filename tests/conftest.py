"""Shared fixtures: three people and two workspaces, as in healthchecks' BaseTestCase.

alice owns workspace "Alpha IT", bob is a member of it, charlie owns "Charlie Systems" and must
never see anything of Alpha's.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from mspercury import dbroles, tenancy
from mspercury.models import Membership, Role, User, Workspace

pytest_plugins = [
    "tests.stripe_emulator_fixtures",
    "tests.vies_emulator_fixtures",
    "tests.mail_server",
]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile locale/*/LC_MESSAGES/*.po as scripts/setup.sh does: .mo files are not committed."""
    compiled = []
    for locale_dir in django_settings.LOCALE_PATHS:
        for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            partial = mo.with_name(f".{os.getpid()}.{mo.name}")
            subprocess.run(["msgfmt", "--check-format", "-o", partial, po], check=True)
            os.replace(partial, mo)  # atomic: parallel test runs never read half a file
            compiled.append(mo)
    if compiled:
        translation_file_changed(sender=None, file_path=compiled[0])  # drop stale catalogs


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Migrate as the owner (postgres), then run every test as the app role, as production
    does: row-level security binds all the code under test (see mspercury/tenancy.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    owner = connection.settings_dict["USER"]
    app_role, _system = dbroles.role_names()
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            dbroles.create_roles(cursor)
            dbroles.grant_privileges(cursor)
            # Only tests flush tables between transactional tests (TRUNCATE is not data rights).
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
        connection.close()
        connection.settings_dict["USER"] = app_role
    yield
    with django_db_blocker.unblock():
        connection.close()
    connection.settings_dict["USER"] = owner


@pytest.fixture(autouse=True)
def _tests_set_up_as_system():
    """The test's own set-up and assertions may read every workspace; the code under test
    chooses its tenancy itself (each request, task and public page enters its own)."""
    with tenancy.system_context():
        yield


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    translation.deactivate()  # a request's language never leaks into the next test


@pytest.fixture
def alpha(db):
    return Workspace.objects.create(name="Alpha IT", country="DE")


@pytest.fixture
def charlie_ws(db):
    return Workspace.objects.create(name="Charlie Systems", country="AT")


def _member(email, name, workspace, role):
    user = User.objects.create_user(email, PASSWORD, full_name=name)
    Membership.objects.create(workspace=workspace, user=user, role=role)
    user.last_workspace = workspace
    user.save(update_fields=["last_workspace"])
    return user


@pytest.fixture
def alice(alpha):
    return _member("alice@example.org", "Alice Owner", alpha, Role.OWNER)


@pytest.fixture
def bob(alpha):
    return _member("bob@example.org", "Bob Member", alpha, Role.MEMBER)


@pytest.fixture
def dana(alpha):
    """An admin (not owner) of Alpha."""
    return _member("dana@example.org", "Dana Admin", alpha, Role.ADMIN)


@pytest.fixture
def charlie(charlie_ws):
    return _member("charlie@example.org", "Charlie Outsider", charlie_ws, Role.OWNER)


@pytest.fixture
def client_for(client):
    """Log a user in (with a fresh two-factor verification) and return the test client."""

    def _login(user, *, recent_2fa=True):
        client.force_login(user)
        if recent_2fa:
            import time

            from mspercury.access import SESSION_2FA_AT

            session = client.session
            session[SESSION_2FA_AT] = time.time()
            session.save()
        return client

    return _login
