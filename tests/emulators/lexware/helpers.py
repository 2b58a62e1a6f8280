"""Builders shared by the Lexware emulator tests."""

from __future__ import annotations

from emulators.lexware import DEFAULT_KEY
from tests.emulators.wire import call

MONTH_START = "2027-01-01T00:00:00.000+01:00"
MONTH_END = "2027-01-31T00:00:00.000+01:00"


def lx(emulator, method, path, body=None, key=DEFAULT_KEY, **headers):
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return call(emulator.base_url, method, path, body, {**auth, **headers})


def contact_body(**overrides):
    body = {
        "version": 0,
        "roles": {"customer": {}},
        "company": {
            "name": "Kunde GmbH",
            "vatRegistrationId": "DE136695976",
            "contactPersons": [{"lastName": "Muster", "emailAddress": "it@kunde.test"}],
        },
        "addresses": {
            "billing": [
                {"street": "Hauptstr. 5", "zip": "10115", "city": "Berlin", "countryCode": "DE"}
            ]
        },
        "emailAddresses": {"business": ["rechnung@kunde.test"]},
        "note": "msp-customer-42",
    }
    body.update(overrides)
    return body


def create_contact(emulator, key=DEFAULT_KEY, **overrides) -> str:
    answer = lx(emulator, "POST", "/v1/contacts", contact_body(**overrides), key=key)
    assert answer.status == 201, answer.json
    return answer.json["id"]


def line(name="Managed Workplace", quantity=12.5, net=19.9, rate=19, **more):
    return {
        "type": "custom",
        "name": name,
        "quantity": quantity,
        "unitName": "Stück",
        "unitPrice": {"currency": "EUR", "netAmount": net, "taxRatePercentage": rate},
        **more,
    }


def invoice_body(contact_id, lines=None, tax_type="net", **overrides):
    body = {
        "voucherDate": MONTH_START,
        "address": {"contactId": contact_id},
        "lineItems": lines if lines is not None else [line()],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": {"taxType": tax_type},
        "shippingConditions": {
            "shippingType": "serviceperiod",
            "shippingDate": MONTH_START,
            "shippingEndDate": MONTH_END,
        },
        "remark": "Ref: MSP-t1-Q-2027-0001-2027-01",
    }
    body.update(overrides)
    return body


def create_invoice(emulator, contact_id, finalize=True, key=DEFAULT_KEY, **kwargs) -> str:
    path = "/v1/invoices?finalize=true" if finalize else "/v1/invoices"
    answer = lx(emulator, "POST", path, invoice_body(contact_id, **kwargs), key=key)
    assert answer.status == 201, answer.json
    return answer.json["id"]
