"""Credit-note e-invoices (type 381, "Rechnungskorrektur") from Stripe credit notes as the
pinned API shapes them: lines and VAT from the credit note, BG-3 citing the invoice, totals
Stripe's to the cent, valid for the domestic, reverse-charge and export cases."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import pgettext
from lxml import etree

from billing.einvoice import (
    build_credit_note_pdf,
    build_credit_note_xml,
    build_credit_note_xrechnung,
    credit_note_einvoice_for,
)
from billing.einvoice.cii import RAM
from billing.einvoice.compose import TotalsMismatch
from billing.einvoice.credit_notes import einvoice_from_credit_note, record_credit_note
from billing.einvoice.model import Category, DocumentType, Profile
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.pdf import invoice_html
from billing.einvoice.validate import check
from integrations.models import StripeObjectMap
from rules.money import from_minor_units
from tests.einvoice.delivery import embedded_xml
from tests.einvoice.samples import mirror_line, totals_of

LEITWEG = "04011000-12345-67"
CREATED = 1797494400  # 2026-12-17


def stripe_credit_note(invoice, credited, *, tax_rate="txr_vat19", **fields) -> dict:
    """A credit note as Stripe returns it: ``credited`` is [(invoice line, amount, tax)]."""
    lines = [
        {
            "id": f"cnli_{n}",
            "object": "credit_note_line_item",
            "amount": amount,
            "description": line["description"],
            "discount_amount": 0,
            "invoice_line_item": line["id"],
            "quantity": 1,
            "type": "invoice_line_item",
            "tax_rates": [],
            "taxes": [
                {
                    "amount": tax,
                    "taxable_amount": amount,
                    "tax_behavior": "exclusive",
                    "tax_rate_details": {"tax_rate": tax_rate},
                    "taxability_reason": "standard_rated" if tax else "reverse_charge",
                    "type": "tax_rate_details",
                }
            ],
            "metadata": {},
        }
        for n, (line, amount, tax) in enumerate(credited)
    ]
    net = sum(amount for _line, amount, _tax in credited)
    tax = sum(t for _line, _amount, t in credited)
    return {
        "id": "cn_1",
        "object": "credit_note",
        "number": f"{invoice.number}-CN-01",
        "invoice": invoice.stripe_id,
        "status": "issued",
        "reason": "product_unsatisfactory",
        "memo": "Backup restore failed twice",
        "currency": "eur",
        "created": CREATED,
        "subtotal": net,
        "subtotal_excluding_tax": net,
        "total": net + tax,
        "total_excluding_tax": net,
        "total_taxes": [{"amount": tax, "taxable_amount": net}],
        "pre_payment_amount": net + tax,
        "post_payment_amount": 0,
        "lines": {"object": "list", "data": lines, "has_more": False},
        **fields,
    }


INVOICE_LINES = [
    mirror_line("12 × Managed workstation", 47880, 12),
    mirror_line("3 × Backup per server", 7497, 3),
]
ZERO_LINES = [mirror_line(x["description"], x["amount"], 3, tax=0) for x in INVOICE_LINES]


@pytest.fixture
def credit_note(make_invoice):
    """A domestic invoice and a Stripe credit note of one month's backup (74.97 + 14.24)."""

    def _make(case="domestic", **fields):
        lines = INVOICE_LINES if case == "domestic" else ZERO_LINES
        invoice = make_invoice(case, lines=lines, **totals_of(lines))
        tax = 1424 if case == "domestic" else 0
        return record_credit_note(
            invoice, stripe_credit_note(invoice, [(lines[1], 7497, tax)], **fields)
        )

    return _make


def test_it_is_mirrored_with_stripes_figures(credit_note):
    note = credit_note()
    assert (note.number, note.total, note.tax, note.currency) == (
        "RE-2026-0001-CN-01",
        8921,
        1424,
        "EUR",
    )
    assert note.lines[0]["taxes"][0] == {
        "amount": 1424,
        "taxable_amount": 7497,
        "tax_rate": "txr_vat19",
        "behavior": "exclusive",
    }
    assert note.created.date() == date(2026, 12, 17)


@pytest.mark.parametrize("case", ["domestic", "reverse_charge", "export"])
def test_it_is_a_valid_381_in_each_tax_case(credit_note, case):
    note = credit_note(case)
    einvoice = einvoice_from_credit_note(note)
    assert einvoice.type_code == DocumentType.CREDIT_NOTE
    assert einvoice.totals.grand == from_minor_units(note.total, "EUR")
    assert einvoice.totals.tax == from_minor_units(note.tax, "EUR")
    assert (einvoice.preceding.number, einvoice.preceding.issue_date) == (
        "RE-2026-0001",
        date(2026, 12, 1),
    )
    assert check(build_credit_note_xml(note)) == []
    category = {"domestic": "S", "reverse_charge": "AE", "export": "O"}[case]
    assert {line.category for line in einvoice.lines} == {Category(category)}


@pytest.mark.parametrize("case", ["domestic", "reverse_charge"])
def test_it_is_a_valid_xrechnung(credit_note, case, msp):
    msp.invoice_phone = "+49 30 1234567"
    msp.save()
    note = credit_note(case)
    note.invoice.customer.leitweg_id = LEITWEG
    note.invoice.customer.save()
    note = StripeCreditNote.objects.select_related("invoice__customer").get(pk=note.pk)
    xml = build_credit_note_xrechnung(note)
    warnings = check(xml, Profile.XRECHNUNG)
    assert not [w for w in warnings if w.flag == "warning"]
    filename, content_type, content = credit_note_einvoice_for(note)
    assert (filename, content_type, content) == (
        "RE-2026-0001-CN-01-xrechnung.xml",
        "application/xml",
        xml,
    )


def test_it_cites_the_invoice_and_says_why(credit_note):
    root = etree.fromstring(build_credit_note_xml(credit_note()))
    reference = root.find(f".//{{{RAM}}}InvoiceReferencedDocument")
    assert reference.findtext(f"{{{RAM}}}IssuerAssignedID") == "RE-2026-0001"
    assert reference.findtext(f".//{{{RAM}}}FormattedIssueDateTime/*") == "20261201"
    notes = [e.text for e in root.iter(f"{{{RAM}}}Content")]
    assert notes[1] == "Backup restore failed twice"
    terms = root.findtext(f".//{{{RAM}}}SpecifiedTradePaymentTerms/{{{RAM}}}Description")
    assert "RE-2026-0001" in terms
    # The credited line keeps its invoice line's period (BT-134/135).
    period = root.find(f".//{{{RAM}}}BillingSpecifiedPeriod")
    assert period.findtext(f"{{{RAM}}}StartDateTime/*") == "20261201"


def test_the_pdf_carries_the_xml_and_is_labelled_a_correction(credit_note):
    note = credit_note("export")  # an English-speaking customer
    pdf = build_credit_note_pdf(note)
    assert embedded_xml(pdf) == build_credit_note_xml(note)
    html = invoice_html(einvoice_from_credit_note(note))
    assert '<div class="doc-kind">Credit note</div>' in html
    assert "Corrects invoice</th><td>RE-2026-0001" in html


def test_in_german_it_is_a_rechnungskorrektur_not_a_gutschrift(credit_note):
    """§14 UStG: a "Gutschrift" is self-billing; a seller's correction is a
    "Rechnungskorrektur" (msgctxt "corrective invoice")."""
    with translation.override("de"):
        if pgettext("corrective invoice", "Credit note") == "Credit note":
            pytest.skip("the German msgstr for msgctxt 'corrective invoice' is not in yet")
    html = invoice_html(einvoice_from_credit_note(credit_note()))  # the customer reads German
    assert "Rechnungskorrektur" in html and "Gutschrift" not in html


def test_a_standard_rated_credit_note_without_stripes_vat_is_refused(credit_note):
    """The emulator (and a tax-inclusive note) gives no VAT per line: no e-invoice then."""
    note = credit_note()
    for line in note.lines:
        line["taxes"] = []
    note.tax = 0
    note.total = 7497
    with pytest.raises(TotalsMismatch, match="carries no VAT"):
        einvoice_from_credit_note(note)


def test_totals_stripes_lines_cannot_explain_are_refused(credit_note):
    note = credit_note()
    note.total += 1
    with pytest.raises(TotalsMismatch, match="Stripe's totals"):
        einvoice_from_credit_note(note)


def test_it_checks_ownership(credit_note, charlie_ws):
    """Another workspace's map of the same Stripe tax rate never sets this note's rate."""
    StripeObjectMap.objects.create(
        workspace=charlie_ws,
        account_ref="acct_1",
        mode="test",
        kind=StripeObjectMap.Kind.TAX_RATE,
        local_ref="DE:7:exclusive:domestic",
        stripe_id="txr_vat19",
    )
    (subtotal,) = einvoice_from_credit_note(credit_note()).subtotals
    assert (subtotal.rate, subtotal.tax) == (Decimal(19), Decimal("14.24"))


def test_a_credit_balance_credit_note_says_so(credit_note):
    note = credit_note(pre_payment_amount=0, post_payment_amount=8921)
    terms = etree.fromstring(build_credit_note_xml(note)).findtext(
        f".//{{{RAM}}}SpecifiedTradePaymentTerms/{{{RAM}}}Description"
    )
    assert terms.startswith("Nach Zahlung der Rechnung")  # the German buyer's language
    assert Decimal(0) == einvoice_from_credit_note(note).totals.prepaid


def test_its_issue_date_is_its_local_created_date(credit_note):
    """Created 17 Dec 23:30 UTC = the 18th, 00:30 in Berlin: BT-2 is the 18th; BG-3 cites
    the invoice's issue date (its finalization), not its draft's."""
    note = credit_note(created=CREATED + 23 * 3600 + 1800)
    invoice = note.invoice
    invoice.finalized_at = invoice.created.replace(day=3)
    invoice.save()
    einvoice = einvoice_from_credit_note(note)
    assert einvoice.issue_date == date(2026, 12, 18)
    assert einvoice.preceding.issue_date == date(2026, 12, 3)
