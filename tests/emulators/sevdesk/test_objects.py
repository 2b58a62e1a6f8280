"""The sevDesk emulator over real HTTP: contacts, saveInvoice, filters for polling, status
changes, payments, the PDF, and sevDesk's error bodies."""

import base64
import io
import re

import pypdf
import pytest

from tests.emulators.sevdesk.helpers import (
    book,
    create_contact,
    create_invoice,
    invoice_payload,
    position,
    sd,
)

UUID = re.compile(r"^[0-9a-f-]{36}$")


def assert_error(answer, status, fragment):
    assert answer.status == status, answer.json
    assert set(answer.json) == {"error"}
    assert set(answer.json["error"]) == {"message", "exceptionUUID"}
    assert fragment in answer.json["error"]["message"]
    assert UUID.match(answer.json["error"]["exceptionUUID"])


# -- contacts ---------------------------------------------------------------------------------
def test_a_contact_with_address_and_email_round_trip(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    address = sd(
        sevdesk_emulator,
        "POST",
        "/ContactAddress",
        {
            "contact": {"id": int(contact_id), "objectName": "Contact"},
            "street": "Hauptstr. 5",
            "zip": "10115",
            "city": "Berlin",
            "country": {"id": 1, "objectName": "StaticCountry"},
            "category": {"id": 47, "objectName": "Category"},
        },
    )
    assert address.status == 201
    email = sd(
        sevdesk_emulator,
        "POST",
        "/CommunicationWay",
        {
            "contact": {"id": int(contact_id), "objectName": "Contact"},
            "type": "EMAIL",
            "value": "rechnung@kunde.test",
            "key": {"id": 8, "objectName": "CommunicationWayKey"},
            "main": True,
        },
    )
    assert email.status == 201 and email.json["objects"]["value"] == "rechnung@kunde.test"

    contact = sd(sevdesk_emulator, "GET", f"/Contact/{contact_id}").json["objects"][0]
    assert contact["id"] == contact_id and isinstance(contact["id"], str)
    assert contact["objectName"] == "Contact"
    assert contact["category"] == {"id": "3", "objectName": "Category"}
    assert contact["vatNumber"] == "DE136695976"
    assert contact["buyerReference"] == "04011000-1234512345-35"
    assert contact["customerNumber"] == "1001"
    addresses = sd(sevdesk_emulator, "GET", f"/ContactAddress?contact[id]={contact_id}").json
    assert addresses["objects"][0]["city"] == "Berlin"
    assert addresses["objects"][0]["country"] == {"id": "1", "objectName": "StaticCountry"}

    found = sd(sevdesk_emulator, "GET", "/Contact?customerNumber=1001&countAll=true").json
    assert found["total"] == "1" and found["objects"][0]["id"] == contact_id
    assert sd(sevdesk_emulator, "GET", "/Contact?name=unde").json["objects"][0]["id"] == contact_id


def test_a_contact_needs_a_category(sevdesk_emulator):
    answer = sd(sevdesk_emulator, "POST", "/Contact", {"name": "Ohne Kategorie"})
    assert_error(answer, 400, "category")
    assert sd(sevdesk_emulator, "GET", "/Contact/999999").status == 400


# -- invoices ---------------------------------------------------------------------------------
def test_save_invoice_round_trip_with_string_numbers_and_fractions(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    answer = sd(
        sevdesk_emulator,
        "POST",
        "/Invoice/Factory/saveInvoice",
        invoice_payload(contact_id, [position(), position(1.25, 80, 7, "Schulung")]),
    )
    assert answer.status == 201
    saved = answer.json["objects"]
    assert set(saved) == {"invoice", "invoicePos", "filename"}
    invoice = saved["invoice"]
    assert invoice["status"] == "100"  # drafts only (Update 2.0)
    assert invoice["invoiceNumber"] == "RE-1001"
    assert invoice["sumNet"] == "348.75"
    assert invoice["sumTax"] == "54.26"  # 19 % of 248.75 = 47.26, 7 % of 100 = 7
    assert invoice["sumGross"] == "403.01"
    assert invoice["paidAmount"] == 0
    assert invoice["taxRule"] == {"id": "1", "objectName": "TaxRule"}
    assert invoice["contact"] == {"id": contact_id, "objectName": "Contact"}
    assert invoice["invoiceDate"].startswith("2027-01-01T00:00:00+01:00")
    assert invoice["customerInternalNote"] == "MSP-t1-Q-2027-0001-2027-01"
    assert [p["quantity"] for p in saved["invoicePos"]] == ["12.5", "1.25"]
    assert saved["invoicePos"][0]["priceNet"] == "19.9"
    assert saved["invoicePos"][0]["priceGross"] == "23.681"

    fetched = sd(sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}").json["objects"]
    assert fetched == [invoice]
    positions = sd(sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}/getPositions").json
    assert len(positions["objects"]) == 2


def test_reverse_charge_18b_takes_only_zero_percent(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator, "Dupont SARL")
    wrong = sd(
        sevdesk_emulator,
        "POST",
        "/Invoice/Factory/saveInvoice",
        invoice_payload(contact_id, [position(rate=19)], rule="21"),
    )
    assert_error(wrong, 422, "taxRate 19 is not allowed for taxRule 21")
    invoice = create_invoice(
        sevdesk_emulator, contact_id, positions=[position(rate=0)], rule="21",
        taxText="Steuerschuldnerschaft des Leistungsempfängers",
    )  # fmt: skip
    assert invoice["sumTax"] == "0" and invoice["sumGross"] == "248.75"
    advance = invoice_payload(contact_id, [position(rate=0)], rule="21", invoiceType="AR")
    assert_error(sd(sevdesk_emulator, "POST", "/Invoice/Factory/saveInvoice", advance), 422, "AR")


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        (lambda p: p["invoice"].pop("invoiceDate"), 400, "invoice.invoiceDate"),
        (lambda p: p["invoice"].update(status=200), 422, "DRAFT (100)"),
        (lambda p: p["invoice"].update(deliveryDate="01.02.2027"), 422, "deliveryDate"),
        (lambda p: p["invoice"].update(taxRule={"id": "19", "objectName": "TaxRule"}), 422,
         "One Stop Shop"),
        (lambda p: p["invoicePosSave"][0].pop("unity"), 400, "unity"),
        (lambda p: p["invoice"].update(contact={"id": 424242, "objectName": "Contact"}), 400,
         "Contact was not found"),
    ],
)  # fmt: skip
def test_save_invoice_validation(sevdesk_emulator, change, status, fragment):
    payload = invoice_payload(create_contact(sevdesk_emulator))
    change(payload)
    answer = sd(sevdesk_emulator, "POST", "/Invoice/Factory/saveInvoice", payload)
    assert_error(answer, status, fragment)
    assert sd(sevdesk_emulator, "GET", "/Invoice").json["objects"] == []


def test_a_draft_can_be_updated_through_save_invoice(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    invoice = create_invoice(sevdesk_emulator, contact_id)
    first_position = sd(sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}/getPositions").json
    payload = invoice_payload(contact_id, [position(quantity=2, price=50)])
    payload["invoice"]["id"] = int(invoice["id"])
    payload["invoicePosDelete"] = [
        {"id": int(first_position["objects"][0]["id"]), "objectName": "InvoicePos"}
    ]
    answer = sd(sevdesk_emulator, "POST", "/Invoice/Factory/saveInvoice", payload)
    assert answer.status == 200
    assert answer.json["objects"]["invoice"]["sumNet"] == "100"
    assert answer.json["objects"]["invoice"]["invoiceNumber"] == invoice["invoiceNumber"]


def test_filters_find_the_invoice_by_reference_contact_and_header(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    other = create_contact(sevdesk_emulator, "Andere GmbH")
    mine = create_invoice(sevdesk_emulator, contact_id, header="MSP Rechnung Januar")
    create_invoice(sevdesk_emulator, other, customerInternalNote="something else")

    def ids(query):
        answer = sd(sevdesk_emulator, "GET", f"/Invoice?{query}")
        assert answer.status == 200
        return [i["id"] for i in answer.json["objects"]]

    assert ids("customerIntenalNote=MSP-t1-Q-2027-0001-2027-01") == [mine["id"]]
    assert ids("customerInternalNote=MSP-t1-Q-2027-0001-2027-01") == [mine["id"]]
    assert ids(f"contact[id]={contact_id}&contact[objectName]=Contact") == [mine["id"]]
    assert ids("headerStartsWith=MSP%20Rechnung") == [mine["id"]]
    assert ids("invoiceNumber=RE-1002") != [mine["id"]]
    assert len(ids("status=100")) == 2
    page = sd(sevdesk_emulator, "GET", "/Invoice?limit=1&offset=1&countAll=true").json
    assert page["total"] == "2" and len(page["objects"]) == 1


def test_polling_with_update_after_sees_a_bank_transfer(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    paid = create_invoice(sevdesk_emulator, contact_id)
    create_invoice(sevdesk_emulator, contact_id)
    for invoice_id in (paid["id"],):
        sent = sd(sevdesk_emulator, "PUT", f"/Invoice/{invoice_id}/sendBy",
                  {"sendType": "VPR", "sendDraft": False})  # fmt: skip
        assert sent.json["objects"]["status"] == "200"
    checkpoint = int(sevdesk_emulator.now())
    assert (
        sd(sevdesk_emulator, "GET", f"/Invoice?updateAfter={checkpoint + 1}").json["objects"] == []
    )

    sevdesk_emulator.advance(days=20)
    log = sevdesk_emulator.pay(paid["id"], 100)  # a partial bank transfer
    assert (log["fromStatus"], log["toStatus"]) == ("200", "750")
    changed = sd(sevdesk_emulator, "GET", f"/Invoice?updateAfter={checkpoint + 1}").json["objects"]
    assert [(i["id"], i["status"], i["paidAmount"]) for i in changed] == [
        (paid["id"], "750", 100.0)
    ]
    assert sd(sevdesk_emulator, "GET", f"/Invoice/{paid['id']}/getIsPartiallyPaid").json == {
        "objects": True
    }
    assert len(sd(sevdesk_emulator, "GET", "/Invoice?partiallyPaid=true").json["objects"]) == 1

    sevdesk_emulator.pay(paid["id"], 196.01)
    final = sd(sevdesk_emulator, "GET", f"/Invoice/{paid['id']}").json["objects"][0]
    assert final["status"] == "1000" and final["paidAmount"] == 296.01
    assert final["payDate"] is not None


def test_book_amount_partial_then_full_and_not_on_drafts(sevdesk_emulator):
    invoice = create_invoice(sevdesk_emulator, create_contact(sevdesk_emulator))
    assert_error(book(sevdesk_emulator, invoice["id"], 50), 400, "draft")
    mail = sd(
        sevdesk_emulator,
        "POST",
        f"/Invoice/{invoice['id']}/sendViaEmail",
        {"toEmail": "rechnung@kunde.test", "subject": "Rechnung", "text": "<p>Anbei</p>"},
    )
    assert mail.status == 201
    assert sevdesk_emulator.mails(invoice["id"])[0]["to"] == "rechnung@kunde.test"
    partial = book(sevdesk_emulator, invoice["id"], 96.01)
    assert partial.status == 200
    assert partial.json["objectName"] == "InvoiceLog"
    assert (partial.json["fromStatus"], partial.json["toStatus"]) == ("200", "750")
    rest = book(sevdesk_emulator, invoice["id"], 200, kind="FULL_PAYMENT")
    assert rest.json["toStatus"] == "1000" and rest.json["ammountPayed"] == "296.01"
    assert_error(book(sevdesk_emulator, invoice["id"], 1), 400, "already paid")
    # A skonto booking closes an invoice with less than the open amount.
    other = create_invoice(sevdesk_emulator, create_contact(sevdesk_emulator, "Skonto KG"))
    sd(
        sevdesk_emulator,
        "PUT",
        f"/Invoice/{other['id']}/sendBy",
        {"sendType": "VM", "sendDraft": False},
    )
    assert book(sevdesk_emulator, other["id"], 290, kind="CB").json["toStatus"] == "1000"


def test_get_pdf_is_base64_json(sevdesk_emulator):
    invoice = create_invoice(sevdesk_emulator, create_contact(sevdesk_emulator))
    answer = sd(
        sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}/getPdf?download=true&preventSendBy=true"
    )
    pdf = answer.json["objects"]
    assert pdf["filename"] == "RE-1001.pdf" and pdf["mimeType"] == "application/pdf"
    assert pdf["base64encoded"] is True
    raw = base64.b64decode(pdf["content"])
    text = pypdf.PdfReader(io.BytesIO(raw)).pages[0].extract_text()
    assert "RE-1001" in text and "296.01" in text
    # getPdf is not sending: the draft stays a draft.
    assert (
        sd(sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}").json["objects"][0]["status"]
        == "100"
    )


# -- auth, tenants, lookups -------------------------------------------------------------------
def test_the_raw_token_authenticates_and_anything_else_is_401(sevdesk_emulator):
    from emulators.sevdesk import DEFAULT_TOKEN

    for token in (None, "0" * 32, f"Bearer {DEFAULT_TOKEN}"):
        assert_error(sd(sevdesk_emulator, "GET", "/Contact", token=token), 401, "Authentication")
    assert sd(sevdesk_emulator, "GET", "/Tools/bookkeepingSystemVersion").json == {
        "objects": {"version": "2.0"}
    }


def test_each_token_sees_only_its_sev_client(sevdesk_emulator):
    other = sevdesk_emulator.add_token(name="Andere GmbH")["token"]
    invoice = create_invoice(sevdesk_emulator, create_contact(sevdesk_emulator))
    assert sd(sevdesk_emulator, "GET", f"/Invoice/{invoice['id']}", token=other).status == 400
    assert sd(sevdesk_emulator, "GET", "/Invoice", token=other).json["objects"] == []
    sevdesk_emulator.revoke_token(other)
    assert sd(sevdesk_emulator, "GET", "/Invoice", token=other).status == 401


def test_lookups_for_building_an_invoice(sevdesk_emulator):
    countries = sd(sevdesk_emulator, "GET", "/StaticCountry?limit=1000").json["objects"]
    assert {"id": "1", "code": "de"}.items() <= countries[0].items()
    assert sd(sevdesk_emulator, "GET", "/SevUser").json["objects"][0]["id"] == "1"
    accounts = sd(sevdesk_emulator, "GET", "/CheckAccount").json["objects"]
    assert accounts[0]["objectName"] == "CheckAccount" and accounts[0]["type"] == "offline"
    assert sd(sevdesk_emulator, "GET", "/Unity").json["objects"][0]["id"] == "1"
