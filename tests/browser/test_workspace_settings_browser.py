import pytest
from playwright.sync_api import expect

from mspercury.models import AuditEvent, Workspace

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/ws_settings.png"


def test_it_fills_in_the_workspace_after_sign_up(page, sign_up):
    """A new owner fills the address; the tax-ID type follows the country; values persist."""
    sign_up(page)
    expect(page.get_by_role("heading", name="Workspace settings")).to_be_visible()
    tax_type = page.locator("#id_tax_id_type")
    expect(tax_type).to_have_value("none")

    page.fill("#id_street", "Friedrichstraße 10")
    page.fill("#id_postal_code", "10117")
    page.fill("#id_city", "Berlin")
    page.fill("#id_region", "Berlin")

    page.select_option("#id_country", label="United States of America")
    expect(tax_type).to_have_value("us_ein")
    expect(page.locator("#tax-id-format")).to_contain_text("12-3456789")

    page.select_option("#id_country", label="Germany")
    expect(tax_type).to_have_value("eu_vat")
    expect(page.locator("#tax-id-format")).to_contain_text("DE + 9 digits")

    page.fill("#id_tax_id", "DE 136 695 976")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_contain_text("Workspace settings saved.")
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.reload()
    expect(page.locator("#id_street")).to_have_value("Friedrichstraße 10")
    expect(page.locator("#id_postal_code")).to_have_value("10117")
    expect(page.locator("#id_city")).to_have_value("Berlin")
    expect(page.locator("#id_country")).to_have_value("DE")
    expect(tax_type).to_have_value("eu_vat")
    expect(page.locator("#id_tax_id")).to_have_value("DE136695976")

    workspace = Workspace.objects.get(name="Erin IT")
    assert (workspace.country, workspace.tax_id) == ("DE", "DE136695976")
    event = AuditEvent.objects.get(workspace=workspace, action="workspace.settings_changed")
    assert set(event.details["changed"]) >= {"street", "country", "tax_id_type", "tax_id"}


def test_it_keeps_a_hand_picked_type_until_the_country_changes(page, sign_up):
    """A type chosen by hand survives; the next country change replaces it."""
    sign_up(page)
    tax_type = page.locator("#id_tax_id_type")
    page.select_option("#id_country", "CH")
    expect(tax_type).to_have_value("ch_vat")
    page.select_option("#id_tax_id_type", "ch_uid")
    expect(page.locator("#tax-id-format")).to_contain_text("CHE-123.456.789")
    expect(tax_type).to_have_value("ch_uid")
    page.fill("#id_city", "Zürich")
    expect(tax_type).to_have_value("ch_uid")
    page.select_option("#id_country", "AT")
    expect(tax_type).to_have_value("eu_vat")


def test_it_shows_the_tax_id_error_on_the_field(page, sign_up):
    """A VAT ID with a wrong check digit is rejected with the specific message."""
    sign_up(page)
    page.select_option("#id_country", "DE")
    expect(page.locator("#id_tax_id_type")).to_have_value("eu_vat")
    page.fill("#id_tax_id", "DE136695975")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_tax_id-errors")).to_contain_text("check digit")
    assert Workspace.objects.get(name="Erin IT").tax_id == ""


def test_it_updates_the_type_without_javascript(page_without_js, sign_up):
    """With JavaScript off, the "Update tax-ID type" button fits the type to the country."""
    page = page_without_js
    sign_up(page)
    page.select_option("#id_country", "CA")
    expect(page.locator("#id_tax_id_type")).to_have_value("none")
    page.get_by_role("button", name="Update tax-ID type").click()
    expect(page.locator("#id_tax_id_type")).to_have_value("ca_gst_hst")
    expect(page.locator("#id_country")).to_have_value("CA")
    assert Workspace.objects.get(name="Erin IT").country == ""
