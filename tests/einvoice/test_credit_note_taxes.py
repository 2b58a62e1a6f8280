"""Over real HTTP with the Stripe emulator: a credit note on a 19 % invoice carries its VAT as
Stripe's does (``taxes`` per line, ``total_taxes``), its mirror reads them, and its corrective
e-invoice (381) validates; voiding a credit note restores what it took off the amount due."""

import pytest
from lxml import etree

from billing.einvoice import build_credit_note_xml
from billing.einvoice.cii import RAM
from billing.einvoice.model import Profile
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.validate import check, findings
from billing.models import StripeInvoice
from customers.models import Customer
from integrations.models import StripeEvent
from tests import factories
from tests.integrations.push.test_vat_push import push, quote_for
from tests.integrations.test_payment_sources import PERMISSIONS

pytestmark = pytest.mark.django_db(transaction=True)
LEITWEG = "04011000-12345-67"


@pytest.fixture
def german_invoice(wire, stripe_api, alpha, alice):
    """An open 19 % invoice of ours: 12 × 39.90 monthly to a German public buyer."""
    factories.german_msp(
        alpha,
        invoice_phone="+49 30 1234567",
        iban="DE89370400440532013000",
        bank_account_holder="Alpha IT GmbH",
    )
    wire(alice, {**PERMISSIONS, "tax_rates": "write"})
    factories.with_mspercury_vat(alpha)
    buyer = Customer.objects.create(
        workspace=alpha,
        company_name="Stadt Musterhausen",
        email="rechnung@musterhausen.example",
        street="Rathausplatz 1",
        postal_code="12345",
        city="Musterhausen",
        country="DE",
        language="de",
        collection_method="send_invoice",
        days_until_due=14,
        leitweg_id=LEITWEG,
    )
    quote = quote_for(alpha, buyer, [("Managed workstation", "monthly", "12", "39.90", None)])
    outcome, _row = push(quote, alice)
    assert outcome == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    stripe_api.flush_webhooks()
    invoice = StripeInvoice.objects.get(stripe_id=draft.id)
    assert (invoice.total, invoice.tax) == (56977, 9097)  # 478.80 + 19 % (90.97)
    return invoice


def _credit(stripe_api, invoice, quantity=12):
    sk = stripe_api.client()
    line = sk.v1.invoices.retrieve(invoice.stripe_id).lines.data[0]
    note = sk.v1.credit_notes.create(
        {
            "invoice": invoice.stripe_id,
            "lines": [
                {"type": "invoice_line_item", "invoice_line_item": line.id, "quantity": quantity}
            ],
            "reason": "order_change",
        }
    )
    stripe_api.flush_webhooks()
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert not failed.exists(), list(failed.values_list("event_type", "error"))
    return note


def test_a_credit_note_carries_its_vat_as_stripe_does(german_invoice, stripe_api):
    """Crediting 3 of 12 seats: 119.70 net, 19 % = 22.74 (rounded per line), 142.44 in all."""
    note = _credit(stripe_api, german_invoice, quantity=3)
    (line,) = note.lines.data
    (tax,) = line.taxes
    assert (line.amount, tax.amount, tax.taxable_amount, tax.tax_behavior) == (
        11970,
        2274,
        11970,
        "exclusive",
    )
    assert tax.tax_rate_details.tax_rate == line.tax_rates[0].id
    assert line.tax_rates[0].percentage == 19
    (total_tax,) = note.total_taxes
    assert (total_tax.amount, total_tax.taxable_amount) == (2274, 11970)
    assert (note.subtotal, note.total_excluding_tax) == (11970, 11970)
    assert note.total == note.amount == 14244
    assert note.pre_payment_amount == 14244  # the invoice was open: all off its amount due
    mirrored = StripeCreditNote.objects.get()
    assert (mirrored.total, mirrored.tax) == (14244, 2274)


def test_a_19_percent_credit_note_gets_a_valid_381(german_invoice, stripe_api):
    """Factur-X EN 16931 and XRechnung: 0 errors; the VAT breakdown is Stripe's."""
    _credit(stripe_api, german_invoice)
    note = StripeCreditNote.objects.select_related("invoice").get()
    for profile in (Profile.EN16931, Profile.XRECHNUNG):
        xml = build_credit_note_xml(note, profile)
        check(xml, profile)
        assert not [f for f in findings(xml, profile) if f.is_error]
    root = etree.fromstring(build_credit_note_xml(note))
    assert root.findtext(f".//{{{RAM}}}TypeCode") == "381"
    breakdown = root.find(
        f".//{{{RAM}}}ApplicableHeaderTradeSettlement/{{{RAM}}}ApplicableTradeTax"
    )
    assert breakdown.findtext(f"{{{RAM}}}CalculatedAmount") == "90.97"
    assert breakdown.findtext(f"{{{RAM}}}RateApplicablePercent") == "19"


def test_voiding_a_credit_note_restores_the_amount_due(german_invoice, stripe_api):
    note = _credit(stripe_api, german_invoice, quantity=3)
    sk = stripe_api.client()
    assert sk.v1.invoices.retrieve(german_invoice.stripe_id).amount_due == 56977 - 14244
    voided = sk.v1.credit_notes.void_credit_note(note.id)
    stripe_api.flush_webhooks()
    assert voided.status == "void" and voided.voided_at
    stripe_invoice = sk.v1.invoices.retrieve(german_invoice.stripe_id)
    assert (stripe_invoice.amount_due, stripe_invoice.amount_remaining) == (56977, 56977)
    assert stripe_invoice.pre_payment_credit_notes_amount == 0
    assert StripeEvent.objects.filter(event_type="credit_note.voided").exists()
    assert StripeCreditNote.objects.get().status == "void"


def test_a_void_credit_note_cannot_be_voided_again(german_invoice, stripe_api):
    import stripe

    note = _credit(stripe_api, german_invoice, quantity=3)
    sk = stripe_api.client()
    sk.v1.credit_notes.void_credit_note(note.id)
    with pytest.raises(stripe.InvalidRequestError, match="already void"):
        sk.v1.credit_notes.void_credit_note(note.id)
    stripe_api.flush_webhooks()  # every event delivered before the database is flushed


def test_a_credit_note_on_a_paid_invoice_cannot_be_voided(german_invoice, stripe_api):
    """Stripe voids credit notes only while their invoice is open."""
    import stripe

    sk = stripe_api.client()
    sk.v1.invoices.pay(german_invoice.stripe_id, {"paid_out_of_band": True})
    note = sk.v1.credit_notes.create(
        {"invoice": german_invoice.stripe_id, "amount": 1000, "out_of_band_amount": 1000}
    )
    with pytest.raises(stripe.InvalidRequestError, match="associated invoice is open"):
        sk.v1.credit_notes.void_credit_note(note.id)
    stripe_api.flush_webhooks()
