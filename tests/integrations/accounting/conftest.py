"""Worlds for the read-back tests: Alpha connected to the Lexware Office and sevDesk doubles (real
HTTP), one invoice issued in each through the client seams and recorded in the ledger as the
billing schedule records it (billing.ledger), and a way to hand Lexware's signed callbacks,
as the double sent them, to MSPercury's callback view."""

from decimal import Decimal

import pytest
from django.test import Client

from billing.ledger import ProviderInvoice, record_provider_invoice
from billing.models import Invoice
from emulators.lexware import DEFAULT_KEY as LEXWARE_KEY
from emulators.lexware import DEFAULT_ORGANIZATION
from integrations.accounting import readback
from integrations.accounting.tax import InvoiceTax
from integrations.lexware.client import LexwareClient
from integrations.lexware.readback import register_callbacks
from integrations.lexware.tax import lexware_tax
from integrations.models import AccountingConnection
from integrations.sevdesk.client import Address, SevdeskClient
from integrations.sevdesk.tax import sevdesk_tax
from rules.tax import TaxTreatment
from tests import factories
from tests.portal.helpers import signed_in as portal_client  # noqa: F401 (re-exported)
from tests.provider_emulator_fixtures import point_at_doubles

SEVDESK_TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"
SEVDESK_CLIENT = "1"


@pytest.fixture
def doubles(settings, lexware_emulator, sevdesk_emulator, callback_receiver):
    point_at_doubles(settings, lexware_emulator, sevdesk_emulator)
    # Lexware calls back "MSPercury" at this address: the receiver, whose deliveries the test
    # then hands to the view (relay).
    settings.MSPERCURY_PUBLIC_URL = callback_receiver.url.rsplit("/lexware/events", 1)[0]
    return lexware_emulator, sevdesk_emulator


def _connection(workspace, provider, key, organization):
    connection = AccountingConnection(
        workspace=workspace, provider=provider, key_last4=key[-4:], organization_id=organization
    )
    connection.api_key = key
    connection.save()
    return connection


@pytest.fixture
def lexware_conn(alpha, doubles):
    connection = _connection(alpha, "lexware", LEXWARE_KEY, DEFAULT_ORGANIZATION)
    assert register_callbacks(connection)
    return connection


@pytest.fixture
def sevdesk_conn(alpha, doubles):
    connection = _connection(alpha, "sevdesk", SEVDESK_TOKEN, SEVDESK_CLIENT)
    connection.polled_until = None
    connection.save()
    return connection


@pytest.fixture
def acme(alpha):
    return factories.customer(
        alpha, "DE", company_name="Acme Kunde GmbH", email="buchhaltung@acme.example"
    )


def _tax(client_tax):
    return client_tax(
        InvoiceTax.uniform(
            TaxTreatment.DOMESTIC,
            Decimal("19"),
            lines=1,
            supply="services",
            supplier_vat_id="DE136695976",
            customer_vat_id="",
        )
    )


def issue_lexware(connection, customer, reference="MSP-alpha-1"):
    """An invoice issued (finalized) in the Lexware double and recorded in the ledger."""
    client = LexwareClient(connection.api_key)
    contact = {
        "company": {"name": customer.company_name},
        "addresses": {
            "billing": [
                {"street": "Hauptstr. 5", "zip": "12345", "city": "Ort", "countryCode": "DE"}
            ]
        },
    }
    contact_id, _created = client.find_or_create_contact(contact, reference)
    tax = _tax(lexware_tax)
    body = {
        "voucherDate": "2027-01-01T00:00:00.000+01:00",
        "address": {"contactId": contact_id},
        "lineItems": [
            {
                "type": "custom",
                "name": "Managed Workplace (Monat)",
                "quantity": 10,
                "unitName": "Stück",
                "unitPrice": {"currency": "EUR", "netAmount": 10, "taxRatePercentage": 19},
            }
        ],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": tax.tax_conditions(),
        "shippingConditions": {
            "shippingType": "serviceperiod",
            "shippingDate": "2027-01-01T00:00:00.000+01:00",
            "shippingEndDate": "2027-01-31T00:00:00.000+01:00",
        },
    }
    made = client.create_invoice(body, reference)
    found = client.get_invoice(made["id"])
    totals = found["totalPrice"]
    return record_provider_invoice(
        connection.workspace,
        ProviderInvoice(
            provider="lexware",
            account_ref=readback.account_ref(connection),
            external_id=found["id"],
            currency="EUR",
            status=Invoice.Status.OPEN,
            number=found["voucherNumber"],
            total=readback.minor_units(totals["totalGrossAmount"]),
            tax=readback.minor_units(totals["totalTaxAmount"]),
            net=readback.minor_units(totals["totalNetAmount"]),
        ),
        customer=customer,
    )


def issue_sevdesk(connection, customer, reference="MSP-alpha-S1", number="MSP-1"):
    """An invoice issued (saved, marked sent) in the sevDesk double and recorded in the ledger."""
    client = SevdeskClient(connection.api_key)
    contact, _created = client.find_or_create_contact(
        customer.company_name,
        number,
        address=Address("Hauptstr. 5", "12345", "Ort", "DE"),
        email=customer.email,
    )
    tax = _tax(sevdesk_tax)
    invoice = {
        "contact": {"id": int(contact["id"]), "objectName": "Contact"},
        "contactPerson": {"id": 1, "objectName": "SevUser"},
        "invoiceDate": "31.01.2027",
        "deliveryDate": "01.01.2027",
        "deliveryDateUntil": "31.01.2027",
        "discount": 0,
        "addressCountry": {"id": 1, "objectName": "StaticCountry"},
        "currency": "EUR",
        **tax.invoice_fields(),
    }
    positions = [
        {
            "name": "Managed Workplace",
            "quantity": 10,
            "price": 10,
            "unity": {"id": 1, "objectName": "Unity"},
            "taxRate": 19,
        }
    ]
    saved = client.save_invoice(invoice, positions, reference)["invoice"]
    client.mark_sent(saved["id"])
    found = client.get_invoice(saved["id"])
    return record_provider_invoice(
        connection.workspace,
        ProviderInvoice(
            provider="sevdesk",
            account_ref=readback.account_ref(connection),
            external_id=str(found["id"]),
            currency="EUR",
            status=Invoice.Status.OPEN,
            number=found["invoiceNumber"],
            total=readback.minor_units(found["sumGross"]),
            tax=readback.minor_units(found["sumTax"]),
            net=readback.minor_units(found["sumNet"]),
        ),
        customer=customer,
    )


@pytest.fixture
def lexware_invoice(lexware_conn, acme):
    return issue_lexware(lexware_conn, acme)


@pytest.fixture
def sevdesk_invoice(sevdesk_conn, acme):
    return issue_sevdesk(sevdesk_conn, acme)


@pytest.fixture
def relay(callback_receiver, lexware_emulator):
    """Hand every callback the double delivered (body and signature as sent) to MSPercury's
    view; the answers, in order."""

    def _relay():
        lexware_emulator.flush_webhooks()
        answers = []
        for delivery in list(callback_receiver.received):
            callback_receiver.received.remove(delivery)
            answers.append(
                Client().post(
                    delivery["path"],
                    delivery["body"],
                    content_type="application/json",
                    headers={"X-Lxo-Signature": delivery["signature"]},
                )
            )
        return answers

    return _relay
