"""Two workspaces connected to one Stripe account (an MSP's two brands): each sees only its own.

Both push, both webhook endpoints receive every event of the account (the emulator delivers to
each over HTTP), both reconcile; the database runs with row-level security as the app role.
"""

import time

import pytest

from billing.models import MrrMovement, StripeInvoice, StripeSubscription
from billing.reporting import workspace_report
from customers.models import Customer
from integrations.models import StripeConnection, StripeEvent, StripeObjectMap
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.webhooks.reconcile import reconcile
from mspercury.models import Notification
from quotes.actions import do_create_quote
from tests.factories import WEBHOOK_PERMISSIONS, accept, add_line, service

pytestmark = pytest.mark.django_db(transaction=True)
ACCOUNT = "acct_1EmulatorSeedAcct"
PERMISSIONS = WEBHOOK_PERMISSIONS


def _connect(wire, user, tax_id):
    """``user``'s workspace connected through the settings page with its own VAT ID."""
    workspace = user.last_workspace
    workspace.tax_id_type, workspace.tax_id = "eu_vat", tax_id
    workspace.save()
    return wire(user, PERMISSIONS)


def _quote(workspace, user, company, monthly_price, country, vat_id):
    """An EU business customer in another country (reverse charge: no tax rate needed)."""
    customer = Customer.objects.create(
        workspace=workspace,
        company_name=company,
        email=f"billing@{company.split()[0].lower()}.example",
        country=country,
        tax_id_type="eu_vat",
        tax_id=vat_id,
        collection_method="send_invoice",
        days_until_due=14,
    )
    quote = do_create_quote(workspace, customer, user=user, currency="EUR")
    add_line(quote, service(workspace, f"{company} RMM", "monthly", monthly_price), "10")
    add_line(quote, service(workspace, f"{company} set-up", "one_time", "150.00", "unit"), "1")
    accept(quote, user)
    quote.refresh_from_db()
    push, _ = do_start_push(None, quote, actor=user)
    result = execute_push(push.pk)
    push.refresh_from_db()
    assert result == "succeeded", push.error
    return quote


@pytest.fixture
def two_brands(wire, stripe_api, alpha, alice, charlie_ws, charlie):
    _connect(wire, alice, "DE136695976")
    _connect(wire, charlie, "ATU13585627")
    alpha_quote = _quote(alpha, alice, "Acme SARL", "10.00", "FR", "FR40303265045")
    charlie_quote = _quote(charlie_ws, charlie, "Globex GmbH", "20.00", "DE", "DE136695976")
    stripe_api.flush_webhooks()
    return alpha_quote, charlie_quote


def _page(client, user, path):
    client.force_login(user)
    return client.get(path).content.decode()


def _stripe_ids(workspace):
    return set(
        StripeInvoice.objects.filter(workspace=workspace).values_list("stripe_id", flat=True)
    )


def test_each_workspace_mirrors_only_its_own_objects(two_brands, alpha, charlie_ws):
    alpha_quote, charlie_quote = two_brands
    for workspace, quote in ((alpha, alpha_quote), (charlie_ws, charlie_quote)):
        invoices = StripeInvoice.objects.filter(workspace=workspace)
        assert invoices.exists()
        assert set(invoices.values_list("quote", flat=True)) == {quote.pk}
        subscriptions = StripeSubscription.objects.filter(workspace=workspace)
        assert set(subscriptions.values_list("quote", flat=True)) == {quote.pk}
        assert set(
            MrrMovement.objects.filter(workspace=workspace).values_list(
                "subscription__quote", flat=True
            )
        ) == {quote.pk}
    assert not _stripe_ids(alpha) & _stripe_ids(charlie_ws)


def test_each_workspace_stores_only_events_of_its_own_objects(two_brands, alpha, charlie_ws):
    foreign = {
        alpha: _stripe_ids(charlie_ws)
        | set(
            StripeSubscription.objects.filter(workspace=charlie_ws).values_list(
                "stripe_id", flat=True
            )
        ),
        charlie_ws: _stripe_ids(alpha)
        | set(
            StripeSubscription.objects.filter(workspace=alpha).values_list("stripe_id", flat=True)
        ),
    }
    for workspace, theirs in foreign.items():
        events = StripeEvent.objects.filter(workspace=workspace)
        assert events.filter(status=StripeEvent.Status.PROCESSED).exists()
        seen = {e.payload["data"]["object"]["id"] for e in events}
        assert not seen & theirs


def test_the_pages_show_each_workspace_only_its_own(
    two_brands, client, alice, charlie, alpha, charlie_ws
):
    alpha_numbers = StripeInvoice.objects.filter(workspace=alpha).exclude(number="")
    charlie_numbers = StripeInvoice.objects.filter(workspace=charlie_ws).exclude(number="")
    html = _page(client, alice, "/billing/invoices/")
    assert "Acme SARL" in html and "Globex" not in html
    assert all(inv.number not in html for inv in charlie_numbers)
    html = _page(client, charlie, "/billing/invoices/")
    assert "Globex GmbH" in html and "Acme" not in html
    assert all(inv.number not in html for inv in alpha_numbers)
    events = _page(client, alice, "/settings/integrations/events/")
    assert all(
        inv.stripe_id not in events for inv in StripeInvoice.objects.filter(workspace=charlie_ws)
    )


def test_mrr_and_notifications_stay_apart(two_brands, alpha, charlie_ws):
    mrr = {
        ws: {f.currency: f.mrr for f in workspace_report(ws).figures} for ws in (alpha, charlie_ws)
    }
    assert mrr[alpha]["EUR"] == 100 and mrr[charlie_ws]["EUR"] == 200
    assert not Notification.objects.filter(workspace=alpha, title__contains="Globex").exists()


def test_reconciliation_keeps_them_apart_and_counts_nothing_foreign_as_missed(
    two_brands, alpha, charlie_ws
):
    before = {ws: _stripe_ids(ws) for ws in (alpha, charlie_ws)}
    for workspace in (alpha, charlie_ws):
        connection = StripeConnection.objects.for_workspace(workspace)
        summary = reconcile(connection)
        assert summary["missed"] == 0, summary
    assert {ws: _stripe_ids(ws) for ws in (alpha, charlie_ws)} == before


def test_a_dashboard_invoice_for_nobody_is_unlinked_in_both_and_a_customer_of_neither(
    two_brands, stripe_api, client, alice, charlie, alpha, charlie_ws
):
    sk = stripe_api.client()
    stranger = sk.v1.customers.create({"name": "Walk-in Customer", "email": "w@example.org"})
    sk.v1.invoice_items.create({"customer": stranger.id, "amount": 5000, "currency": "eur"})
    invoice = sk.v1.invoices.create({"customer": stranger.id, "auto_advance": False})
    stripe_api.flush_webhooks()
    for user, workspace in ((alice, alpha), (charlie, charlie_ws)):
        mirror = StripeInvoice.objects.get(workspace=workspace, stripe_id=invoice.id)
        assert mirror.ownership == "unlinked"
        assert invoice.id not in _page(client, user, "/billing/invoices/")
        assert invoice.id in _page(client, user, "/billing/invoices/unlinked/")


def test_a_dashboard_invoice_for_a_customer_of_one_workspace_is_that_workspace_s_only(
    two_brands, stripe_api, client, alice, alpha, charlie_ws
):
    globex = StripeObjectMap.objects.get(workspace=charlie_ws, kind="customer")
    sk = stripe_api.client()
    sk.v1.invoice_items.create({"customer": globex.stripe_id, "amount": 7000, "currency": "eur"})
    invoice = sk.v1.invoices.create({"customer": globex.stripe_id, "auto_advance": False})
    stripe_api.flush_webhooks()
    assert StripeInvoice.objects.get(stripe_id=invoice.id).workspace == charlie_ws
    assert StripeInvoice.objects.get(stripe_id=invoice.id).ownership == "ours"
    assert invoice.id not in _page(client, alice, "/billing/invoices/unlinked/")


def test_the_integrations_page_says_the_account_is_shared_without_names(two_brands, client, alice):
    html = _page(client, alice, "/settings/integrations/")
    assert "1 other MSPercury workspace uses this Stripe account" in html
    assert "Charlie Systems" not in html


def test_disconnecting_one_workspace_keeps_the_other_s_endpoint(
    two_brands, stripe_api, client, alice, charlie_ws
):
    charlie_endpoint = StripeConnection.objects.for_workspace(charlie_ws).webhook_endpoint_id
    client.force_login(alice)
    session = client.session
    session["mspercury_2fa_verified_at"] = time.time()
    session.save()
    client.post("/settings/integrations/stripe/disconnect/")
    endpoints = {e.id for e in stripe_api.client().v1.webhook_endpoints.list().data}
    assert charlie_endpoint in endpoints
    charlie_sub = StripeSubscription.objects.filter(workspace=charlie_ws).first()
    stripe_api.client().v1.subscriptions.update(
        charlie_sub.stripe_id, {"cancel_at_period_end": True}
    )
    stripe_api.flush_webhooks()
    charlie_sub.refresh_from_db()
    assert charlie_sub.cancel_at_period_end


def test_reconciliation_sorts_out_rows_stored_before_the_rule(two_brands, alpha, charlie_ws):
    """Rows the migration could not attribute are re-read: ours come back, theirs go."""
    connection = StripeConnection.objects.for_workspace(alpha)
    StripeInvoice.objects.filter(workspace=alpha).update(ownership="unverified")
    theirs = StripeInvoice.objects.filter(workspace=charlie_ws).first()
    StripeInvoice.objects.create(
        workspace=alpha,
        account_ref=connection.account_ref,
        stripe_id=theirs.stripe_id,
        status="open",
        currency="EUR",
        ownership="unverified",
    )
    ours_before = _stripe_ids(alpha) - {theirs.stripe_id}
    reconcile(connection)
    assert set(
        StripeInvoice.objects.filter(workspace=alpha).values_list("ownership", flat=True)
    ) == {"ours"}
    assert _stripe_ids(alpha) == ours_before
