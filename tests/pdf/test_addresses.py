"""Addresses as their country writes them, in pages and PDFs: "Cambridge, MA 02139" for the
US, "10115 Berlin" for Germany — one function (customers.addresses) for all of them."""

import pytest
from django.test import Client

from customers.addresses import address_lines, locality_line
from quotes import sharing
from tests.pdf.helpers import pdf_text


@pytest.mark.parametrize(
    "postal_code, city, region, country, expected",
    [
        ("02139", "Cambridge", "MA", "US", "Cambridge, MA 02139"),
        ("M5V 2T6", "Toronto", "ON", "CA", "Toronto, ON M5V 2T6"),
        ("SW1A 1AA", "London", "", "GB", "London SW1A 1AA"),
        ("2000", "Sydney", "NSW", "au", "Sydney, NSW 2000"),
        ("10115", "Berlin", "", "DE", "10115 Berlin"),
        ("20121", "Milano", "MI", "IT", "20121 Milano, MI"),
        ("75001", "Paris", "", "FR", "75001 Paris"),
        ("", "Cambridge", "MA", "US", "Cambridge, MA"),
        ("02139", "", "", "US", "02139"),
        ("", "", "", "DE", ""),
        (" 10115 ", " Berlin ", "", "", "10115 Berlin"),
    ],
)
def test_it_writes_the_locality_in_the_countrys_order(postal_code, city, region, country, expected):
    assert locality_line(postal_code, city, region, country) == expected


def test_it_leaves_out_empty_lines():
    lines = address_lines(
        street="1 Main St", city="Cambridge", region="MA", postal_code="02139", country="US",
        country_name="United States of America",
    )  # fmt: skip
    assert lines == ["1 Main St", "Cambridge, MA 02139", "United States of America"]


@pytest.fixture
def us_customer(alpha, make_customer):
    customer = make_customer(alpha, "US", company_name="Boston Widgets", tax_id="")
    customer.street, customer.postal_code, customer.city, customer.state = (
        "1 Main St", "02139", "Cambridge", "MA",
    )  # fmt: skip
    customer.save()
    return customer


def test_it_prints_a_us_address_town_first(alpha, us_customer, make_quote, render_quote_pdf):
    """The quote PDF: the US customer town first, the German MSP postcode first."""
    alpha.street, alpha.postal_code, alpha.city = "Hauptstraße 1", "10115", "Berlin"
    alpha.save()
    text = pdf_text(render_quote_pdf(make_quote(alpha, us_customer)))
    assert "Cambridge, MA 02139" in text and "02139 Cambridge" not in text
    assert "10115 Berlin" in text


def test_it_shows_a_us_address_town_first_on_pages(
    client_for, alice, alpha, us_customer, make_quote
):
    """The customer page and the share page use the same order."""
    html = client_for(alice).get(f"/customers/{us_customer.public_id}/").content.decode()
    assert "Cambridge, MA 02139" in html and "02139 Cambridge" not in html
    _, token = sharing.do_share_quote(make_quote(alpha, us_customer), user=alice)
    html = Client().get(f"/q/{token}/").content.decode()
    assert "Cambridge, MA 02139" in html and "02139 Cambridge" not in html
