"""The quote editor in a real browser: htmx swaps, keyboard use, and the no-JS fallback."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from quotes import actions
from quotes.models import QuoteLine, Service

pytestmark = pytest.mark.browser

D = Decimal


@pytest.fixture
def editor_quote(alpha, alice):
    customer = Customer.objects.create(workspace=alpha, company_name="Acme GmbH", country="DE")
    Service.objects.create(
        workspace=alpha,
        name="RMM agent",
        unit="workstation",
        billing_period="monthly",
        unit_price=D("5.00"),
        cost_price=D("2.00"),
    )
    return actions.do_create_quote(alpha, customer, user=alice)


def _descriptions(quote):
    return list(QuoteLine.objects.filter(quote=quote).values_list("description", flat=True))


def test_it_edits_lines_without_reloading_and_by_keyboard(page, sign_in, alice, editor_quote):
    quote = editor_quote
    sign_in(page, alice.email)
    page.goto(f"/quotes/{quote.public_id}/")
    page.evaluate("window.__noReload = true")

    # Picking a service fills the form (focus stays on the picker); adding puts the line and
    # the totals in place.
    page.focus("#id_add-service")
    page.select_option("#id_add-service", label="RMM agent")
    expect(page.locator("#id_add-description")).to_have_value("RMM agent")
    expect(page.locator("#id_add-service")).to_be_focused()
    page.fill("#id_add-quantity", "12")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator('[data-total="monthly"]')).to_have_text("60.00 EUR")
    expect(page.locator('[data-total="margin"]')).to_have_text("36.00 EUR")
    expect(page.locator("#editor-status")).to_contain_text("Line “RMM agent” added.")
    expect(page.locator("#id_add-description")).to_have_value("")

    page.fill("#id_add-description", "Onboarding")
    page.fill("#id_add-quantity", "4")
    page.select_option("#id_add-unit", "hour")
    page.fill("#id_add-unit_price", "120")
    page.select_option("#id_add-billing_period", "one_time")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines tbody tr")).to_have_count(2)
    expect(page.locator('[data-total="first_invoice"]')).to_have_text("540.00 EUR")

    # Edit by keyboard: the edit row focuses its first field, Escape puts the row back.
    line = QuoteLine.objects.get(quote=quote, description="Onboarding")
    _settled(page)
    page.locator(f"#edit-{line.public_id}").focus()
    page.keyboard.press("Enter")
    description = page.locator(f"#id_line-{line.public_id}-description")
    expect(description).to_be_focused()
    _settled(page)
    page.keyboard.press("Escape")
    expect(page.locator(f"#line-{line.public_id}.line-edit")).to_have_count(0)
    expect(page.locator(f"#edit-{line.public_id}")).to_be_focused()

    # Edit again and save with Enter; the totals follow.
    _settled(page)
    page.keyboard.press("Enter")
    expect(description).to_be_focused()
    page.fill(f"#id_line-{line.public_id}-quantity", "5")
    _settled(page)
    page.keyboard.press("Enter")
    expect(page.locator('[data-total="one_time"]')).to_have_text("600.00 EUR")
    expect(page.locator(f"#edit-{line.public_id}")).to_be_focused()

    # Move the second line up; focus stays on its button.
    page.locator(f"#up-{line.public_id}").click()
    expect(page.locator("#lines tbody tr").first).to_have_id(f"line-{line.public_id}")
    expect(page.locator(f"#up-{line.public_id}")).to_be_focused()
    assert _descriptions(quote) == ["Onboarding", "RMM agent"]

    # Remove after confirming.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#delete-{line.public_id}").click()
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator('[data-total="one_time"]')).to_have_text("0.00 EUR")
    assert _descriptions(quote) == ["RMM agent"]

    assert page.evaluate("window.__noReload") is True
    quote.refresh_from_db()
    assert quote.revision == 1  # a draft nobody saw yet: edits refine revision 1


def _settled(page):
    """Wait until htmx has finished swapping and moving the focus, as a person would."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added, [data-focus]')"
    )


def test_it_edits_lines_without_javascript(page_without_js, sign_in, alice, editor_quote):
    page = page_without_js
    quote = editor_quote
    sign_in(page, alice.email)
    page.goto(f"/quotes/{quote.public_id}/")
    page.select_option("#id_add-service", label="RMM agent")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".message.success")).to_contain_text("Line “RMM agent” added.")
    line = QuoteLine.objects.get(quote=quote)
    assert (line.description, line.unit, line.quantity) == ("RMM agent", "workstation", 1)

    page.locator(f"#edit-{line.public_id}").click()
    page.fill(f"#id_line-{line.public_id}-quantity", "3")
    page.get_by_role("button", name="Save line").click()
    expect(page.locator('[data-total="monthly"]')).to_have_text("15.00 EUR")
