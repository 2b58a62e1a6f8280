"""Monaco is in the French VAT area (Art. 7(1) VAT Directive): a Monegasque customer is entered
with its French VAT ID, VIES checks it as French, and a German MSP bills it with reverse charge
like a French customer. Any other VAT ID on a Monegasque customer is refused."""

from datetime import date

from customers.models import Customer
from customers.tax_parties import customer_party
from customers.tax_parties import party as workspace_party
from customers.vatids import services
from mspercury.models import Workspace
from rules.tax import TaxTreatment, decide_tax
from tests.customers.conftest import customer_data
from tests.mspercury.test_workspace_settings import form_data

NEW = "/customers/new/"
TYPE_URL = "/customers/tax-id-type/"
ON = date(2026, 12, 1)


def _post_monegasque(client, tax_id):
    return client.post(
        NEW,
        customer_data(
            company_name="Riviera Yachting SAM",
            country="MC",
            country_was="MC",
            tax_id_type="eu_vat",
            tax_id=tax_id,
        ),
    )


def _german_msp(workspace):
    workspace.country = "DE"
    workspace.tax_id_type = "eu_vat"
    workspace.tax_id = "DE136695976"
    workspace.save(update_fields=["country", "tax_id_type", "tax_id"])
    return workspace


def test_it_accepts_a_monegasque_customer_with_a_french_vat_id(client_for, alice):
    """MC with eu_vat FR…: saved, normalized like a French number."""
    r = _post_monegasque(client_for(alice), "FR 40 303 265 045")
    assert r.status_code == 302, r.context["form"].errors
    customer = Customer.objects.get()
    assert (customer.country.code, customer.tax_id_type, customer.tax_id) == (
        "MC",
        "eu_vat",
        "FR40303265045",
    )


def test_it_refuses_a_monegasque_customer_with_another_vat_id(client_for, alice):
    """A German VAT ID on a Monegasque customer: the message names the French VAT area."""
    r = _post_monegasque(client_for(alice), "DE136695976")
    assert r.status_code == 200
    messages = r.context["form"].errors["tax_id"]
    assert any("Monaco is in the French VAT area" in m for m in messages), messages
    assert any("FR + 2 characters + 9 digits" in m for m in messages), messages
    assert not Customer.objects.exists()


def test_it_offers_eu_vat_with_the_french_format_for_monaco(client_for, alice):
    """Choosing Monaco picks eu_vat and hints the French format."""
    r = client_for(alice).get(
        TYPE_URL, {"country": "MC", "country_was": "US", "tax_id_type": "us_ein"}
    )
    html = r.content.decode()
    assert '<option value="eu_vat" selected>' in html
    assert "FR + 2 characters + 9 digits" in html


def test_it_bills_a_monegasque_customer_with_reverse_charge(client_for, alice, alpha):
    """A German MSP and a Monegasque customer with a French VAT ID: reverse charge, 0 %, as for
    a French customer; a French MSP bills the same customer with French VAT (domestic)."""
    _german_msp(alpha)
    assert _post_monegasque(client_for(alice), "FR40303265045").status_code == 302
    customer = Customer.objects.get()
    decision = decide_tax(workspace_party(alpha), customer_party(customer), ON)
    assert decision.treatment == TaxTreatment.REVERSE_CHARGE
    assert decision.rate == 0
    assert services.is_reverse_charge_customer(customer, ON)

    alpha.country, alpha.tax_id = "FR", "FR40303265045"
    french = decide_tax(workspace_party(alpha), customer_party(customer), ON)
    assert (french.treatment, french.rate) == (TaxTreatment.DOMESTIC, 20)


def test_it_asks_vies_about_a_monegasque_vat_id_as_french(vies_emulator, client_for, alice, alpha):
    """VIES is asked with member state FR for the Monegasque customer's number."""
    _german_msp(alpha)
    assert _post_monegasque(client_for(alice), "FR40303265045").status_code == 302
    row = services.validate(Customer.objects.get())
    sent = vies_emulator.requests(path="/check-vat-number")[-1]["body"]
    assert (sent["countryCode"], sent["vatNumber"]) == ("FR", "40303265045")
    assert (row.country, row.number, row.status) == ("FR", "40303265045", "valid")


def test_it_lets_a_monegasque_msp_enter_its_french_vat_id(client_for, alice, alpha):
    """A workspace in Monaco keeps its French VAT ID; a non-French one is refused."""
    client = client_for(alice)
    data = form_data(alpha, country="MC", country_was="MC", tax_id_type="eu_vat")
    r = client.post("/settings/workspace/", {**data, "tax_id": "FR40303265045"})
    assert r.status_code == 302, r.context["form"].errors
    alpha = Workspace.objects.get(pk=alpha.pk)
    assert (alpha.country.code, alpha.tax_id) == ("MC", "FR40303265045")
    r = client.post("/settings/workspace/", {**data, "tax_id": "ATU13585627"})
    assert any("French VAT area" in m for m in r.context["form"].errors["tax_id"])
