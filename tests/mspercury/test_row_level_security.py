"""PostgreSQL row-level security: the second tenant wall behind the access helpers.

Every test here forgets the workspace filter on purpose and expects the database to refuse.
"""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from customers.models import Customer
from integrations.models import StripeEvent
from mspercury import tenancy
from mspercury.celery import app as celery_app
from mspercury.models import AuditEvent, Membership
from quotes.models import Quote

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
)


@pytest.fixture
def both(alpha, alice, charlie_ws, charlie):
    Customer.objects.create(workspace=alpha, company_name="Acme GmbH", country="DE")
    Customer.objects.create(workspace=charlie_ws, company_name="Globex AG", country="AT")


def _fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_every_tenant_table_is_fenced_by_a_forced_policy(db):
    """Each table with a workspace_id column has RLS enabled, forced, and a policy."""
    rows = _fetch(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (
            SELECT 1 FROM information_schema.columns col
            WHERE col.table_name = c.relname AND col.column_name = 'workspace_id')
        """
    )
    assert len(rows) >= 30
    unfenced = [
        name for name, enabled, forced, policy in rows if not (enabled and forced and policy)
    ]
    assert unfenced == []


def test_the_app_logs_in_as_a_role_that_owns_nothing_and_cannot_bypass(db):
    """The connection's login role: no superuser, no BYPASSRLS, owner of no table."""
    with tenancy.no_workspace():
        user, superuser, bypass = _fetch(
            "SELECT session_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = session_user"
        )[0]
    assert user == settings.MSPERCURY_DB_APP_ROLE
    assert (superuser, bypass) == (False, False)
    owned = _fetch("SELECT tablename FROM pg_tables WHERE tableowner = %s", [user])
    assert owned == []


def test_an_unscoped_query_sees_only_the_current_workspace(both, alpha, charlie_ws):
    with tenancy.workspace_context(alpha):
        assert list(Customer.objects.values_list("company_name", flat=True)) == ["Acme GmbH"]
    with tenancy.workspace_context(charlie_ws):
        assert list(Customer.objects.values_list("company_name", flat=True)) == ["Globex AG"]
        assert not Customer.objects.filter(workspace=alpha).exists()
        assert not Membership.objects.filter(workspace=alpha).exists()


def test_without_a_workspace_nothing_is_visible(both):
    with tenancy.no_workspace():
        assert Customer.objects.count() == 0
        assert Quote.objects.count() == 0
        assert AuditEvent.objects.count() == 0
        assert StripeEvent.objects.count() == 0


def test_a_user_sees_their_own_memberships_but_nobody_else_s(both, alice, charlie):
    with tenancy.user_context(alice):
        assert list(Membership.objects.values_list("user__email", flat=True)) == [alice.email]


def test_writing_a_row_into_another_workspace_is_refused(both, alpha, charlie_ws):
    refused = pytest.raises(DatabaseError, match="row-level")
    with tenancy.workspace_context(alpha), refused, transaction.atomic():
        Customer.objects.create(workspace=charlie_ws, company_name="Planted", country="AT")
    with tenancy.workspace_context(alpha):
        # Moving our own row into another workspace is refused as well (WITH CHECK).
        with pytest.raises(DatabaseError, match="row-level"), transaction.atomic():
            Customer.objects.filter(workspace=alpha).update(workspace=charlie_ws)
        # And another workspace's rows cannot be touched: nothing matches.
        assert Customer.objects.filter(workspace=charlie_ws).update(company_name="X") == 0
        assert Customer.objects.filter(workspace=charlie_ws).delete()[0] == 0
    assert Customer.objects.filter(company_name="Globex AG").exists()


def test_the_system_role_sees_every_workspace_only_when_asked(both):
    with tenancy.system_context():
        assert Customer.objects.count() == 2


@celery_app.task(name="tests.count_customers")
def count_customers():
    return Customer.objects.count()


def test_a_celery_task_without_a_workspace_context_reads_nothing(both):
    """Tasks start with no workspace, even when the caller had one (or was the system)."""
    assert count_customers.apply().get() == 0


def test_a_lazy_template_response_still_sees_the_request_s_rows(both, client_for, alice, settings):
    """A TemplateResponse renders after the view returns; the workspace is still in force."""
    settings.ROOT_URLCONF = "tests.mspercury.rls_urls"
    html = client_for(alice).get("/unscoped/").content.decode()
    assert html == "Acme GmbH;"


def test_requests_on_one_connection_never_see_each_other_s_workspace(
    both, client_for, alice, charlie, settings
):
    settings.ROOT_URLCONF = "tests.mspercury.rls_urls"
    assert client_for(alice).get("/unscoped/").content.decode() == "Acme GmbH;"
    assert client_for(charlie).get("/unscoped/").content.decode() == "Globex AG;"
    client = client_for(alice)
    client.logout()
    assert client.get("/unscoped/").status_code == 302  # signed out: to login


@pytest.mark.django_db(transaction=True)
def test_a_request_s_settings_end_with_its_transaction(alpha, alice, client_for, settings):
    """SET LOCAL inside the request's transaction: the pooled connection keeps nothing."""
    settings.ROOT_URLCONF = "tests.mspercury.rls_urls"
    seen = client_for(alice).get("/settings-seen/").json()
    assert seen == {
        "role": settings.MSPERCURY_DB_APP_ROLE,
        "workspace_id": str(alpha.pk),
        "user_id": str(alice.pk),
    }
    with tenancy.no_workspace():
        # Afterwards the session holds no workspace ('' after a SET LOCAL, which the
        # policies read as none rather than failing on the cast).
        assert _fetch("SELECT current_setting('app.workspace_id', true)")[0][0] in ("", None)
        assert Customer.objects.count() == 0
    anonymous = client_for(alice)
    anonymous.logout()
    assert anonymous.get("/settings-seen/").json()["workspace_id"] in ("", None)


def test_migrations_ran_as_the_owner_not_the_app(db):
    """The RLS migration is applied (policies exist) though the app itself may not migrate."""
    with tenancy.system_context():
        assert MigrationRecorder.Migration.objects.filter(
            app="mspercury", name="0002_row_level_security"
        ).exists()
    with tenancy.no_workspace(), pytest.raises(DatabaseError), transaction.atomic():
        _fetch("CREATE TABLE app_may_not_create (id int)")


def test_the_deployment_check_passes_for_the_app_role(db):
    from mspercury.checks import check_app_role

    with tenancy.no_workspace():
        assert check_app_role(databases=["default"]) == []


@pytest.mark.parametrize(
    ("superuser", "bypass", "owned", "expected"),
    [
        (False, False, 0, []),
        (True, False, 0, ["superuser"]),
        (False, True, 0, ["BYPASSRLS"]),
        (False, False, 12, ["owns 12 tables"]),
        (True, True, 3, ["superuser", "BYPASSRLS", "owns 3 tables"]),
    ],
)
def test_the_deployment_check_names_each_wrong_login(superuser, bypass, owned, expected):
    from mspercury.checks import role_problems

    problems = role_problems("mspercury", superuser, bypass, owned)
    assert len(problems) == len(expected)
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem


@pytest.mark.django_db(transaction=True)
def test_a_view_that_fails_after_writing_leaves_nothing_behind(alpha, alice, client_for, settings):
    """The view's exception becomes a 500 answer inside the request's transaction: its writes
    are rolled back, not committed."""
    settings.ROOT_URLCONF = "tests.mspercury.rls_urls"
    client = client_for(alice)
    client.raise_request_exception = False
    assert client.get("/write-then-fail/").status_code == 500
    with tenancy.system_context():
        assert not Customer.objects.filter(company_name="Half-written GmbH").exists()
