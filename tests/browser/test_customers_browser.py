import pytest
from playwright.sync_api import expect

from customers.models import Customer

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/customer_form.png"


def test_it_creates_a_us_customer_with_htmx(page, sign_in, alice, alpha):
    """Picking the US fills in us_ein and marks the state as required; the customer is saved."""
    sign_in(page, alice.email)
    page.goto("/customers/new/")
    tax_type = page.locator("#id_tax_id_type")
    expect(tax_type).to_have_value("eu_vat")

    page.fill("#id_company_name", "Yankee Inc")
    page.fill("#id_street", "1 Main St")
    page.fill("#id_city", "Springfield")
    page.fill("#id_state", "IL")
    page.select_option("#id_country", "US")
    expect(tax_type).to_have_value("us_ein")
    expect(page.locator("#tax-id-format")).to_contain_text("12-3456789")
    expect(page.locator("#state-hint")).to_contain_text("Required for addresses in United States")
    expect(page.locator("#id_state")).to_have_value("IL")

    page.fill("#id_tax_id", "123456789")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".message.success")).to_contain_text("Customer created.")
    expect(page.locator("#email-warning")).to_contain_text("Stripe needs an email address.")
    page.screenshot(path="/tmp/customer_detail.png", full_page=True)

    customer = Customer.objects.get()
    assert (customer.country.code, customer.state) == ("US", "IL")
    assert (customer.tax_id_type, customer.tax_id) == ("us_ein", "12-3456789")


def test_it_refreshes_the_type_without_javascript(page_without_js, sign_in, alice, alpha):
    """With JavaScript off, "Update tax-ID type" fits the type to the country, saving nothing."""
    page = page_without_js
    sign_in(page, alice.email)
    page.goto("/customers/new/")
    page.fill("#id_company_name", "Käserei AG")
    page.select_option("#id_country", "CH")
    page.get_by_role("button", name="Update tax-ID type").click()
    expect(page.locator("#id_tax_id_type")).to_have_value("ch_vat")
    expect(page.locator("#id_company_name")).to_have_value("Käserei AG")
    assert not Customer.objects.exists()
    page.fill("#id_tax_id", "CHE-116.281.710 MWST")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".message.success")).to_contain_text("Customer created.")
    assert Customer.objects.get().tax_id_type == "ch_vat"
