"""The Lexware Office seam over real HTTP against the Lexware double: each call, the errors as
Lexware sends them, and finding an invoice again after a 504 or a lost answer."""

import base64
import json
from datetime import date
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from integrations.accounting.http import (
    Conflict,
    NotFound,
    RateLimited,
    Refused,
    Unauthorized,
    Unavailable,
    ValidationRefused,
)
from integrations.accounting.tax import InvoiceTax
from integrations.lexware.client import LexwareClient, fetch_public_key, verify_signature
from integrations.lexware.tax import lexware_tax
from rules.tax import Supply, TaxTreatment

KEY = "lexware-emulator-key"
REF = "MSP-ws1-Q-2027-0007-2027-01"


@pytest.fixture
def lexware(lexware_emulator):
    return LexwareClient(KEY, base_url=lexware_emulator.base_url, rate=0)


CONTACT = {
    "company": {"name": "Kunde GmbH", "vatRegistrationId": "DE811115368"},
    "addresses": {
        "billing": [
            {"street": "Hauptstr. 5", "zip": "12345", "city": "Musterort", "countryCode": "DE"}
        ]
    },
}


def invoice_body(contact_id, treatment=TaxTreatment.DOMESTIC, rate="19", supply="services"):
    tax = lexware_tax(
        InvoiceTax.uniform(
            treatment,
            Decimal(rate),
            lines=1,
            supply=supply,
            supplier_vat_id="DE136695976",
            customer_vat_id="FR40303265045",
        )
    )
    return {
        "voucherDate": "2027-01-01T00:00:00.000+01:00",
        "address": {"contactId": contact_id},
        "lineItems": [
            {
                "type": "custom",
                "name": "Managed Workplace (Monat)",
                "quantity": 12.5,
                "unitName": "Stück",
                "unitPrice": {
                    "currency": "EUR",
                    "netAmount": 19.9,
                    "taxRatePercentage": float(tax.line_rates[0]),
                },
            }
        ],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": tax.tax_conditions(),
        "shippingConditions": {
            "shippingType": "serviceperiod",
            "shippingDate": "2027-01-01T00:00:00.000+01:00",
            "shippingEndDate": "2027-01-31T00:00:00.000+01:00",
        },
        "language": tax.language,
        "remark": "Vielen Dank für Ihren Auftrag.",
    }


@pytest.fixture
def contact_id(lexware):
    contact_id, created = lexware.find_or_create_contact(CONTACT, "MSP-ws1-customer-17")
    assert created
    return contact_id


def test_the_key_is_checked_against_the_profile(lexware, lexware_emulator):
    assert lexware.profile()["companyName"] == "Emulator GmbH"
    wrong = LexwareClient("not-a-key", base_url=lexware_emulator.base_url, rate=0)
    with pytest.raises(Unauthorized) as failure:
        wrong.profile()
    assert (failure.value.status, failure.value.message) == (401, "Unauthorized")


def test_a_contact_is_created_once_and_found_by_the_reference_in_its_note(lexware, contact_id):
    again, created = lexware.find_or_create_contact(CONTACT, "MSP-ws1-customer-17")
    assert (again, created) == (contact_id, False)
    stored = lexware.get_contact(contact_id)
    assert stored["note"] == "MSPercury-Ref: MSP-ws1-customer-17"
    assert stored["roles"]["customer"]["number"] == 10001
    other, created = lexware.find_or_create_contact(CONTACT, "MSP-ws1-customer-18")
    assert created and other != contact_id


def test_a_contact_whose_answer_was_lost_is_found_not_made_twice(lexware, lexware_emulator):
    lexware_emulator.fault("drop_after_write", "/v1/contacts", method="POST")
    with pytest.raises(Unavailable) as unavailable:
        lexware.find_or_create_contact(CONTACT, "MSP-ws1-customer-17")
    assert unavailable.value.may_have_landed is True
    contact_id, created = lexware.find_or_create_contact(CONTACT, "MSP-ws1-customer-17")
    assert created is False
    assert [c["id"] for c in lexware.find_contacts(name="Kunde GmbH")] == [contact_id]


def test_a_finalized_invoice_carries_the_reference_and_lexware_s_totals(lexware, contact_id):
    """12.5 × 19.90 = 248.75 net; 19 % of it 47.2625 → 47.26; 296.01 gross."""
    created = lexware.create_invoice(invoice_body(contact_id), REF)
    invoice = lexware.get_invoice(created["id"])
    assert invoice["voucherStatus"] == "open"
    assert invoice["voucherNumber"] == "RE1001"
    assert invoice["remark"] == "Vielen Dank für Ihren Auftrag.\nMSPercury-Ref: " + REF
    assert invoice["totalPrice"]["totalNetAmount"] == 248.75
    assert invoice["totalPrice"]["totalTaxAmount"] == 47.26
    assert invoice["totalPrice"]["totalGrossAmount"] == 296.01


@pytest.mark.parametrize(
    ("treatment", "rate", "supply", "tax_type", "tax"),
    [
        (TaxTreatment.DOMESTIC, "7", "services", "net", 17.41),  # 248.75 × 7 % = 17.4125
        (TaxTreatment.EU_NO_VAT_ID, "19", "services", "net", 47.26),
        (TaxTreatment.REVERSE_CHARGE, "0", "services", "externalService13b", 0.0),
        (TaxTreatment.INTRA_EU_GOODS, "0", Supply.GOODS, "intraCommunitySupply", 0.0),
        (TaxTreatment.EXPORT, "0", "services", "thirdPartyCountryService", 0.0),
        (TaxTreatment.EXPORT, "0", Supply.GOODS, "thirdPartyCountryDelivery", 0.0),
    ],
)
def test_the_double_takes_every_mapped_treatment(
    lexware, contact_id, treatment, rate, supply, tax_type, tax
):
    body = invoice_body(contact_id, treatment, rate, supply)
    invoice = lexware.get_invoice(lexware.create_invoice(body, REF)["id"])
    assert invoice["taxConditions"]["taxType"] == tax_type
    assert invoice["taxConditions"].get("taxTypeNote", "") == body["taxConditions"].get(
        "taxTypeNote", ""
    )
    assert invoice["totalPrice"]["totalTaxAmount"] == tax
    assert invoice["totalPrice"]["totalGrossAmount"] == round(248.75 + tax, 2)


def test_a_406_keeps_lexware_s_message_and_details_verbatim(lexware, contact_id):
    body = invoice_body(contact_id)
    body["totalPrice"]["currency"] = "USD"
    with pytest.raises(ValidationRefused) as refused:
        lexware.create_invoice(body, REF)
    failure = refused.value
    assert failure.status == 406
    assert failure.message == (
        "Validation failed for request. Please see details list for specific causes."
    )
    assert {
        "violation": "INVALID_CURRENCY",
        "field": "totalPrice.currency",
        "message": "Aktuell wird nur EUR unterstützt",
    } in failure.details
    assert "totalPrice.currency: Aktuell wird nur EUR unterstützt" in str(failure)
    assert json.loads(failure.body)["status"] == 406


def test_a_legacy_406_of_contacts_keeps_the_issue_list(lexware):
    with pytest.raises(ValidationRefused) as refused:
        lexware.create_contact({"company": {}}, "MSP-x")
    assert refused.value.message == "missing_entity"
    assert refused.value.details[0]["source"] == "company.name"
    assert str(refused.value) == "missing_entity; company.name: missing_entity"


def test_429_is_rate_limited_and_nothing_was_created(lexware, lexware_emulator, contact_id):
    lexware_emulator.fault("rate_limit", "/v1/invoices", method="POST")
    with pytest.raises(RateLimited) as limited:
        lexware.create_invoice(invoice_body(contact_id), REF)
    assert (limited.value.retry_after, limited.value.message) == (1.0, "Too Many Requests")
    assert lexware.find_invoices(REF, contact_id, date.today()) == []


@pytest.mark.parametrize("fault", ["timeout_after_write", "drop_after_write"])
def test_after_a_504_or_a_lost_answer_the_reference_finds_exactly_the_one_invoice(
    lexware, lexware_emulator, contact_id, fault
):
    lexware.create_invoice(invoice_body(contact_id), "MSP-ws1-Q-2027-0007-2026-12")
    lexware_emulator.fault(fault, "/v1/invoices", method="POST")
    with pytest.raises(Unavailable) as unavailable:
        lexware.create_invoice(invoice_body(contact_id), REF)
    assert unavailable.value.may_have_landed is True
    found = lexware.find_invoices(REF, contact_id, date.today())
    assert [f["voucherNumber"] for f in found] == ["RE1002"]
    assert lexware.find_invoices("MSP-ws1-Q-2027-0007-2027-02", contact_id, date.today()) == []


def test_the_504_body_is_lexware_s(lexware, lexware_emulator, contact_id):
    lexware_emulator.fault("timeout_after_write", "/v1/invoices", method="POST")
    with pytest.raises(Unavailable) as unavailable:
        lexware.create_invoice(invoice_body(contact_id), REF)
    assert (unavailable.value.status, unavailable.value.message) == (
        504,
        "Endpoint request timed out",
    )


def test_a_5xx_on_a_read_or_before_the_write_has_not_landed(lexware, lexware_emulator):
    lexware_emulator.fault("error", "/v1/profile", status=503)
    with pytest.raises(Unavailable) as unavailable:
        lexware.profile()
    assert (unavailable.value.status, unavailable.value.may_have_landed) == (503, False)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationRefused),
        (402, Refused),  # Lexware: a problem with the organization's contract
        (403, Refused),
        (404, NotFound),
        (409, Conflict),
        (415, Refused),
        (500, Unavailable),
        (502, Unavailable),
        (503, Unavailable),
    ],
)
def test_each_status_has_its_failure(lexware, lexware_emulator, status, kind):
    lexware_emulator.fault("error", "/v1/invoices", method="POST", status=status)
    with pytest.raises(kind) as failure:
        lexware.create_invoice({}, REF)
    assert (type(failure.value), failure.value.status) == (kind, status)
    assert failure.value.message == f"HTTP {status}"  # the double's {"message": null}
    if kind is Unavailable:
        assert failure.value.may_have_landed is False


def test_the_base_url_comes_from_the_deployment_setting(settings, lexware_emulator):
    settings.MSPERCURY_LEXWARE_API_URL = lexware_emulator.base_url
    assert LexwareClient(KEY, rate=0).profile()["organizationId"]


def test_an_unreachable_lexware_never_got_the_write():
    client = LexwareClient(KEY, base_url="http://127.0.0.1:9", rate=0, timeout=2)
    with pytest.raises(Unavailable) as unavailable:
        client.create_invoice({"lineItems": []}, REF)
    assert unavailable.value.may_have_landed is False


def test_a_write_whose_answer_times_out_may_have_landed(lexware, lexware_emulator, contact_id):
    slow = LexwareClient(KEY, base_url=lexware_emulator.base_url, rate=0, timeout=0.5)
    lexware_emulator.fault("timeout_after_write", "/v1/invoices", method="POST", delay=1.5)
    with pytest.raises(Unavailable) as unavailable:
        slow.create_invoice(invoice_body(contact_id), REF)
    assert unavailable.value.may_have_landed is True
    assert len(lexware.find_invoices(REF, contact_id, date.today())) == 1


def test_payments_are_read_back(lexware, lexware_emulator, contact_id):
    invoice_id = lexware.create_invoice(invoice_body(contact_id), REF)["id"]
    lexware_emulator.pay(invoice_id, 100)
    payments = lexware.get_payments(invoice_id)
    assert payments["openAmount"] == 196.01
    assert payments["paymentStatus"] == "openRevenue"
    assert [i["amount"] for i in payments["paymentItems"]] == [100]
    lexware_emulator.pay(invoice_id, 196.01)
    assert lexware.get_payments(invoice_id)["voucherStatus"] == "paid"


def test_the_pdf_is_lexware_s_file_and_a_draft_has_none(lexware, contact_id):
    invoice_id = lexware.create_invoice(invoice_body(contact_id), REF)["id"]
    pdf = lexware.get_invoice_file(invoice_id)
    assert pdf.content.startswith(b"%PDF")
    assert (pdf.content_type, pdf.filename) == ("application/pdf", "Rechnung_RE1001.pdf")
    draft_id = lexware.create_invoice(invoice_body(contact_id), "MSP-draft", finalize=False)["id"]
    with pytest.raises(Conflict):
        lexware.get_invoice_file(draft_id)
    with pytest.raises(NotFound):
        lexware.get_invoice("00000000-0000-0000-0000-000000000000")


def test_event_subscriptions_are_made_listed_refused_twice_and_deleted(lexware, callback_receiver):
    made = lexware.create_event_subscription("payment.changed", callback_receiver.url)
    assert callback_receiver.heads == 1
    listed = lexware.event_subscriptions()
    assert [(s["subscriptionId"], s["eventType"]) for s in listed] == [
        (made["id"], "payment.changed")
    ]
    with pytest.raises(Conflict):
        lexware.create_event_subscription("payment.changed", callback_receiver.url)
    lexware.delete_event_subscription(made["id"])
    assert lexware.event_subscriptions() == []


def test_a_callback_s_signature_is_verified_before_anything_is_read(
    lexware, lexware_emulator, callback_receiver, contact_id
):
    lexware.create_event_subscription("payment.changed", callback_receiver.url)
    invoice_id = lexware.create_invoice(invoice_body(contact_id), REF)["id"]
    lexware_emulator.pay(invoice_id, 296.01)
    lexware_emulator.flush_webhooks()
    [callback] = callback_receiver.received
    key = fetch_public_key(lexware_emulator.base_url + "/webhookSignature/public/public_key.pub")
    assert key.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert verify_signature(callback["body"], callback["signature"], key)
    assert json.loads(callback["body"])["resourceId"] == invoice_id
    tampered = callback["body"].replace(invoice_id.encode(), b"0" * len(invoice_id))
    assert not verify_signature(tampered, callback["signature"], key)
    assert not verify_signature(callback["body"], callback["signature"][:-4] + "AAA=", key)
    assert not verify_signature(callback["body"], "not base64!", key)
    assert not verify_signature(callback["body"], None, key)


def test_a_signature_made_with_another_key_is_refused(lexware_emulator):
    """Signed by someone else's key pair: the body is right, the signer is not Lexware."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = b'{"organizationId":"x","eventType":"payment.changed","resourceId":"y"}'
    signature = base64.b64encode(other.sign(body, padding.PKCS1v15(), SHA512())).decode()
    lexware_key = lexware_emulator.public_key().encode()
    other_key = other.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert verify_signature(body, signature, other_key)
    assert not verify_signature(body, signature, lexware_key)
