"""billing 0003: existing mirror rows and events go to the workspace they belong to."""

from importlib import import_module
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from billing.models import MrrMovement, StripeInvoice, StripeSubscription
from customers.models import Customer
from integrations.models import StripeEvent
from quotes import actions

migration = import_module("billing.migrations.0003_attribute_mirror_rows")


def _run():
    migration.attribute(apps, SimpleNamespace(connection=connection))


def _invoice(workspace, stripe_id, **fields):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_shared",
        stripe_id=stripe_id,
        status="open",
        currency="EUR",
        **fields,
    )


def _event(workspace, event_id, mark=None):
    metadata = {"mspercury_workspace": mark} if mark else {}
    return StripeEvent.objects.create(
        workspace=workspace,
        stripe_account="acct_shared",
        event_id=event_id,
        event_type="invoice.paid",
        payload={"id": event_id, "data": {"object": {"id": "in_x", "metadata": metadata}}},
    )


def test_it_moves_rows_to_the_workspace_of_their_quote_or_customer(alpha, charlie_ws):
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex", country="AT")
    quote = actions.do_create_quote(charlie_ws, globex)
    by_quote = _invoice(alpha, "in_1", quote=quote)
    by_customer = _invoice(alpha, "in_2", customer=globex)
    subscription = StripeSubscription.objects.create(
        workspace=alpha,
        account_ref="acct_shared",
        stripe_id="sub_1",
        status="active",
        quote=quote,
    )
    movement = MrrMovement.objects.create(
        workspace=alpha,
        subscription=subscription,
        kind="new",
        month="2026-12-01",
        currency="EUR",
        amount=10,
        happened_at="2026-12-01T00:00Z",
    )
    _run()
    for row in (by_quote, by_customer, subscription, movement):
        row.refresh_from_db()
        assert row.workspace == charlie_ws


def test_it_drops_a_copy_the_owner_already_has(alpha, charlie_ws):
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex", country="AT")
    _invoice(charlie_ws, "in_1", customer=globex)
    _invoice(alpha, "in_1", customer=globex)
    _run()
    assert list(StripeInvoice.objects.values_list("workspace", flat=True)) == [charlie_ws.pk]


def test_it_hides_rows_it_cannot_attribute_until_reconciliation(alpha):
    """No quote, no customer: maybe another workspace's, maybe nobody's: unverified."""
    acme = Customer.objects.create(workspace=alpha, company_name="Acme", country="DE")
    ours = _invoice(alpha, "in_ours", customer=acme)
    unknown = _invoice(alpha, "in_unknown")
    _run()
    ours.refresh_from_db()
    unknown.refresh_from_db()
    assert (ours.ownership, unknown.ownership) == ("ours", "unverified")


def test_it_gives_stored_events_to_the_workspace_their_payload_names(alpha, charlie_ws):
    moved = _event(alpha, "evt_charlie", mark=str(charlie_ws.public_id))
    _event(charlie_ws, "evt_both", mark=str(charlie_ws.public_id))
    duplicate = _event(alpha, "evt_both", mark=str(charlie_ws.public_id))
    stranger = _event(alpha, "evt_stranger", mark="00000000-0000-0000-0000-000000000000")
    own = _event(alpha, "evt_alpha", mark=str(alpha.public_id))
    nobody = _event(alpha, "evt_dashboard")
    _run()
    moved.refresh_from_db()
    assert moved.workspace == charlie_ws
    assert not StripeEvent.objects.filter(pk__in=[duplicate.pk, stranger.pk]).exists()
    assert set(StripeEvent.objects.filter(workspace=alpha).values_list("pk", flat=True)) == {
        own.pk,
        nobody.pk,
    }
