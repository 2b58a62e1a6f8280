"""Shared fixtures: three people and two workspaces, as in healthchecks' BaseTestCase.

alice owns workspace "Alpha IT", bob is a member of it, charlie owns "Charlie Systems" and must
never see anything of Alpha's. Then the worlds many folders share, built by tests/factories.py:
the French business customer, the mixed quote, Alpha connected to the Stripe emulator.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from integrations.webhooks import endpoints
from mspercury import dbroles, ratelimit, tenancy
from mspercury.models import Role
from tests import factories
from tests.factories import PASSWORD  # noqa: F401  (the tests sign in with it)

pytest_plugins = [
    "tests.stripe_emulator_fixtures",
    "tests.vies_emulator_fixtures",
    "tests.provider_emulator_fixtures",
    "tests.mail_server",
]


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
    # What processes keep in memory beside the cache: rate-limit shares, webhook endpoints.
    ratelimit.forget_shares()
    endpoints.forget()
    yield
    translation.deactivate()  # a request's language never leaks into the next test
    _allow_joining_tasks()


def _allow_joining_tasks() -> None:
    """Celery marks "inside a task" in one process-wide flag (celery._state), set and restored
    around each eager task: two threads running eager tasks at once (the concurrent billing
    runs, each sending its invoice emails) can restore it in the wrong order and leave it on,
    and every later ``.delay().get()`` in the session fails with "Never call result.get()
    within a task!". No test starts inside a task."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def alpha(db):
    return factories.workspace("Alpha IT", "DE")


@pytest.fixture
def charlie_ws(db):
    return factories.workspace("Charlie Systems", "AT")


@pytest.fixture
def alice(alpha):
    return factories.member(alpha, "alice@example.org", "Alice Owner", Role.OWNER)


@pytest.fixture
def bob(alpha):
    return factories.member(alpha, "bob@example.org", "Bob Member", Role.MEMBER)


@pytest.fixture
def dana(alpha):
    """An admin (not owner) of Alpha."""
    return factories.member(alpha, "dana@example.org", "Dana Admin", Role.ADMIN)


@pytest.fixture
def charlie(charlie_ws):
    return factories.member(charlie_ws, "charlie@example.org", "Charlie Outsider", Role.OWNER)


@pytest.fixture
def client_for(client):
    """Log a user in (with a fresh two-factor verification) and return the test client."""

    def _login(user, *, recent_2fa=True):
        return factories.sign_in(client, user, recent_2fa=recent_2fa)

    return _login


@pytest.fixture
def stripe_api(settings, stripe_emulator):
    """Point the product's Stripe seam at the emulator (a deployment setting)."""
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    return stripe_emulator


@pytest.fixture
def fast_push(settings):
    """Our executor retries quickly and the SDK does not add its own sleeps."""
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0


@pytest.fixture
def connection(alpha, stripe_api, fast_push):
    """Alpha connected to the emulator with its seeded restricted key, with a German MSP's
    address and VAT ID (a test that moved Alpha abroad first keeps its country)."""
    factories.german_msp(alpha, country=alpha.country)
    return factories.verified(factories.stripe_connection(alpha))


@pytest.fixture
def wire(live_server, settings, stripe_api, fast_push, client):
    """Connect a user's workspace on the settings page with a new key of ``permissions``: its
    webhook endpoint is registered, and the emulator delivers Stripe's events to the live server."""
    settings.MSPERCURY_PUBLIC_URL = live_server.url

    def _wire(user, permissions=factories.WEBHOOK_PERMISSIONS):
        key = stripe_api.add_key(permissions=permissions, account=factories.EMULATOR_ACCOUNT)
        return factories.connect_through_settings(client, user, key["key"])

    return _wire


@pytest.fixture
def fr_customer(alpha):
    return factories.customer(alpha, "FR")


@pytest.fixture
def mixed_quote(alpha, alice, fr_customer):
    return factories.mixed_quote(alpha, fr_customer, alice)


@pytest.fixture
def vat_key(stripe_api):
    """A restricted key that may create tax rates: MSPercury's VAT."""
    return stripe_api.add_key(
        permissions=factories.VAT_PERMISSIONS,
        account=factories.EMULATOR_ACCOUNT,
        name="MSPercury VAT",
    )["key"]


@pytest.fixture
def vat_workspace(alpha, vat_key, fast_push):
    """Alpha as a German MSP whose VAT MSPercury decides on Stripe's invoices."""
    factories.vat_connection(factories.german_msp(alpha), vat_key)
    return alpha
