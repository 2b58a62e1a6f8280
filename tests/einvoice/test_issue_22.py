"""What a German buyer books without calling back (issue 22 point 3): the issue date is the
local date of finalization, every date is local, BT-113 holds payments only, the payment means
follow how the invoice is paid, and the PDF shows every §14 Abs. 4 UStG particular in the
customer's language."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import segno.helpers
from lxml import etree

from billing.einvoice import build_facturx_pdf, build_facturx_xml
from billing.einvoice.cii import RAM
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.pdf import invoice_html
from billing.einvoice.source import einvoice_from_stripe
from billing.einvoice.validate import check
from billing.models import Payment
from integrations.models import StripeEvent
from tests.einvoice.delivery import embedded_xml
from tests.einvoice.samples import mirror_line, totals_of

RENEWAL = {"total": 60201, "tax": 9612}
IBAN = "DE89370400440532013000"
# November 2026 in Berlin: 01.11. 00:00 CET = 31.10. 23:00 UTC; Stripe's end is exclusive.
NOV_1, DEC_1 = 1793487600, 1796079600


@pytest.fixture
def banked(msp):
    msp.iban, msp.bic, msp.bank_account_holder = IBAN, "COBADEFFXXX", "Alpha IT GmbH"
    msp.tax_number = "30/123/45678"
    msp.save()
    return msp


def _xml(invoice):
    return etree.fromstring(build_facturx_xml(invoice))


def _text(invoice, **extra) -> str:
    """The PDF's HTML as plain text."""
    page = invoice_html(einvoice_from_stripe(invoice), **extra)
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _november(make_invoice, case="domestic", **extra):
    tax = None if case == "domestic" else 0
    lines = [mirror_line("Managed workstation", 50000, 10, tax=tax, period=(NOV_1, DEC_1))]
    return make_invoice(case, lines=lines, **totals_of(lines), **extra)


# -- dates -------------------------------------------------------------------------------------


def test_bt_2_is_the_day_stripe_finalized_it(make_invoice, monthly):
    """Created on 1 December, finalized on the 3rd: issued on the 3rd."""
    invoice = make_invoice(
        subscription="sub_m", finalized_at=datetime(2026, 12, 3, 10, tzinfo=UTC), **RENEWAL
    )
    assert _xml(invoice).findtext(f".//{{{RAM}}}IssueDateTime/*") == "20261203"


def test_bt_2_is_the_local_date_in_the_msps_zone(make_invoice, monthly):
    """Finalized 23:30 UTC on 3 December = 00:30 on the 4th in Berlin."""
    invoice = make_invoice(
        subscription="sub_m", finalized_at=datetime(2026, 12, 3, 23, 30, tzinfo=UTC), **RENEWAL
    )
    assert einvoice_from_stripe(invoice).issue_date == date(2026, 12, 4)


def test_the_due_date_is_local_too(make_invoice, monthly):
    """BT-9 of a due moment of 15 Dec 23:30 UTC is the 16th in Berlin, in XML and terms."""
    invoice = make_invoice(
        subscription="sub_m", due_date=datetime(2026, 12, 15, 23, 30, tzinfo=UTC), **RENEWAL
    )
    root = _xml(invoice)
    assert root.findtext(f".//{{{RAM}}}DueDateDateTime/*") == "20261216"
    terms = root.findtext(f".//{{{RAM}}}SpecifiedTradePaymentTerms/{{{RAM}}}Description")
    assert terms.startswith("Zahlbar bis 16.12.2026.")


def test_a_months_period_ends_on_its_last_local_day(make_invoice):
    """Stripe's November runs to 1 December 00:00 (exclusive): BT-135 and BT-74 are 30.11."""
    root = _xml(_november(make_invoice))
    line = root.find(f".//{{{RAM}}}SpecifiedLineTradeSettlement/{{{RAM}}}BillingSpecifiedPeriod")
    header = root.find(
        f".//{{{RAM}}}ApplicableHeaderTradeSettlement/{{{RAM}}}BillingSpecifiedPeriod"
    )
    for period in (line, header):
        assert period.findtext(f"{{{RAM}}}StartDateTime/*") == "20261101"
        assert period.findtext(f"{{{RAM}}}EndDateTime/*") == "20261130"


# -- BT-113 ------------------------------------------------------------------------------------


def _credit_before_payment(invoice, amount):
    StripeCreditNote.objects.create(
        workspace=invoice.workspace,
        invoice=invoice,
        stripe_id="cn_pre",
        number=f"{invoice.number}-CN-01",
        status="issued",
        currency="EUR",
        total=amount,
        pre_payment_amount=amount,
        created=datetime(2026, 12, 2, tzinfo=UTC),
    )


def test_a_credit_note_before_payment_is_not_paid_in_advance(make_invoice, monthly):
    """Total 602.01, a credit note of 100.00 taken off before payment (Stripe's amount due
    falls to 502.01), 200.00 paid: BT-113 = 200.00 (payments only), BT-115 = 402.01
    (BR-CO-16: 602.01 − 200.00), and the buyer transfers 302.01 (the credit note is its own
    381)."""
    invoice = make_invoice(
        subscription="sub_m", amount_due=50201, amount_paid=20000, amount_remaining=30201, **RENEWAL
    )
    _credit_before_payment(invoice, 10000)
    totals = einvoice_from_stripe(invoice).totals
    assert (totals.prepaid, totals.due) == (Decimal("200.00"), Decimal("402.01"))
    assert totals.grand - totals.prepaid == totals.due
    check(build_facturx_xml(invoice))


def test_without_payments_bt_113_is_absent_despite_the_credit_note(make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", amount_due=50201, **RENEWAL)
    _credit_before_payment(invoice, 10000)
    root = _xml(invoice)
    assert root.find(f".//{{{RAM}}}TotalPrepaidAmount") is None
    assert root.findtext(f".//{{{RAM}}}DuePayableAmount") == "602.01"


def test_a_paid_invoice_owes_nothing(make_invoice, monthly):
    invoice = make_invoice(
        subscription="sub_m", status="paid", amount_paid=60201, amount_remaining=0, **RENEWAL
    )
    totals = einvoice_from_stripe(invoice).totals
    assert (totals.prepaid, totals.due) == (Decimal("602.01"), Decimal("0.00"))


# -- payment means -----------------------------------------------------------------------------


def _means(root):
    return root.find(f".//{{{RAM}}}SpecifiedTradeSettlementPaymentMeans")


def test_a_transfer_goes_to_the_workspaces_account(banked, make_invoice, monthly):
    """58 with IBAN (BT-84), holder (BT-85), BIC (BT-86) and the number as remittance."""
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    root = _xml(invoice)
    means = _means(root)
    assert means.findtext(f"{{{RAM}}}TypeCode") == "58"
    account = means.find(f"{{{RAM}}}PayeePartyCreditorFinancialAccount")
    assert account.findtext(f"{{{RAM}}}IBANID") == IBAN
    assert account.findtext(f"{{{RAM}}}AccountName") == "Alpha IT GmbH"
    assert means.findtext(f".//{{{RAM}}}BICID") == "COBADEFFXXX"
    assert root.findtext(f".//{{{RAM}}}PaymentReference") == "RE-2026-0001"
    check(etree.tostring(root))


def test_without_a_bank_account_it_says_what_is_missing(make_invoice, monthly):
    from billing.einvoice.problems import payment_warning

    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    einvoice = einvoice_from_stripe(invoice)
    assert einvoice.payment.means_code == "ZZZ"
    assert "IBAN" in payment_warning(invoice, einvoice)


def _paid_by_stripe(invoice, method, details):
    invoice.customer.collection_method = "charge_automatically"
    invoice.customer.save()
    Payment.objects.create(
        workspace=invoice.workspace,
        invoice=invoice,
        amount=invoice.total,
        currency="EUR",
        source="stripe",
        provider_id="inpay_1",
        payment_intent="pi_1",
        method=method,
        paid_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
    )
    StripeEvent.objects.create(
        workspace=invoice.workspace,
        stripe_account="acct_1",
        event_id="evt_charge",
        event_type="charge.succeeded",
        payload={
            "data": {
                "object": {
                    "id": "ch_1",
                    "payment_intent": "pi_1",
                    "payment_method_details": {"type": method, method: details},
                }
            }
        },
    )


def test_stripes_sepa_debit_is_59_with_mandate_and_creditor_id(banked, make_invoice, monthly):
    banked.sepa_creditor_id = "DE98ZZZ09999999999"
    banked.save()
    invoice = make_invoice(subscription="sub_m", status="paid", amount_paid=60201, **RENEWAL)
    sepa = {"country": "DE", "last4": "3000", "bank_code": "37040044", "mandate": "mandate_1"}
    _paid_by_stripe(invoice, "sepa_debit", sepa)
    root = _xml(invoice)
    assert _means(root).findtext(f"{{{RAM}}}TypeCode") == "59"
    assert root.findtext(f".//{{{RAM}}}DirectDebitMandateID") == "mandate_1"
    assert root.findtext(f".//{{{RAM}}}CreditorReferenceID") == "DE98ZZZ09999999999"
    debited = root.findtext(f".//{{{RAM}}}PayerPartyDebtorFinancialAccount/{{{RAM}}}IBANID")
    assert debited == "DE" + "*" * 16 + "3000"
    assert root.find(f".//{{{RAM}}}PayeePartyCreditorFinancialAccount") is None


def test_stripes_card_is_48_with_the_last_four_digits(banked, make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", status="paid", amount_paid=60201, **RENEWAL)
    _paid_by_stripe(invoice, "card", {"brand": "visa", "country": "DE", "last4": "4242"})
    root = _xml(invoice)
    assert _means(root).findtext(f"{{{RAM}}}TypeCode") == "48"
    card = root.findtext(f".//{{{RAM}}}ApplicableTradeSettlementFinancialCard/{{{RAM}}}ID")
    assert card == "4242"
    check(etree.tostring(root))


# -- the visible PDF ---------------------------------------------------------------------------


def test_the_german_pdf_shows_every_particular(banked, make_invoice):
    invoice = _november(make_invoice)
    text = _text(invoice, particulars=["Alpha IT GmbH · Sitz Berlin · Amtsgericht Charlottenburg"])
    for particular in (
        "Alpha IT GmbH",
        "Hauptstraße 1",
        "10115 Berlin",
        "Kunde AG",
        "Ring 2",
        "80331 München",
        "USt-IdNr.: DE136695976",
        "Steuernummer: 30/123/45678",
        "USt-IdNr.: DE811907980",
        "Rechnungsnummer RE-2026-0001",
        "Rechnungsdatum 01.12.2026",
        "Leistungszeitraum 01.11.2026–30.11.2026",
        "10 Stk.",
        "Nettobetrag zu 19 % MwSt. 500,00 EUR",
        "19 % MwSt. 95,00 EUR",
        "Gesamtbetrag 595,00 EUR",
        "IBAN DE89 3704 0044 0532 0130 00",
        "BIC COBADEFFXXX",
        "Verwendungszweck RE-2026-0001",
        "Amtsgericht Charlottenburg",
    ):
        assert particular in text, particular
    assert "MwSt. S" not in text and " S " not in text


def test_the_girocode_asks_for_the_amount_due(banked, make_invoice):
    """EPC069-12 for 595.00 EUR to the workspace's IBAN, the number as remittance."""
    invoice = _november(make_invoice)
    page = invoice_html(einvoice_from_stripe(invoice))
    expected = segno.helpers.make_epc_qr(
        name="Alpha IT GmbH",
        iban=IBAN,
        amount=Decimal("595.00"),
        text="RE-2026-0001",
        bic="COBADEFFXXX",
    ).svg_data_uri(scale=3, border=0)
    assert html.escape(expected) in page or expected in page


def test_no_girocode_when_nothing_is_left_to_transfer(banked, make_invoice):
    invoice = _november(make_invoice, status="paid", amount_paid=59500, amount_remaining=0)
    assert "data:image/svg+xml" not in invoice_html(einvoice_from_stripe(invoice))


ENGLISH = ("Number", "Amount due", "Payable by", "Invoice", "Due", "Quantity", "Net", "VAT ")


def test_the_french_pdf_is_entirely_french(banked, make_invoice):
    """A French reverse-charge customer: French labels, dates and numbers; §14a wording."""
    invoice = _november(make_invoice, "reverse_charge")
    text = _text(invoice)
    for particular in (
        "Numéro de facture RE-2026-0001",
        "Date d’émission 01/12/2026",
        "Période de prestation du 01/11/2026 au 30/11/2026",
        "TVA 0 %, autoliquidation",
        "Autoliquidation",
        "Steuerschuldnerschaft des Leistungsempfängers",
        "N° TVA du preneur: FR40303265045",
        "Virement SEPA",
        "Montant dû",
        "500,00",
    ):
        assert particular in text, particular
    for word in ENGLISH:
        assert word not in text, word


def test_the_pdf_page_shows_the_period_and_bank(banked, make_invoice):
    """Read back from the real PDF (WeasyPrint)."""
    import io

    from pypdf import PdfReader

    invoice = _november(make_invoice)
    pdf = build_facturx_pdf(invoice)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "01.11.2026–30.11.2026" in text
    assert "DE89 3704 0044 0532 0130 00" in text
    check(embedded_xml(pdf))


def test_the_pdf_carries_the_company_particulars_in_the_customers_language(banked, make_invoice):
    """An invoice is a business letter (§35a GmbHG): seat, register and managing directors in
    the footer, in French for a French customer; read back from the real PDF."""
    import io

    from pypdf import PdfReader

    banked.legal_form, banked.registered_seat = "GmbH", "München"
    banked.register_court, banked.register_number = "Amtsgericht München", "HRB 123456"
    banked.managing_directors = "Anna Beispiel\nJonas Muster"
    banked.save()
    invoice = _november(make_invoice, "reverse_charge")
    pdf = build_facturx_pdf(invoice)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[-1].extract_text().split())
    assert "Amtsgericht München, HRB 123456" in text
    assert "Gérants : Anna Beispiel, Jonas Muster" in text
    assert "Managing director" not in text
    check(embedded_xml(pdf))


def test_no_particulars_block_when_the_workspace_has_none(make_invoice):
    """A workspace without particulars prints no empty footer block."""
    page = invoice_html(einvoice_from_stripe(_november(make_invoice)))
    assert 'id="particulars"' not in page
