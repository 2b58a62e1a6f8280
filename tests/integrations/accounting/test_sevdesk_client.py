"""The sevDesk seam over real HTTP against the sevDesk double: each call, sevDesk's error
bodies, finding an invoice by its reference after a 504 or a lost answer, and polling."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from integrations.accounting.http import RateLimited, Unauthorized, Unavailable, ValidationRefused
from integrations.accounting.tax import InvoiceTax
from integrations.sevdesk.client import Address, SevdeskClient
from integrations.sevdesk.tax import sevdesk_tax
from rules.tax import Supply, TaxTreatment

TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"
REF = "MSP-ws1-Q-2027-0007-2027-01"


@pytest.fixture
def sevdesk(sevdesk_emulator):
    return SevdeskClient(TOKEN, base_url=sevdesk_emulator.api_url, rate=0)


@pytest.fixture
def contact(sevdesk):
    contact, created = sevdesk.find_or_create_contact(
        "Kunde GmbH",
        "MSP-17",
        address=Address("Hauptstr. 5", "12345", "Musterort", "DE"),
        email="buchhaltung@kunde.example",
        vat_number="DE811115368",
    )
    assert created
    return contact


def invoice_parts(contact_id, treatment=TaxTreatment.DOMESTIC, rate="19", supply="services"):
    tax = sevdesk_tax(
        InvoiceTax.uniform(
            treatment,
            Decimal(rate),
            lines=1,
            supply=supply,
            supplier_vat_id="DE136695976",
            customer_vat_id="FR40303265045",
        )
    )
    invoice = {
        "contact": {"id": int(contact_id), "objectName": "Contact"},
        "contactPerson": {"id": 1, "objectName": "SevUser"},
        "invoiceDate": "31.01.2027",
        "deliveryDate": "01.01.2027",
        "deliveryDateUntil": "31.01.2027",
        "discount": 0,
        "addressCountry": {"id": 1, "objectName": "StaticCountry"},
        "currency": "EUR",
        "footText": tax.foot_text,
        **tax.invoice_fields(),
    }
    positions = [
        {
            "name": "Managed Workplace",
            "quantity": 12.5,
            "price": 19.9,
            "unity": {"id": 1, "objectName": "Unity"},
            "taxRate": float(tax.line_rates[0]),
        }
    ]
    return invoice, positions


def test_the_token_is_checked_against_the_bookkeeping_version(sevdesk, sevdesk_emulator):
    assert sevdesk.bookkeeping_version() == "2.0"
    wrong = SevdeskClient("0" * 32, base_url=sevdesk_emulator.api_url, rate=0)
    with pytest.raises(Unauthorized) as failure:
        wrong.bookkeeping_version()
    assert (failure.value.status, failure.value.message) == (401, "Authentication required")


def test_the_base_url_comes_from_the_deployment_setting(settings, sevdesk_emulator):
    settings.MSPERCURY_SEVDESK_API_URL = sevdesk_emulator.api_url
    assert SevdeskClient(TOKEN, rate=0).bookkeeping_version() == "2.0"


def test_check_accounts_are_listed(sevdesk):
    [account] = sevdesk.check_accounts()
    assert (account["id"], account["name"]) == ("1", "Geschäftskonto")


def test_a_contact_is_created_with_its_address_and_found_by_customer_number(sevdesk, contact):
    again, created = sevdesk.find_or_create_contact("Kunde GmbH", "MSP-17")
    assert (again["id"], created) == (contact["id"], False)
    assert (contact["customerNumber"], contact["vatNumber"]) == ("MSP-17", "DE811115368")
    [address] = sevdesk.addresses(contact["id"])
    assert (address["street"], address["zip"], address["city"]) == (
        "Hauptstr. 5",
        "12345",
        "Musterort",
    )
    assert address["country"] == {"id": "1", "objectName": "StaticCountry"}
    assert sevdesk.find_contact("MSP-18") is None


def test_a_contact_whose_answer_was_lost_is_found_not_made_twice(sevdesk, sevdesk_emulator):
    """The contact landed, its address and e-mail did not: the retry finds the contact and
    completes it, once."""
    details = {
        "address": Address("Hauptstr. 5", "12345", "Musterort", "DE"),
        "email": "buchhaltung@kunde.example",
    }
    sevdesk_emulator.fault("drop_after_write", "/api/v1/Contact", method="POST")
    with pytest.raises(Unavailable) as unavailable:
        sevdesk.find_or_create_contact("Kunde GmbH", "MSP-17", **details)
    assert unavailable.value.may_have_landed is True
    contact, created = sevdesk.find_or_create_contact("Kunde GmbH", "MSP-17", **details)
    assert created is False and contact["customerNumber"] == "MSP-17"
    sevdesk.find_or_create_contact("Kunde GmbH", "MSP-17", **details)
    assert len(sevdesk.addresses(contact["id"])) == 1
    assert [w["value"] for w in sevdesk.emails(contact["id"])] == ["buchhaltung@kunde.example"]


def test_an_invoice_is_saved_as_a_draft_with_the_reference(sevdesk, contact):
    """12.5 × 19.90 = 248.75 net; 19 % → 47.2625 → 47.26; 296.01 gross."""
    saved = sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)
    invoice = sevdesk.get_invoice(saved["invoice"]["id"])
    assert (invoice["status"], invoice["invoiceNumber"]) == ("100", "RE-1001")
    assert invoice["customerInternalNote"] == REF
    assert (invoice["sumNet"], invoice["sumTax"], invoice["sumGross"]) == (
        "248.75",
        "47.26",
        "296.01",
    )
    assert invoice["taxText"] == "Umsatzsteuer 19 %"


@pytest.mark.parametrize(
    ("treatment", "rate", "supply", "rule", "tax"),
    [
        (TaxTreatment.DOMESTIC, "7", "services", "1", "17.41"),
        (TaxTreatment.EU_NO_VAT_ID, "19", "services", "1", "47.26"),
        (TaxTreatment.REVERSE_CHARGE, "0", "services", "21", "0"),
        (TaxTreatment.INTRA_EU_GOODS, "0", Supply.GOODS, "3", "0"),
        (TaxTreatment.EXPORT, "0", "services", "17", "0"),
        (TaxTreatment.EXPORT, "0", Supply.GOODS, "2", "0"),
    ],
)
def test_the_double_takes_every_mapped_treatment(
    sevdesk, contact, treatment, rate, supply, rule, tax
):
    invoice, positions = invoice_parts(contact["id"], treatment, rate, supply)
    saved = sevdesk.get_invoice(sevdesk.save_invoice(invoice, positions, REF)["invoice"]["id"])
    assert saved["taxRule"] == {"id": rule, "objectName": "TaxRule"}
    assert (saved["taxText"], saved["footText"]) == (invoice["taxText"], invoice["footText"])
    assert saved["sumTax"] == tax


def test_a_422_keeps_sevdesk_s_message_verbatim(sevdesk, contact):
    invoice, positions = invoice_parts(contact["id"], TaxTreatment.REVERSE_CHARGE, "0")
    positions[0]["taxRate"] = 19
    with pytest.raises(ValidationRefused) as refused:
        sevdesk.save_invoice(invoice, positions, REF)
    assert (refused.value.status, refused.value.message) == (
        422,
        "taxRate 19 is not allowed for taxRule 21",
    )
    assert sevdesk.find_invoices(REF) == []


def test_a_400_keeps_sevdesk_s_message_verbatim(sevdesk, contact):
    invoice, positions = invoice_parts("999999")
    with pytest.raises(ValidationRefused) as refused:
        sevdesk.save_invoice(invoice, positions, REF)
    assert (refused.value.status, refused.value.message) == (400, "Contact was not found")


def test_the_reference_finds_only_its_invoice(sevdesk, contact):
    first = sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)["invoice"]
    sevdesk.save_invoice(*invoice_parts(contact["id"]), "MSP-ws1-Q-2027-0007-2027-02")
    assert [i["id"] for i in sevdesk.find_invoices(REF)] == [first["id"]]
    assert [i["id"] for i in sevdesk.find_invoices(REF, contact["id"])] == [first["id"]]
    assert sevdesk.find_invoices(REF, "424242") == []


@pytest.mark.parametrize("fault", ["timeout_after_write", "drop_after_write"])
def test_after_a_504_or_a_lost_answer_the_reference_finds_exactly_the_one_invoice(
    sevdesk, sevdesk_emulator, contact, fault
):
    sevdesk_emulator.fault(fault, "/api/v1/Invoice/Factory/saveInvoice", method="POST")
    with pytest.raises(Unavailable) as unavailable:
        sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)
    assert unavailable.value.may_have_landed is True
    [found] = sevdesk.find_invoices(REF, contact["id"])
    assert found["invoiceNumber"] == "RE-1001"


def test_sevdesk_s_504_is_a_proxy_page_not_its_error_body(sevdesk, sevdesk_emulator, contact):
    sevdesk_emulator.fault("timeout_after_write", "/api/v1/Invoice/Factory/saveInvoice")
    with pytest.raises(Unavailable) as unavailable:
        sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)
    assert (unavailable.value.status, unavailable.value.message) == (504, "HTTP 504")


def test_a_500_on_a_read_has_not_landed_anything(sevdesk, sevdesk_emulator):
    sevdesk_emulator.fault("error", "/api/v1/CheckAccount", method="GET")
    with pytest.raises(Unavailable) as unavailable:
        sevdesk.check_accounts()
    assert unavailable.value.may_have_landed is False
    assert unavailable.value.message == "Internal Server Error"


def test_429_is_rate_limited(sevdesk, sevdesk_emulator):
    sevdesk_emulator.fault("rate_limit", "/api/v1/CheckAccount")
    with pytest.raises(RateLimited) as limited:
        sevdesk.check_accounts()
    assert limited.value.retry_after == 1.0


def test_changed_invoices_bring_payments_made_in_sevdesk_back(sevdesk, sevdesk_emulator, contact):
    paid = sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)["invoice"]
    sevdesk.save_invoice(*invoice_parts(contact["id"]), "MSP-other")
    sevdesk.mark_sent(paid["id"])
    sevdesk_emulator.advance(60)
    since = datetime.fromtimestamp(sevdesk_emulator.now(), UTC)
    sevdesk_emulator.advance(60)
    sevdesk_emulator.pay(paid["id"], 296.01)
    [changed] = sevdesk.changed_invoices(since)
    assert (changed["id"], changed["status"]) == (paid["id"], "1000")


def test_the_pdf_is_decoded(sevdesk, contact):
    invoice_id = sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)["invoice"]["id"]
    pdf = sevdesk.get_pdf(invoice_id)
    assert pdf.content.startswith(b"%PDF")
    assert pdf.filename == "RE-1001.pdf"
    assert sevdesk.get_invoice(invoice_id)["status"] == "100"  # reading it sent nothing


def test_a_manual_payment_is_written_back(sevdesk, contact):
    """100 of 296.01 → partially paid (750); the remaining 196.01 → paid (1000)."""
    invoice_id = sevdesk.save_invoice(*invoice_parts(contact["id"]), REF)["invoice"]["id"]
    with pytest.raises(ValidationRefused) as refused:
        sevdesk.book_amount(invoice_id, Decimal("100.00"), date(2027, 2, 3), "1")
    assert refused.value.message == "A draft invoice can not be booked"
    assert sevdesk.mark_sent(invoice_id)["status"] == "200"
    log = sevdesk.book_amount(invoice_id, Decimal("100.00"), date(2027, 2, 3), "1")
    assert (log["fromStatus"], log["toStatus"], log["ammountPayed"]) == ("200", "750", "100")
    sevdesk.book_amount(invoice_id, Decimal("196.01"), date(2027, 2, 10), "1")
    invoice = sevdesk.get_invoice(invoice_id)
    assert (invoice["status"], invoice["paidAmount"]) == ("1000", 296.01)
