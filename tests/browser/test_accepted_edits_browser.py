"""Browser journey of a US MSP: a limit warned at entry and on the share page, "Sales tax: not
calculated" with its warning, an accepted quote edited before the push, and its re-acceptance."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from integrations.models import PushSettings
from quotes.actions import do_add_line, do_create_quote
from quotes.models import QuoteAcceptance, RevisionAcceptance
from tests import factories

pytestmark = pytest.mark.browser


def _us_workspace(alice):
    workspace = alice.last_workspace
    workspace.country, workspace.region = "US", "MA"
    workspace.save()
    factories.stripe_connection(workspace)
    customer = Customer.objects.create(
        workspace=workspace,
        company_name="Boston Dental LLC",
        email="office@bostondental.example",
        country="US",
        state="MA",
        city="Cambridge",
        postal_code="02139",
        street="1 Main St",
    )
    quote = do_create_quote(workspace, customer, user=alice, currency="USD")
    do_add_line(
        quote,
        description="Managed workstation",
        quantity=Decimal("10"),
        unit="workstation",
        unit_price=Decimal("45.00"),
        billing_period="monthly",
    )
    return workspace, quote


def _share(page, button):
    page.locator("#share").get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("heading", name="Share link created")).to_be_visible()
    return urlsplit(page.locator("#share-url").input_value()).path


def _accept_as_customer(browser, live_server, path, shots, name, *, shot):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        customer = context.new_page()
        customer.goto(path)
        expect(customer.locator("#accept")).to_be_visible()
        customer.screenshot(path=shots / shot, full_page=True)
        result = {
            "limits": customer.locator("#share-limits").count(),
            "reaccept": customer.locator("#reaccept").inner_text()
            if customer.locator("#reaccept").count()
            else "",
            "tax_row": customer.get_by_text("Sales tax: not calculated").count(),
        }
        customer.fill("#id_name", name)
        customer.get_by_label(re.compile("I accept this quote")).check()
        customer.locator("#accept button[type=submit]").click()
        expect(customer.locator("#accepted-banner")).to_contain_text(name)
        return result
    finally:
        context.close()


def test_a_us_msp_edits_an_accepted_quote_pushes_it_and_asks_for_re_acceptance(
    page, browser, live_server, alice, settings, stripe_emulator, sign_in, tmp_path
):
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0
    workspace, quote = _us_workspace(alice)
    quote_url = f"/quotes/{quote.public_id}/"
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, alice.email)

    # 4: no "VAT 0 %", no "left to Stripe Tax": sales tax is not calculated, and it says so.
    page.goto(quote_url)
    totals = page.locator("#totals")
    expect(totals.locator('[data-tax="row-label"]')).to_have_text("Sales tax: not calculated")
    expect(totals).not_to_contain_text("VAT 0 %")
    expect(totals).not_to_contain_text("left to Stripe Tax")
    expect(totals.locator('[data-warning="sales-tax"]')).to_be_visible()

    # 2: an amount Stripe can never charge is flagged as soon as the line is added.
    page.fill("#id_add-description", "Data centre build")
    page.fill("#id_add-quantity", "1")
    page.fill("#id_add-unit_price", "10000000.00")
    page.select_option("#id_add-unit", "unit")
    page.select_option("#id_add-billing_period", "one_time")
    page.get_by_role("button", name="Add line").click()
    limits = page.locator("#stripe-limits")
    expect(limits).to_contain_text("Data centre build")
    expect(limits).to_contain_text("above Stripe's maximum of 999999.99 USD")
    page.screenshot(path=tmp_path / "1-editor-limits-and-sales-tax.png", full_page=True)

    # ... and on the share page, before the customer accepts.
    first_link = _share(page, "Share")
    seen = _accept_as_customer(
        browser, live_server, first_link, tmp_path, "Carla Customer", shot="2-share-limits.png"
    )
    assert seen["limits"] == 1 and seen["tax_row"] >= 1
    accepted = QuoteAcceptance.objects.get(quote=quote)

    # 1: the MSP removes the line after acceptance; the preview follows the live quote.
    page.goto(quote_url)
    expect(page.locator("h1 .pill")).to_have_text("Accepted")
    row = page.locator("#lines tr", has_text="Data centre build")
    row.get_by_role("button", name=re.compile("Remove")).click()
    expect(page.locator("#lines")).not_to_contain_text("Data centre build")
    expect(page.locator("#stripe-limits")).to_have_count(0)
    page.reload()
    expect(page.locator("#edited-since-acceptance")).to_be_visible()
    page.screenshot(path=tmp_path / "3-quote-edited-after-acceptance.png", full_page=True)

    page.goto(f"/quotes/{quote.public_id}/stripe/")
    preview = page.locator("#preview")
    expect(preview.locator("#push-edited-since")).to_be_visible()
    expect(preview.locator('[data-warning="sales-tax"]')).to_be_visible()
    expect(preview).not_to_contain_text("Data centre build")
    expect(page.get_by_role("button", name="Create in Stripe")).to_be_enabled()
    page.screenshot(path=tmp_path / "4-push-preview.png", full_page=True)

    # The edited revision goes out for re-acceptance; the customer sees what changed.
    page.goto(quote_url)
    quote.refresh_from_db()
    second_link = _share(page, f"Send revision {quote.revision} for re-acceptance")
    assert second_link != first_link
    seen = _accept_as_customer(
        browser, live_server, second_link, tmp_path, "Carla Again", shot="5-share-reaccept.png"
    )
    assert "Data centre build" in seen["reaccept"] and "removed" in seen["reaccept"]
    assert f"since the version you accepted (revision {accepted.revision})" in seen["reaccept"]
    assert seen["limits"] == 0
    assert RevisionAcceptance.objects.get(quote=quote).revision == quote.revision
    accepted.refresh_from_db()
    assert any(line["description"] == "Data centre build" for line in accepted.snapshot["lines"])

    # The push creates the live quote.
    page.goto(f"/quotes/{quote.public_id}/stripe/")
    page.get_by_role("button", name="Create in Stripe").click()
    expect(page.get_by_test_id("push-status")).to_have_text("Succeeded", timeout=20_000)
    assert stripe_emulator.client().v1.invoices.list().data  # billed; no 10M one-time line
    items = stripe_emulator.client().v1.invoice_items.list().data
    assert all(item.amount < 99_999_999 for item in items)

    # 4: the MSP confirms it charges no sales tax; the warnings stop, the label stays.
    page.goto("/settings/integrations/")
    expect(page.locator('[data-warning="sales-tax"]')).to_be_visible()
    page.screenshot(path=tmp_path / "6-integrations-sales-tax.png", full_page=True)
    page.get_by_role("button", name="I charge no sales tax").click()
    expect(page.locator('[data-warning="sales-tax"]')).to_have_count(0)
    assert PushSettings.objects.get(workspace=workspace).no_sales_tax_confirmed_at
    page.goto(quote_url)
    expect(page.locator('[data-warning="sales-tax"]')).to_have_count(0)
    expect(page.locator('#totals [data-tax="row-label"]')).to_have_text("Sales tax: not calculated")
    page.screenshot(path=tmp_path / "7-quote-confirmed.png", full_page=True)
    print(f"screenshots in {tmp_path}")
