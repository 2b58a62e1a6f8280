"""Icons and dates as a German user sees them in Debian's Chromium (screenshot in tmp_path)."""

from datetime import date

from customers.models import Customer
from quotes import actions


def test_it_shows_svg_icons_and_german_dates(page, sign_in, alice, alpha, tmp_path):
    """Bell and switcher are drawn (SVG with a size, not an empty glyph box); the quote list
    speaks German dates only."""
    from playwright.sync_api import expect

    alice.language = "de"
    alice.save()
    customer = Customer.objects.create(workspace=alpha, company_name="Kunde GmbH", country="DE")
    actions.do_create_quote(alpha, customer, today=date(2026, 12, 3))
    sign_in(page, alice.email)
    page.goto("/quotes/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    for name in ("bell", "workspace", "chevron-down"):
        box = page.locator(f'header svg[data-icon="{name}"]').bounding_box()
        assert box and box["width"] >= 10 and box["height"] >= 10, name
    text = page.locator("main").inner_text()
    assert "02.01.2027" in text and "/2026" not in text and "a.m." not in text
    page.screenshot(path=str(tmp_path / "icons_german_dates.png"), full_page=True)
    print(tmp_path / "icons_german_dates.png")
