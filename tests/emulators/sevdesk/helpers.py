"""Builders shared by the sevDesk emulator tests."""

from __future__ import annotations

from emulators.sevdesk import DEFAULT_TOKEN
from tests.emulators.wire import call


def sd(emulator, method, path, body=None, token=DEFAULT_TOKEN, **headers):
    auth = {"Authorization": token} if token else {}
    return call(emulator.base_url + "/api/v1", method, path, body, {**auth, **headers})


def create_contact(emulator, name="Kunde GmbH", token=DEFAULT_TOKEN) -> str:
    body = {
        "name": name,
        "category": {"id": 3, "objectName": "Category"},
        "vatNumber": "DE136695976",
        "buyerReference": "04011000-1234512345-35",
    }
    answer = sd(emulator, "POST", "/Contact", body, token=token)
    assert answer.status == 201, answer.json
    return answer.json["objects"]["id"]


def position(quantity=12.5, price=19.9, rate=19, name="Managed Workplace", **more):
    return {
        "objectName": "InvoicePos",
        "mapAll": True,
        "name": name,
        "quantity": quantity,
        "price": price,
        "unity": {"id": 1, "objectName": "Unity"},
        "taxRate": rate,
        **more,
    }


def invoice_payload(contact_id, positions=None, rule="1", **fields):
    invoice = {
        "objectName": "Invoice",
        "mapAll": True,
        "contact": {"id": int(contact_id), "objectName": "Contact"},
        "contactPerson": {"id": 1, "objectName": "SevUser"},
        "invoiceDate": "01.01.2027",
        "deliveryDate": "01.01.2027",
        "status": 100,
        "invoiceType": "RE",
        "currency": "EUR",
        "discount": 0,
        "taxRule": {"id": rule, "objectName": "TaxRule"},
        "taxText": "Umsatzsteuer 19%",
        "taxRate": 0,
        "taxType": "default",
        "addressCountry": {"id": 1, "objectName": "StaticCountry"},
        "showNet": True,
        "timeToPay": 14,
        "customerInternalNote": "MSP-t1-Q-2027-0001-2027-01",
        **fields,
    }
    return {
        "invoice": invoice,
        "invoicePosSave": positions if positions is not None else [position()],
        "invoicePosDelete": None,
        "discountSave": [],
        "discountDelete": None,
    }


def create_invoice(emulator, contact_id, token=DEFAULT_TOKEN, **kwargs) -> dict:
    answer = sd(
        emulator, "POST", "/Invoice/Factory/saveInvoice", invoice_payload(contact_id, **kwargs),
        token=token,
    )  # fmt: skip
    assert answer.status == 201, answer.json
    return answer.json["objects"]["invoice"]


def book(emulator, invoice_id, amount, kind="N", date="15.01.2027"):
    body = {
        "amount": amount,
        "date": date,
        "type": kind,
        "checkAccount": {"id": 1, "objectName": "CheckAccount"},
    }
    return sd(emulator, "PUT", f"/Invoice/{invoice_id}/bookAmount", body)
