"""A customer's e-invoice settings: "Send e-invoices" and the Leitweg-ID of public buyers,
checked for the KoSIT format and its check digits (ISO 7064 MOD 97-10)."""

import re

import pytest

from customers.models import Customer
from mspercury.models import AuditEvent
from tests.customers.conftest import customer_data

NEW = "/customers/new/"


def edit_url(customer):
    return f"/customers/{customer.public_id}/edit/"


def test_it_shows_the_einvoice_fields(client_for, alice):
    html = client_for(alice).get(NEW).content.decode()
    assert 'id="einvoices"' in html
    assert 'name="wants_einvoices"' in html and 'type="checkbox"' in html
    assert 'name="leitweg_id"' in html and 'maxlength="46"' in html
    assert "With one, invoices go out as XRechnung." in html


def test_it_creates_a_customer_who_wants_einvoices(client_for, alice):
    r = client_for(alice).post(NEW, customer_data(company_name="Kunde AG", wants_einvoices="on"))
    assert r.status_code == 302
    customer = Customer.objects.get()
    assert customer.wants_einvoices and customer.leitweg_id == ""
    page = client_for(alice).get(r["Location"]).content.decode()
    assert "ZUGFeRD with every invoice email" in page


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("991-03730-19", "991-03730-19"),
        (" 04011000-1234512345-06 ", "04011000-1234512345-06"),
        ("991-33333test-33", "991-33333TEST-33"),  # letters count as A=10 … Z=35
    ],
)
def test_it_stores_a_valid_leitweg_id_in_capitals(client_for, alice, acme, typed, stored):
    r = client_for(alice).post(edit_url(acme), customer_data(acme, leitweg_id=typed))
    assert r.status_code == 302
    acme.refresh_from_db()
    assert acme.leitweg_id == stored
    assert not acme.wants_einvoices  # the Leitweg-ID alone makes invoices go out as XRechnung
    page = client_for(alice).get(r["Location"]).content.decode()
    assert "XRechnung with every invoice email" in page and stored in page
    event = AuditEvent.objects.filter(action="customer.updated").latest("id")
    assert event.details["changed"] == ["leitweg_id"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("991-03730-18", "The check digits (the last two) do not match"),
        ("04011000-12345-67", "The check digits (the last two) do not match"),
        ("991-03730", "A Leitweg-ID looks like 991-03730-19"),
        ("9-03730-19", "A Leitweg-ID looks like 991-03730-19"),
        ("991-0373_0-19", "A Leitweg-ID looks like 991-03730-19"),
        ("17-1234-55", "starts with the code of a German state (01 to 16) or 99"),
    ],
)
def test_it_rejects_a_wrong_leitweg_id_saying_why(client_for, alice, acme, typed, message):
    r = client_for(alice).post(edit_url(acme), customer_data(acme, leitweg_id=typed))
    assert r.status_code == 200
    errors = r.context["form"].errors["leitweg_id"]
    assert any(message in e for e in errors), errors
    acme.refresh_from_db()
    assert acme.leitweg_id == ""


def test_it_keeps_the_settings_on_an_unrelated_edit(client_for, alice, acme):
    acme.wants_einvoices, acme.leitweg_id = True, "991-03730-19"
    acme.save()
    r = client_for(alice).post(edit_url(acme), customer_data(acme, city="Potsdam"))
    assert r.status_code == 302
    acme.refresh_from_db()
    assert (acme.city, acme.wants_einvoices, acme.leitweg_id) == (
        "Potsdam",
        True,
        "991-03730-19",
    )


def test_it_turns_einvoices_off(client_for, alice, acme):
    acme.wants_einvoices = True
    acme.save()
    data = customer_data(acme)
    del data["wants_einvoices"]  # an unticked box is not posted
    assert client_for(alice).post(edit_url(acme), data).status_code == 302
    acme.refresh_from_db()
    assert not acme.wants_einvoices


def test_the_noscript_refresh_keeps_the_einvoice_settings(client_for, alice):
    data = customer_data(
        company_name="Amt", wants_einvoices="on", leitweg_id="991-03730-19", _refresh="1"
    )
    r = client_for(alice).post(NEW, data)
    assert r.status_code == 200 and not Customer.objects.exists()
    html = r.content.decode()
    (checkbox,) = re.findall(r'<input type="checkbox" name="wants_einvoices"[^>]*>', html)
    assert re.search(r"\schecked[\s>]", checkbox)
    assert 'value="991-03730-19"' in html


def test_it_checks_ownership(client_for, charlie, acme):
    """Charlie cannot set Alpha's customer's Leitweg-ID."""
    r = client_for(charlie).post(edit_url(acme), customer_data(acme, leitweg_id="991-03730-19"))
    assert r.status_code == 404
    acme.refresh_from_db()
    assert acme.leitweg_id == ""


def test_it_shows_our_supplier_number_beside_the_leitweg_id_in_german(client_for, alice, settings):
    alice.language = "de"
    alice.save(update_fields=["language"])
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get(NEW).content.decode()
    einvoices = html[
        html.index('id="einvoices"') : html.index("</fieldset>", html.index('id="einvoices"'))
    ]
    assert einvoices.index('name="leitweg_id"') < einvoices.index('name="supplier_number"')
    assert "Unsere Lieferantennummer beim Kunden" in einvoices


def test_it_stores_our_supplier_number_and_shows_it(client_for, alice, acme):
    data = customer_data(acme, leitweg_id="991-03730-19", supplier_number=" 70123456 ")
    r = client_for(alice).post(edit_url(acme), data)
    assert r.status_code == 302
    acme.refresh_from_db()
    assert (acme.leitweg_id, acme.supplier_number) == ("991-03730-19", "70123456")
    page = client_for(alice).get(r["Location"]).content.decode()
    assert "Our supplier number <code>70123456</code>" in page
