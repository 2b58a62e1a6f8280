"""The Lexware Office emulator over real HTTP: contacts, invoices, files, voucherlist, payments,
and Lexware's error bodies."""

import io
import re
import time
from datetime import datetime

import pypdf
import pytest

from tests.emulators.lexware.helpers import (
    contact_body,
    create_contact,
    create_invoice,
    invoice_body,
    line,
    lx,
)

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")


# -- contacts ---------------------------------------------------------------------------------
def test_a_contact_round_trip_with_billing_address_country_and_vat_id(lexware_emulator):
    created = lx(lexware_emulator, "POST", "/v1/contacts", contact_body())
    assert created.status == 201
    assert set(created.json) == {"id", "resourceUri", "createdDate", "updatedDate", "version"}
    assert created.json["version"] == 0
    assert created.headers["Location"] == created.json["resourceUri"]
    assert created.json["resourceUri"].endswith(f"/v1/contacts/{created.json['id']}")
    assert STAMP.match(created.json["createdDate"])

    contact = lx(lexware_emulator, "GET", f"/v1/contacts/{created.json['id']}").json
    assert contact["roles"] == {"customer": {"number": 10001}}  # assigned by Lexware
    assert contact["company"]["vatRegistrationId"] == "DE136695976"
    assert contact["addresses"]["billing"][0] == {
        "street": "Hauptstr. 5",
        "zip": "10115",
        "city": "Berlin",
        "countryCode": "DE",
    }
    assert contact["organizationId"] and contact["archived"] is False


def test_contacts_are_filtered_by_name_email_number_and_role(lexware_emulator):
    kunde = create_contact(lexware_emulator)
    create_contact(
        lexware_emulator,
        company={"name": "Johnson & Partner"},
        emailAddresses={"business": ["jp@example.test"]},
    )

    def ids(query):
        answer = lx(lexware_emulator, "GET", f"/v1/contacts?{query}")
        assert answer.status == 200
        assert {"content", "totalElements", "totalPages", "first", "last", "size"} <= set(
            answer.json
        )
        return [c["id"] for c in answer.json["content"]]

    assert ids("name=unde") == [kunde]  # a substring
    assert ids("name=K%25GmbH") == [kunde]  # % as wildcard
    assert len(ids("name=johnson%20%26amp%3B%20partner")) == 1  # html- then url-encoded
    assert ids("email=rechnung@kunde.test") == [kunde]
    assert ids("number=10001") == [kunde]
    assert ids("customer=true&size=1") == [kunde]
    assert ids("vendor=true") == []

    too_short = lx(lexware_emulator, "GET", "/v1/contacts?name=ab")
    assert too_short.status == 400
    assert too_short.json["IssueList"][0]["i18nKey"] == "bad_request_error"


def test_contact_validation_answers_the_legacy_issue_list(lexware_emulator):
    body = contact_body(company={"vatRegistrationId": "DE136695976"})
    body["addresses"] = {"billing": [{"city": "Berlin"}]}
    answer = lx(lexware_emulator, "POST", "/v1/contacts", body)
    assert answer.status == 406
    assert answer.json == {
        "IssueList": [
            {
                "i18nKey": "missing_entity",
                "source": "company.name",
                "type": "validation_failure",
                "additionalData": None,
                "args": None,
            },
            {
                "i18nKey": "missing_entity",
                "source": "addresses.billing[0].countryCode",
                "type": "validation_failure",
                "additionalData": None,
                "args": None,
            },
        ]
    }
    # A Leitweg-ID needs the vendor number at the customer.
    xrechnung = lx(
        lexware_emulator,
        "POST",
        "/v1/contacts",
        contact_body(xRechnung={"buyerReference": "04011000-1234512345-35"}),
    )
    assert xrechnung.status == 406
    assert xrechnung.json["IssueList"][0]["source"] == "xRechnung.vendorNumberAtCustomer"


def test_contact_updates_need_the_current_version(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    stale = lx(lexware_emulator, "PUT", f"/v1/contacts/{contact_id}", contact_body(version=3))
    assert stale.status == 409
    body = contact_body(version=0, company={"name": "Kunde AG"})
    updated = lx(lexware_emulator, "PUT", f"/v1/contacts/{contact_id}", body)
    assert updated.status == 200 and updated.json["version"] == 1
    contact = lx(lexware_emulator, "GET", f"/v1/contacts/{contact_id}").json
    assert contact["company"]["name"] == "Kunde AG"
    assert contact["roles"]["customer"]["number"] == 10001  # kept


# -- invoices ---------------------------------------------------------------------------------
def test_a_finalized_invoice_round_trip_computes_totals_and_keeps_fractions(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    lines = [
        line(quantity=12.5, net=19.9, rate=19),  # 248.75
        line(name="Schulung", quantity=1.25, net=80.0, rate=7),  # 100.00
        {"type": "text", "name": "Leistungszeitraum Januar 2027"},
    ]
    created = lx(
        lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id, lines)
    )
    assert created.status == 201
    assert created.headers["Location"].endswith(f"/v1/invoices/{created.json['id']}")

    invoice = lx(lexware_emulator, "GET", f"/v1/invoices/{created.json['id']}").json
    assert invoice["voucherStatus"] == "open"
    assert invoice["voucherNumber"] == "RE1001"
    assert invoice["lineItems"][0]["quantity"] == 12.5
    assert invoice["lineItems"][0]["lineItemAmount"] == 248.75
    assert invoice["lineItems"][0]["unitPrice"]["grossAmount"] == 23.68
    assert invoice["taxAmounts"] == [
        {"taxRatePercentage": 7.0, "taxAmount": 7.0, "netAmount": 100.0},
        {"taxRatePercentage": 19.0, "taxAmount": 47.26, "netAmount": 248.75},
    ]
    assert invoice["totalPrice"] == {
        "currency": "EUR",
        "totalNetAmount": 348.75,
        "totalGrossAmount": 403.01,
        "totalTaxAmount": 54.26,
    }
    assert invoice["shippingConditions"]["shippingType"] == "serviceperiod"
    assert invoice["shippingConditions"]["shippingEndDate"] == "2027-01-31T00:00:00.000+01:00"
    assert invoice["dueDate"] == "2027-01-15T00:00:00.000+01:00"  # the default 14 days
    assert invoice["address"]["contactId"] == contact_id
    assert invoice["address"]["name"] == "Kunde GmbH"
    assert invoice["address"]["countryCode"] == "DE"
    assert invoice["remark"] == "Ref: MSP-t1-Q-2027-0001-2027-01"
    assert invoice["files"]["documentFileId"]
    assert invoice["electronicDocumentProfile"] == "NONE"


def test_reverse_charge_and_gross_invoices(lexware_emulator):
    contact_id = create_contact(
        lexware_emulator,
        company={"name": "Dupont SARL", "vatRegistrationId": "FR40303265045"},
        addresses={"billing": [{"city": "Paris", "countryCode": "FR"}]},
    )
    note = "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)"
    reverse = create_invoice(
        lexware_emulator,
        contact_id,
        lines=[line(rate=0)],
        tax_type="externalService13b",
        taxConditions={"taxType": "externalService13b", "taxTypeNote": note},
    )
    invoice = lx(lexware_emulator, "GET", f"/v1/invoices/{reverse}").json
    assert invoice["taxConditions"] == {"taxType": "externalService13b", "taxTypeNote": note}
    assert invoice["totalPrice"]["totalTaxAmount"] == 0
    assert invoice["totalPrice"]["totalGrossAmount"] == 248.75

    gross_line = line(quantity=2, net=None, rate=19)
    gross_line["unitPrice"] = {"currency": "EUR", "grossAmount": 119.0, "taxRatePercentage": 19}
    gross = create_invoice(lexware_emulator, contact_id, lines=[gross_line], tax_type="gross")
    totals = lx(lexware_emulator, "GET", f"/v1/invoices/{gross}").json["totalPrice"]
    assert totals["totalGrossAmount"] == 238.0
    assert totals["totalNetAmount"] == 200.0
    assert totals["totalTaxAmount"] == 38.0


def test_only_eur_is_accepted_with_lexwares_regular_error_body(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    usd_line = line()
    usd_line["unitPrice"]["currency"] = "USD"
    body = invoice_body(contact_id, [usd_line], totalPrice={"currency": "USD"})
    answer = lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", body)
    assert answer.status == 406
    error = answer.json
    assert set(error) == {
        "timestamp",
        "status",
        "error",
        "path",
        "traceId",
        "message",
        "details",
    }
    assert error["status"] == 406 and error["error"] == "Not Acceptable"
    assert error["path"] == "/v1/invoices"
    assert error["message"] == (
        "Validation failed for request. Please see details list for specific causes."
    )
    assert {d["field"] for d in error["details"]} == {
        "lineItems[0].unitPrice.currency",
        "totalPrice.currency",
    }
    # Nothing was created.
    listed = lx(lexware_emulator, "GET", "/v1/voucherlist?voucherType=invoice&voucherStatus=any")
    assert listed.json["totalElements"] == 0


@pytest.mark.parametrize(
    ("change", "field", "violation"),
    [
        (lambda b: b["lineItems"][0]["unitPrice"].pop("taxRatePercentage"),
         "lineItems[0].unitPrice.taxRatePercentage", "NOTNULL"),
        (lambda b: b["lineItems"][0].update(quantity=1.23456),
         "lineItems[0].quantity", "DIGITS"),
        (lambda b: b.update(voucherDate="2027-01-01T00:00:00+01:00"),
         "voucherDate", "INVALID_FORMAT"),
        (lambda b: b["shippingConditions"].pop("shippingEndDate"),
         "shippingConditions.shippingEndDate", "NOTNULL"),
        (lambda b: b["taxConditions"].update(taxType="vatfree"),
         "lineItems[0].unitPrice.taxRatePercentage", "INVALID_VALUE"),
        (lambda b: b["lineItems"][0]["unitPrice"].update(taxRatePercentage=16),
         "lineItems[0].unitPrice.taxRatePercentage", "INVALID_VALUE"),
        (lambda b: b.update(title="x" * 26), "title", "SIZE"),
        (lambda b: b.update(lineItems=[line()] * 301), "lineItems", "SIZE"),
        (lambda b: b.update(address={"name": "Einmal", "countryCode": "AT"},
                            taxConditions={"taxType": "externalService13b"},
                            lineItems=[line(rate=0)]),
         "address.contactId", "INVALID_VALUE"),
    ],
)  # fmt: skip
def test_invoice_validation_names_the_field(lexware_emulator, change, field, violation):
    body = invoice_body(create_contact(lexware_emulator))
    change(body)
    answer = lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", body)
    assert answer.status == 406
    assert {"violation": violation, "field": field} in [
        {"violation": d["violation"], "field": d["field"]} for d in answer.json["details"]
    ]
    if violation == "NOTNULL":
        assert answer.json["details"][0]["message"] == "darf nicht leer sein"


def test_a_draft_has_no_number_no_file_and_no_payments(lexware_emulator):
    draft = create_invoice(lexware_emulator, create_contact(lexware_emulator), finalize=False)
    invoice = lx(lexware_emulator, "GET", f"/v1/invoices/{draft}").json
    assert invoice["voucherStatus"] == "draft" and "voucherNumber" not in invoice
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{draft}/file").status == 409
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{draft}/document").status == 406
    assert lx(lexware_emulator, "GET", f"/v1/payments/{draft}").status == 406
    # The user finalizes it in Lexware: it gets its number then.
    lexware_emulator.finalize(draft)
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{draft}").json["voucherNumber"] == "RE1001"


def test_the_document_file_is_a_pdf(lexware_emulator):
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    document = lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/document")
    assert document.status == 200
    file_id = document.json["documentFileId"]
    downloaded = lx(lexware_emulator, "GET", f"/v1/files/{file_id}", Accept="*/*")
    assert downloaded.status == 200
    assert downloaded.headers["Content-Type"] == "application/pdf"
    assert 'filename="Rechnung_RE1001.pdf"' in downloaded.headers["Content-Disposition"]
    text = pypdf.PdfReader(io.BytesIO(downloaded.raw)).pages[0].extract_text()
    assert "RE1001" in text and "296.01" in text  # 248.75 + 19 % = 296.01

    direct = lx(
        lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/file", Accept="application/pdf"
    )
    assert direct.status == 200 and direct.raw.startswith(b"%PDF-")
    xml = lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/file", Accept="application/xml")
    assert xml.status == 404  # a regular PDF invoice has no XML
    assert (
        lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/file", Accept="text/csv").status
        == 406
    )


def test_an_xrechnung_contact_gets_an_xrechnung_invoice(lexware_emulator):
    contact_id = create_contact(
        lexware_emulator,
        xRechnung={"buyerReference": "04011000-1234512345-35", "vendorNumberAtCustomer": "70123"},
    )
    invoice_id = create_invoice(lexware_emulator, contact_id)
    invoice = lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}").json
    assert invoice["electronicDocumentProfile"] == "XRechnung"
    default = lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/file", Accept="*/*")
    assert default.headers["Content-Type"] == "application/xml"
    preview = lx(
        lexware_emulator, "GET", f"/v1/invoices/{invoice_id}/file", Accept="application/pdf"
    )
    assert preview.raw.startswith(b"%PDF-")


# -- voucherlist: finding an invoice the client may have created ------------------------------
def test_the_voucherlist_finds_invoices_by_number_contact_and_dates(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    other = create_contact(lexware_emulator, company={"name": "Andere GmbH"})
    first = create_invoice(lexware_emulator, contact_id)
    create_invoice(lexware_emulator, other)
    draft = create_invoice(lexware_emulator, contact_id, finalize=False)

    def listed(query):
        answer = lx(lexware_emulator, "GET", f"/v1/voucherlist?{query}")
        assert answer.status == 200, answer.json
        return answer.json

    by_number = listed("voucherType=invoice&voucherStatus=any&voucherNumber=RE1001")["content"]
    assert [v["id"] for v in by_number] == [first]
    assert set(by_number[0]) == {
        "id", "voucherType", "voucherStatus", "voucherNumber", "voucherDate", "createdDate",
        "updatedDate", "dueDate", "contactId", "contactName", "totalAmount", "openAmount",
        "currency", "archived",
    }  # fmt: skip
    assert by_number[0]["totalAmount"] == 296.01 and by_number[0]["openAmount"] == 296.01

    today = lexware_emulator.emulator.clock.datetime().strftime("%Y-%m-%d")
    mine = listed(
        f"voucherType=invoice&voucherStatus=any&contactId={contact_id}&createdDateFrom={today}"
    )
    assert {v["id"] for v in mine["content"]} == {first, draft}
    drafts = listed("voucherType=invoice&voucherStatus=draft")["content"]
    assert [(v["id"], v["openAmount"]) for v in drafts] == [(draft, None)]
    assert listed("voucherType=invoice&voucherStatus=open")["totalElements"] == 2
    assert listed("voucherType=quotation&voucherStatus=any")["totalElements"] == 0
    paged = listed("voucherType=any&voucherStatus=any&size=2&page=1&sort=createdDate,ASC")
    assert paged["totalElements"] == 3 and paged["numberOfElements"] == 1
    assert paged["last"] is True and paged["first"] is False

    assert lx(lexware_emulator, "GET", "/v1/voucherlist?voucherType=invoice").status == 400
    too_big = lx(
        lexware_emulator, "GET", "/v1/voucherlist?voucherType=any&voucherStatus=any&size=251"
    )
    assert too_big.status == 400


def test_the_clock_makes_open_invoices_overdue(lexware_emulator):
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    voucherlist = "/v1/voucherlist?voucherType=invoice&voucherStatus="
    assert lx(lexware_emulator, "GET", voucherlist + "overdue").json["totalElements"] == 0
    before = lexware_emulator.now()
    lexware_emulator.advance(days=400)
    assert lexware_emulator.now() - before >= 400 * 86400
    overdue = lx(lexware_emulator, "GET", voucherlist + "overdue").json["content"]
    assert [v["id"] for v in overdue] == [invoice_id]
    # overdue is transient: filtering for open shows it too, with the overdue status.
    assert (
        lx(lexware_emulator, "GET", voucherlist + "open").json["content"][0]["voucherStatus"]
        == "overdue"
    )
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}").json["voucherStatus"] == "open"
    # Objects made now carry the moved clock.
    created = lx(lexware_emulator, "POST", "/v1/contacts", contact_body()).json["createdDate"]
    assert datetime.fromisoformat(created).timestamp() >= time.time() + 399 * 86400


# -- payments ---------------------------------------------------------------------------------
def test_payments_read_open_partially_paid_and_paid(lexware_emulator):
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    state = lx(lexware_emulator, "GET", f"/v1/payments/{invoice_id}").json
    assert state == {
        "openAmount": 296.01,
        "currency": "EUR",
        "paymentStatus": "openRevenue",
        "voucherType": "invoice",
        "voucherStatus": "open",
        "paymentItems": [],
    }
    lexware_emulator.pay(invoice_id, 100)  # a partial bank transfer
    state = lx(lexware_emulator, "GET", f"/v1/payments/{invoice_id}").json
    assert state["openAmount"] == 196.01 and state["voucherStatus"] == "open"
    assert state["paymentItems"][0]["paymentItemType"] == "partPaymentFinancialTransaction"
    assert state["paymentItems"][0]["amount"] == 100.0
    listed = lx(lexware_emulator, "GET", "/v1/voucherlist?voucherType=invoice&voucherStatus=open")
    assert listed.json["content"][0]["openAmount"] == 196.01

    lexware_emulator.pay(invoice_id, 196.01)
    state = lx(lexware_emulator, "GET", f"/v1/payments/{invoice_id}").json
    assert state["paymentStatus"] == "balanced" and state["openAmount"] == 0
    assert state["voucherStatus"] == "paid" and STAMP.match(state["paidDate"])
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}").json["voucherStatus"] == "paid"


# -- auth, routes, tenants --------------------------------------------------------------------
def test_a_missing_or_wrong_key_is_401_unauthorized(lexware_emulator):
    for key in (None, "wrong-key"):
        answer = lx(lexware_emulator, "GET", "/v1/profile", key=key)
        assert answer.status == 401
        assert answer.json == {"message": "Unauthorized"}
    basic = lx(lexware_emulator, "GET", "/v1/profile", key=None, Authorization="Basic abc")
    assert basic.status == 401
    profile = lx(lexware_emulator, "GET", "/v1/profile")
    assert profile.status == 200 and profile.json["organizationId"]
    # Lexware's gateway answers an unknown route with 403 and this message.
    unknown = lx(lexware_emulator, "GET", "/v1/nonsense")
    assert unknown.status == 403 and "not a valid key=value pair" in unknown.json["message"]


def test_each_key_sees_only_its_organization(lexware_emulator):
    other = lexware_emulator.add_key("other-key", name="Andere Organisation")
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}", key="other-key").status == 404
    profile = lx(lexware_emulator, "GET", "/v1/profile", key="other-key").json
    assert profile["organizationId"] == other["organizationId"]
    lexware_emulator.revoke_key("other-key")
    assert lx(lexware_emulator, "GET", "/v1/profile", key="other-key").status == 401
