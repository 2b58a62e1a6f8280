"""Browser journey: accept a quote, look at the preview, push, watch progress, see the ids."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.browser


def test_accept_preview_push_and_see_the_subscriptions(page, alice, stripe_api, fast_push, sign_in):
    workspace = factories.german_msp(alice.last_workspace)
    factories.stripe_connection(workspace)
    customer = factories.customer(workspace, "FR")
    lines = (("RMM agent", "10"), ("Backup licence (annual)", "1"), ("Onboarding", "1"))
    quote = factories.quote(workspace, customer, lines, user=alice, currency="EUR")

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
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2
