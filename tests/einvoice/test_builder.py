"""From the mirror: the e-invoice of a Stripe invoice equals Stripe's totals to the cent and
takes its lines from the quote the invoice came from."""

from decimal import Decimal

import pytest

from billing.einvoice import build_facturx_xml, einvoice_for
from billing.einvoice.compose import EInvoiceIncomplete, NotAnEInvoice, TotalsMismatch
from billing.einvoice.model import Category, DocumentType, Profile
from billing.einvoice.source import einvoice_from_stripe
from billing.einvoice.validate import check
from rules import wording
from rules.money import from_minor_units

# Monthly lines: 430.92 + 74.97 = 505.89 net; with the one-time onboarding 838.39 net.
RENEWAL = {"total": 60201, "tax": 9612}
FIRST = {"total": 99768, "tax": 15929}


def _assert_stripes_totals(einvoice, invoice):
    totals = einvoice.totals
    assert totals.grand == from_minor_units(invoice.total, "EUR")
    assert totals.tax == from_minor_units(invoice.tax, "EUR")
    assert totals.lines + totals.tax == totals.grand
    assert sum(line.net for line in einvoice.lines) == totals.lines
    assert totals.due == from_minor_units(invoice.amount_due, "EUR")


def test_it_bills_a_renewal_with_the_subscriptions_period_lines(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    einvoice = einvoice_from_stripe(invoice)
    assert [line.description for line in einvoice.lines] == [
        "Managed workstation",
        "Backup per server",
    ]
    _assert_stripes_totals(einvoice, invoice)
    assert einvoice.subtotals[0].category == Category.STANDARD
    assert einvoice.subtotals[0].rate == Decimal(19)


def test_the_first_invoice_adds_the_one_time_lines(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **FIRST)
    einvoice = einvoice_from_stripe(invoice)
    assert [line.description for line in einvoice.lines][-1] == "Onboarding"
    _assert_stripes_totals(einvoice, invoice)


def test_stripes_tax_rounded_per_line_is_kept_to_the_cent(make_invoice, monthly):
    """Stripe rounds tax per line (81.87 + 14.24 = 96.11, not 96.12): its figure stands."""
    invoice = make_invoice(subscription="sub_m", total=60200, tax=9611)
    einvoice = einvoice_from_stripe(invoice)
    assert einvoice.totals.tax == Decimal("96.11")
    _assert_stripes_totals(einvoice, invoice)
    check(build_facturx_xml(invoice))


def test_a_credit_balance_applied_by_stripe_is_prepaid(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", amount_due=50201, **RENEWAL)
    totals = einvoice_from_stripe(invoice).totals
    assert (totals.prepaid, totals.due) == (Decimal("100.00"), Decimal("502.01"))


def test_totals_the_quote_cannot_explain_are_refused(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", total=60301, tax=9612)
    with pytest.raises(TotalsMismatch, match=r"505\.89"):
        einvoice_from_stripe(invoice)


def test_a_tax_that_does_not_fit_the_rate_is_refused(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", total=60589, tax=10000)
    with pytest.raises(TotalsMismatch, match="does not fit"):
        einvoice_from_stripe(invoice)


def test_reverse_charge_carries_both_vat_ids_and_the_notice(make_invoice, monthly):
    invoice = make_invoice("reverse_charge", subscription="sub_m", total=50589, tax=0)
    einvoice = einvoice_from_stripe(invoice)
    assert einvoice.subtotals[0].category == Category.REVERSE_CHARGE
    assert (einvoice.seller.vat_id, einvoice.buyer.vat_id) == ("DE136695976", "FR40303265045")
    assert "Autoliquidation" in einvoice.notes[0]
    assert "§13b UStG" in einvoice.notes[0]


def test_export_is_outside_the_scope(make_invoice, monthly):
    invoice = make_invoice("export", subscription="sub_m", total=50589, tax=0)
    assert einvoice_from_stripe(invoice).subtotals[0].category == Category.OUTSIDE_SCOPE


def test_the_pay_link_is_stripes_page_while_due_or_the_one_given(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    assert einvoice_from_stripe(invoice).payment.pay_link == invoice.hosted_invoice_url
    portal = "https://msp.example/pay/abc"
    assert einvoice_from_stripe(invoice, pay_link=portal).payment.pay_link == portal
    invoice.status, invoice.amount_remaining = "paid", 0
    assert einvoice_from_stripe(invoice).payment.pay_link == ""


@pytest.mark.parametrize("status", ["draft", "void", "deleted"])
def test_only_finalized_invoices_get_one(make_invoice, monthly, status):
    invoice = make_invoice(subscription="sub_m", status=status, **RENEWAL)
    with pytest.raises(NotAnEInvoice):
        einvoice_from_stripe(invoice)


def test_it_chooses_factur_x_without_a_leitweg_id(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    filename, content_type, content = einvoice_for(invoice)
    assert (filename, content_type) == ("RE-2026-0001.pdf", "application/pdf")
    assert content.startswith(b"%PDF-1.7")


def test_it_chooses_xrechnung_with_a_leitweg_id(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    invoice.customer.leitweg_id = "04011000-12345-67"  # the field the customer model gains
    invoice.workspace.invoice_phone = "+49 30 1234567"
    filename, content_type, xml = einvoice_for(invoice)
    assert (filename, content_type) == ("RE-2026-0001-xrechnung.xml", "application/xml")
    assert b"<ram:BuyerReference>04011000-12345-67</ram:BuyerReference>" in xml
    assert b"<ram:PersonName>Alice Owner</ram:PersonName>" in xml  # the owner until set
    check(xml, Profile.XRECHNUNG)


def test_xrechnung_says_what_the_msp_must_fill_in(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    invoice.customer.leitweg_id = "04011000-12345-67"
    with pytest.raises(EInvoiceIncomplete, match="seller contact phone"):
        einvoice_for(invoice)


def test_a_credit_note_of_a_mirrored_invoice_is_type_381(make_invoice, monthly):
    from datetime import date

    from billing.einvoice.compose import credit_note

    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    note = credit_note(einvoice_from_stripe(invoice), "GS-2026-0001", date(2026, 12, 20))
    assert note.type_code == DocumentType.CREDIT_NOTE
    assert note.preceding.number == "RE-2026-0001"
    assert note.totals.grand == Decimal("602.01")


def test_the_xml_totals_are_stripes(make_invoice, monthly):
    from lxml import etree

    from billing.einvoice.cii import RAM

    invoice = make_invoice(subscription="sub_m", total=60200, tax=9611, amount_due=50200)
    summation = etree.fromstring(build_facturx_xml(invoice)).find(
        f".//{{{RAM}}}SpecifiedTradeSettlementHeaderMonetarySummation"
    )
    figures = {child.tag.split("}")[1]: child.text for child in summation}
    assert figures == {
        "LineTotalAmount": "505.89",
        "TaxBasisTotalAmount": "505.89",
        "TaxTotalAmount": "96.11",
        "GrandTotalAmount": "602.00",
        "TotalPrepaidAmount": "100.00",
        "DuePayableAmount": "502.00",
    }


def test_it_checks_ownership(make_invoice, charlie_ws):
    """Another workspace's subscription of the same id never decides which lines are billed."""
    from billing.models import StripeSubscription

    StripeSubscription.objects.create(
        workspace=charlie_ws,
        account_ref="acct_1",
        stripe_id="sub_y",
        status="active",
        interval="year",
    )
    invoice = make_invoice(subscription="sub_y", total=142800, tax=22800)  # the yearly line
    with pytest.raises(TotalsMismatch):
        einvoice_from_stripe(invoice)


@pytest.mark.skipif(
    not hasattr(wording, "export_notice"), reason="rules.wording.export_notice (VAT engine)"
)
def test_an_export_says_why_no_vat_is_charged(make_invoice, monthly):
    invoice = make_invoice("export", subscription="sub_m", total=50589, tax=0)
    notes = einvoice_from_stripe(invoice).notes
    assert notes and "Art. 44" in notes[0]
    assert "§ 3a Abs. 2 UStG" in notes[0]
