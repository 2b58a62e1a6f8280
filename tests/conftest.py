"""Shared fixtures: three people and two workspaces, as in healthchecks' BaseTestCase.

alice owns workspace "Alpha IT", bob is a member of it, charlie owns "Charlie Systems" and must
never see anything of Alpha's.
"""

import pytest
from django.core.cache import cache

from mspercury.models import Membership, Role, User, Workspace

pytest_plugins = ["tests.stripe_emulator_fixtures"]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield


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
