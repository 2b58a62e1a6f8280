"""Workspaces and customers in many countries, and quotes rendered to PDF."""

from decimal import Decimal

import pytest

from customers.models import Customer
from mspercury.models import Workspace
from quotes import actions, pdf
from quotes.stored_documents import quote_pdf_snapshot

D = Decimal

# Country → (tax-ID type, a valid tax ID) for workspaces and customers.
TAX_IDS = {
    "DE": ("eu_vat", "DE136695976"),
    "AT": ("eu_vat", "ATU13585627"),
    "FR": ("eu_vat", "FR40303265045"),
    "IT": ("eu_vat", "IT00743110157"),
    "ES": ("eu_vat", "ESX1234567L"),
    "NL": ("eu_vat", "NL004495445B01"),
    "PL": ("eu_vat", "PL5260250995"),
    "PT": ("eu_vat", "PT501964843"),
    "GR": ("eu_vat", "EL094259216"),
    "CH": ("ch_vat", "CHE-116.281.710 MWST"),
    "GB": ("gb_vat", "GB980780684"),
    "US": ("us_ein", "12-3456789"),
    "CA": ("ca_gst_hst", "123456789RT0001"),
}


@pytest.fixture
def make_workspace(db):
    def _make(country, *, tax_id=None, name=None, **fields):
        tax_id_type, default_id = TAX_IDS.get(country, ("none", ""))
        return Workspace.objects.create(
            name=name or f"MSP {country}",
            street=fields.pop("street", "Main Street 1"),
            postal_code=fields.pop("postal_code", "12345"),
            city=fields.pop("city", "Springfield"),
            country=country,
            tax_id_type=tax_id_type if tax_id != "" else "none",
            tax_id=default_id if tax_id is None else tax_id,
            **fields,
        )

    return _make


@pytest.fixture
def make_customer():
    def _make(workspace, country, *, language="en", tax_id=None, **fields):
        tax_id_type, default_id = TAX_IDS.get(country, ("none", ""))
        return Customer.objects.create(
            workspace=workspace,
            company_name=fields.pop("company_name", f"Customer {country}"),
            street="Customer Road 2",
            postal_code="54321",
            city="Shelbyville",
            country=country,
            tax_id_type=tax_id_type if tax_id != "" else "none",
            tax_id=default_id if tax_id is None else tax_id,
            language=language,
            **fields,
        )

    return _make


def add_line(quote, description, price, period="monthly", quantity="1", **fields):
    fields.setdefault("unit", "unit")
    return actions.do_add_line(
        quote,
        description=description,
        quantity=D(quantity),
        unit_price=D(price),
        billing_period=period,
        **fields,
    )


@pytest.fixture
def make_quote():
    def _make(workspace, customer, *, lines=None):
        quote = actions.do_create_quote(workspace, customer, title="Managed IT")
        for args in lines or [("Onboarding", "300.00", "one_time"), ("RMM agent", "5.00")]:
            add_line(quote, *args)
        quote.refresh_from_db()
        return quote

    return _make


@pytest.fixture
def render_quote_pdf():
    """The quote PDF of a quote's current revision, rendered directly."""

    def _render(quote):
        return pdf.render_quote(quote_pdf_snapshot(quote))

    return _render
