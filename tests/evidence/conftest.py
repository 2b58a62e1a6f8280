"""A Stripe-connected workspace (real HTTP to the emulator, signed webhooks) whose key may read
what evidence needs (payment intents, charges, credit notes), with MSPercury's VAT on, and an
open invoice of the seed's mixed quote to a French business customer."""

import pytest

from billing.models import StripeInvoice
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from tests import factories

PERMISSIONS = {
    **factories.VAT_PERMISSIONS,
    "webhook_endpoints": "write",
    **dict.fromkeys(("refunds", "checkout_sessions", "payment_intents", "charges"), "read"),
    "credit_notes": "read",
}


@pytest.fixture
def wired(wire, alpha, alice):
    factories.german_msp(alpha)
    connection = wire(alice, PERMISSIONS)
    factories.with_mspercury_vat(alpha)
    return connection


@pytest.fixture
def open_invoice(wired, mixed_quote, alice, stripe_api):
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    stripe_api.flush_webhooks()
    invoice = StripeInvoice.objects.get(stripe_id=draft.id)
    assert invoice.status == "open" and invoice.payment_status == "open"
    return invoice


@pytest.fixture
def pay(stripe_api):
    """Pay an invoice in Stripe (card) and let its webhooks arrive."""

    def _pay(invoice):
        stripe_api.client().v1.invoices.pay(invoice.stripe_id)
        stripe_api.flush_webhooks()
        invoice.refresh_from_db()
        return invoice

    return _pay
