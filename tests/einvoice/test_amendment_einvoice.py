"""An amendment applied in the Stripe emulator (12 → 15 seats, prorated now) bills a
subscription_update invoice that the quote's lines cannot explain; from Stripe's own lines,
with MSPercury's 19 % tax rate on each, its e-invoice is XSD- and schematron-clean."""

import time
from decimal import Decimal

import pytest
from django.test import Client

from billing.einvoice import build_facturx_xml
from billing.einvoice.model import Category
from billing.einvoice.source import einvoice_from_stripe
from billing.einvoice.validate import check
from integrations.mirror.sync import sync_invoice
from integrations.models import StripeConnection
from integrations.push.actions import do_start_amendment
from integrations.push.amend_executor import execute_amendment
from quotes.actions import do_update_line
from quotes.models import QuoteLine
from rules.money import from_minor_units
from tests.integrations.push.test_vat_push import customer, push, quote_for
from tests.quotes.share_helpers import accept_data, page_url, share

LINES = [("RMM agent", "monthly", "12", "4.50", None), ("EDR seat", "monthly", "7", "6.90", "5")]


def _reaccept(quote):
    """The customer accepts the edited revision on a fresh share link."""
    _, token = share(quote)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert client.post(page_url(token, "accept"), accept_data(html)).status_code == 302
    quote.refresh_from_db()


@pytest.fixture
def amendment_invoice(vat_workspace, alice, stripe_api):
    quote = quote_for(
        vat_workspace, customer(vat_workspace, "DE", "DE811569869"), LINES, user=alice
    )
    outcome, pushed = push(quote, alice)
    assert outcome == "succeeded", pushed.error
    do_update_line(QuoteLine.objects.get(quote=quote, description="RMM agent"), quantity=15)
    _reaccept(quote)
    amendment, _ = do_start_amendment(
        None, pushed, timing="always_invoice", proration_date=int(time.time())
    )
    assert execute_amendment(amendment.pk) == "succeeded", amendment.error
    sk = stripe_api.client()
    (update,) = [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    if update.status == "draft":
        sk.v1.invoices.finalize_invoice(update.id)
    connection = StripeConnection.objects.for_workspace(vat_workspace)
    return sync_invoice(connection, update.id)


def test_the_amendment_invoice_gets_a_valid_e_invoice(amendment_invoice):
    invoice = amendment_invoice
    assert any(line["proration"] for line in invoice.lines)
    einvoice = einvoice_from_stripe(invoice)
    assert einvoice.totals.grand == from_minor_units(invoice.total, "EUR")
    assert einvoice.totals.tax == from_minor_units(invoice.tax, "EUR")
    assert {(x.category, x.rate) for x in einvoice.lines} == {(Category.STANDARD, 19)}
    unused, remaining = einvoice.lines  # prorated from the start of the period
    assert unused.description.startswith("Unused time on 12 × RMM agent")
    assert (unused.quantity, unused.unit_price, unused.net) == (-12, Decimal("4.50"), -54)
    assert (remaining.quantity, remaining.net) == (15, Decimal("67.50"))
    assert unused.period_start == remaining.period_start and unused.period_end
    assert check(build_facturx_xml(invoice)) == []
