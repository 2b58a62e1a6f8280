"""Two workspaces on one Stripe account, every event: a charge or refund of one workspace's
invoice is stored, shown and processed only there (the other drops it), and an event about an
object nobody owns is listed in both, marked "not ours" and filterable."""

import pytest

from billing.models import Payment, StripeInvoice
from customers.models import Customer
from integrations.models import StripeEvent
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from quotes.actions import do_create_quote
from tests.factories import WEBHOOK_PERMISSIONS, accept, add_line, service

pytestmark = pytest.mark.django_db(transaction=True)
ACCOUNT = "acct_1EmulatorSeedAcct"
# What a workspace that records refunds gives its key (the optional read scopes).
PERMISSIONS = {**WEBHOOK_PERMISSIONS, "refunds": "read", "payment_intents": "read"}
REFUND_EVENTS = ("charge.refunded", "refund.created", "refund.updated")


def _connect(wire, user, tax_id):
    """``user``'s workspace connected through the settings page with its own VAT ID."""
    workspace = user.last_workspace
    workspace.tax_id_type, workspace.tax_id = "eu_vat", tax_id
    workspace.save()
    return wire(user, PERMISSIONS)


def _pushed_invoice(workspace, user, company, country, vat_id) -> StripeInvoice:
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
    add_line(quote, service(workspace, f"{company} set-up", "one_time", "150.00", "unit"), "1")
    accept(quote, user)
    quote.refresh_from_db()
    push, _ = do_start_push(None, quote, actor=user, send_now=True)
    assert execute_push(push.pk) == "succeeded"
    push.refresh_from_db()
    return push


@pytest.fixture
def two_brands(wire, stripe_api, alpha, alice, charlie_ws, charlie):
    _connect(wire, alice, "DE136695976")
    _connect(wire, charlie, "ATU13585627")
    _pushed_invoice(alpha, alice, "Acme SARL", "FR", "FR40303265045")
    _pushed_invoice(charlie_ws, charlie, "Globex GmbH", "DE", "DE136695976")
    stripe_api.flush_webhooks()
    return stripe_api


def _pay_and_refund(stripe_api, invoice_id: str) -> str:
    """Stripe charges the invoice and refunds 10.00 of it; returns the payment intent."""
    sk = stripe_api.client()
    if sk.v1.invoices.retrieve(invoice_id).status != "paid":  # charged at finalization
        sk.v1.invoices.pay(invoice_id)
    stripe_api.flush_webhooks()
    payment = sk.v1.invoice_payments.list({"invoice": invoice_id}).data[0]
    intent = payment.payment.payment_intent
    sk.v1.refunds.create({"payment_intent": intent, "amount": 1000})
    stripe_api.flush_webhooks()
    return intent


def _refund_events(workspace):
    return StripeEvent.objects.filter(workspace=workspace, event_type__in=REFUND_EVENTS)


def test_a_refund_of_one_workspace_s_invoice_stays_in_that_workspace(
    two_brands, client, alice, charlie, alpha, charlie_ws
):
    theirs = StripeInvoice.objects.get(workspace=charlie_ws, total__gt=0)
    _pay_and_refund(two_brands, theirs.stripe_id)

    assert _refund_events(charlie_ws).exists()
    assert not _refund_events(charlie_ws).exclude(status=StripeEvent.Status.PROCESSED).exists()
    assert not _refund_events(charlie_ws).filter(not_ours=True).exists()
    assert Payment.objects.filter(workspace=charlie_ws, source="refund", amount=-1000).exists()

    assert not _refund_events(alpha).exists()  # dropped, not stored as processed
    assert not Payment.objects.filter(workspace=alpha).exists()
    client.force_login(alice)
    page = client.get("/settings/integrations/events/").content.decode()
    assert "charge.refunded" not in page and "refund.created" not in page


def test_our_own_refund_is_ours(two_brands, alpha):
    ours = StripeInvoice.objects.get(workspace=alpha, total__gt=0)
    _pay_and_refund(two_brands, ours.stripe_id)
    events = _refund_events(alpha)
    assert events.exists() and not events.filter(not_ours=True).exists()
    assert Payment.objects.filter(workspace=alpha, source="refund", amount=-1000).exists()


def test_an_event_about_nobody_s_object_is_listed_and_marked_not_ours(
    two_brands, client, alice, alpha, charlie_ws
):
    sk = two_brands.client()
    stranger = sk.v1.customers.create({"name": "Walk-in Customer", "email": "w@example.org"})
    invoice = sk.v1.invoices.create({"customer": stranger.id, "auto_advance": False})
    sk.v1.invoice_items.create(
        {"customer": stranger.id, "invoice": invoice.id, "amount": 5000, "currency": "eur"}
    )
    sk.v1.invoices.finalize_invoice(invoice.id)
    two_brands.flush_webhooks()
    _pay_and_refund(two_brands, invoice.id)

    for workspace in (alpha, charlie_ws):
        about = StripeEvent.objects.filter(workspace=workspace, event_type__startswith="invoice.")
        nobodys = [e for e in about if e.payload["data"]["object"]["id"] == invoice.id]
        assert nobodys and all(e.not_ours for e in nobodys)
        assert _refund_events(workspace).exists()
        assert all(e.not_ours for e in _refund_events(workspace))
        assert not Payment.objects.filter(workspace=workspace).exists()
    ours = StripeEvent.objects.filter(workspace=alpha, not_ours=False)
    assert ours.exists()

    client.force_login(alice)
    page = client.get("/settings/integrations/events/?whose=not_ours").content.decode()
    assert "data-not-ours" in page and "charge.refunded" in page
    page = client.get("/settings/integrations/events/?whose=ours").content.decode()
    assert "data-not-ours" not in page
