"""Over real HTTP with the Stripe emulator: a credit note made in Stripe reaches us by its
signed webhook, is mirrored once, and its corrective e-invoice (381) validates with Stripe's
totals and cites the invoice it corrects."""

import pytest
from lxml import etree

from billing.einvoice import build_credit_note_pdf, build_credit_note_xml
from billing.einvoice.cii import RAM
from billing.einvoice.compose import NotAnEInvoice
from billing.einvoice.credit_notes import einvoice_from_credit_note
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.validate import check
from integrations.models import StripeEvent
from integrations.webhooks.dispatch import process_event
from rules.money import from_minor_units
from tests.einvoice.delivery import embedded_xml
from tests.integrations.test_payment_sources import open_invoice, wired  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _credit(emulator, invoice, **params):
    sk = emulator.client()
    line = sk.v1.invoices.retrieve(invoice.stripe_id).lines.data[0]
    note = sk.v1.credit_notes.create(
        {
            "invoice": invoice.stripe_id,
            "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id, "quantity": 1}],
            "reason": "order_change",
            "memo": "Licence cancelled",
            **params,
        }
    )
    emulator.flush_webhooks()
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert not failed.exists(), list(failed.values_list("event_type", "error"))
    return note


def test_a_credit_note_in_stripe_is_mirrored_once(open_invoice, stripe_api):  # noqa: F811
    in_stripe = _credit(stripe_api, open_invoice)
    note = StripeCreditNote.objects.get()
    assert (note.stripe_id, note.number, note.invoice_id) == (
        in_stripe.id,
        in_stripe.number,
        open_invoice.pk,
    )
    assert (note.workspace_id, note.status, note.reason) == (
        open_invoice.workspace_id,
        "issued",
        "order_change",
    )
    assert (note.total, note.currency, note.memo) == (in_stripe.total, "EUR", "Licence cancelled")
    assert [line["id"] for line in note.lines] == [x.id for x in in_stripe.lines.data]

    for event in StripeEvent.objects.all():  # every event again: still one row
        StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
        process_event(event.pk)
    assert StripeCreditNote.objects.count() == 1


def test_its_e_invoice_is_a_valid_381_with_stripes_totals(open_invoice, stripe_api):  # noqa: F811
    in_stripe = _credit(stripe_api, open_invoice)
    note = StripeCreditNote.objects.select_related("invoice").get()
    xml = build_credit_note_xml(note)
    check(xml)
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{RAM}}}TypeCode") == "381"
    assert root.findtext(f".//{{{RAM}}}GrandTotalAmount") == str(
        from_minor_units(in_stripe.total, "EUR")
    )
    reference = root.find(f".//{{{RAM}}}InvoiceReferencedDocument")
    assert reference.findtext(f"{{{RAM}}}IssuerAssignedID") == open_invoice.number
    invoiced = open_invoice.issued_on.strftime("%Y%m%d")  # the local issue date (BT-2)
    assert reference.findtext(f".//{{{RAM}}}FormattedIssueDateTime/*") == invoiced
    # The credited line keeps the period of the invoice line it credits (BT-134/135).
    assert root.find(f".//{{{RAM}}}BillingSpecifiedPeriod") is not None
    assert embedded_xml(build_credit_note_pdf(note)) == xml


def test_a_voided_credit_note_has_no_e_invoice(open_invoice, stripe_api):  # noqa: F811
    in_stripe = _credit(stripe_api, open_invoice)
    note = StripeCreditNote.objects.get()
    from billing.einvoice.credit_notes import record_credit_note

    voided = {**in_stripe.to_dict(), "status": "void"}
    record_credit_note(note.invoice, voided)
    note.refresh_from_db()
    assert note.status == "void" and StripeCreditNote.objects.count() == 1
    with pytest.raises(NotAnEInvoice, match="void"):
        einvoice_from_credit_note(note)
