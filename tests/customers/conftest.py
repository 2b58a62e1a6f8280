"""Customers of Alpha (alice's workspace) and of Charlie's workspace, built directly."""

import pytest

from tests import factories


@pytest.fixture
def make_customer():
    def _make(workspace, company_name="Acme GmbH", country="DE", **fields):
        return factories.customer(workspace, country, company_name=company_name, **fields)

    return _make


@pytest.fixture
def acme(alpha):
    """A German business customer of Alpha with a VAT ID and one project."""
    customer = factories.customer(
        alpha,
        "DE",
        contact_name="Anna Acme",
        email="billing@acme.example",
        street="Hauptstraße 1",
        postal_code="10115",
        city="Berlin",
        language="de",
    )
    factories.project(customer)
    return customer


def customer_data(customer=None, **changes):
    """POST data for the customer form: the customer's current values, then ``changes``."""
    data = {
        "company_name": "",
        "contact_name": "",
        "email": "",
        "phone": "",
        "street": "",
        "street2": "",
        "postal_code": "",
        "city": "",
        "state": "",
        "country": "DE",
        "country_was": "DE",
        "tax_id_type": "eu_vat",
        "tax_id": "",
        "language": "en",
        "collection_method": "send_invoice",
        "days_until_due": "14",
        "leitweg_id": "",
        "supplier_number": "",
        "notes": "",
    }
    if customer is not None:
        for name in data:
            if name == "country_was":
                continue
            value = getattr(customer, name)
            data[name] = value.code if name == "country" else str(value)
        data["country_was"] = data["country"]
        if customer.wants_einvoices:  # a checkbox: present when ticked
            data["wants_einvoices"] = "on"
    data.update(changes)
    return data
