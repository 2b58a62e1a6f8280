"""Browser journey: accept a quote, look at the preview, push, watch progress, see the ids."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from integrations.models import StripeConnection
from quotes.actions import do_add_line, do_create_quote
from quotes.models import Service

pytestmark = pytest.mark.browser


def test_accept_preview_push_and_see_the_subscriptions(
    page, alice, settings, stripe_emulator, sign_in
):
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0
    workspace = alice.last_workspace
    workspace.tax_id_type, workspace.tax_id = "eu_vat", "DE136695976"
    workspace.save()
    conn = StripeConnection(
        workspace=workspace,
        key_prefix="rk_test_",
        key_last4="ator",
        key_kind="restricted",
        mode="test",
    )
    conn.api_key = "rk_test_emulator"
    conn.save()
    customer = Customer.objects.create(
        workspace=workspace,
        company_name="Dupont SARL",
        email="compta@dupont.example",
        country="FR",
        tax_id_type="eu_vat",
        tax_id="FR40303265045",
        city="Paris",
        postal_code="75002",
        street="1 rue de la Paix",
    )
    quote = do_create_quote(workspace, customer, user=alice, currency="EUR")
    for name, period, price, qty in (
        ("RMM agent", "monthly", "4.50", "10"),
        ("Backup licence", "yearly", "480.00", "1"),
        ("Onboarding", "one_time", "299.00", "1"),
    ):
        svc = Service.objects.create(
            workspace=workspace, name=name, billing_period=period, unit_price=Decimal(price)
        )
        do_add_line(
            quote,
            service=svc,
            description=name,
            quantity=Decimal(qty),
            unit="unit",
            unit_price=svc.unit_price,
            billing_period=period,
        )

    sign_in(page, alice.email)
    page.goto(f"/quotes/{quote.public_id}/")
    page.get_by_text("Mark as accepted…").click()
    page.get_by_role("button", name="Yes, mark as accepted").click()
    expect(page.locator("#stripe-block")).to_contain_text("TEST")

    page.get_by_role("link", name=re.compile("Create Stripe invoice")).click()
    expect(page.locator("pre.tree")).to_contain_text(
        "[Subscription]  1× monthly recurring + 1× one-time on first invoice"
    )
    expect(page.locator("pre.tree")).to_contain_text("[Subscription]  1× yearly recurring")
    counts = page.locator("#push-counts")
    expect(counts.locator("tr", has_text="Products")).to_contain_text("3")
    expect(counts.locator("tr", has_text="Subscriptions")).to_contain_text("2")
    page.screenshot(path="/tmp/push_preview.png", full_page=True)
    page.get_by_role("button", name="Create in Stripe").click()

    expect(page.get_by_test_id("push-status")).to_have_text("Succeeded", timeout=20_000)
    expect(page.locator("#push-progress")).to_contain_text("Already pushed to Stripe")
    page.screenshot(path="/tmp/push_done.png", full_page=True)
    links = page.locator("#push-progress a[href*='dashboard.stripe.com/test/subscriptions/sub_']")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert len(hrefs) == 2
    page.goto(f"/quotes/{quote.public_id}/")
    expect(page.locator("#stripe-block")).to_contain_text("Already pushed to Stripe")
    assert len(stripe_emulator.client().v1.subscriptions.list().data) == 2
