"""Browser journey of a contract change: push a quote, add 3 seats and remove a line, the
customer accepts the new revision on the share page, the MSP applies it with proration now;
the emulator holds the changed subscription and the prorated invoice, the dashboard's MRR
moves by the change (issue 14, point 6). Screenshots go to the test's tmp_path."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from integrations.models import Amendment
from quotes.actions import do_delete_line, do_update_line
from quotes.models import QuoteLine
from tests import factories
from tests.browser.test_accepted_edits_browser import _accept_as_customer

pytestmark = pytest.mark.browser

PERMISSIONS = factories.WEBHOOK_PERMISSIONS
LINES = (("RMM agent", "12"), ("Patch management", "12"), ("Backup licence (annual)", "1"))


def _mrr(page) -> Decimal:
    page.goto("/")
    text = page.locator('[data-figure="mrr"]').first.inner_text()
    return Decimal(re.sub(r"[^\d.]", "", text))


def test_push_change_reaccept_apply_with_proration_now(
    page,
    browser,
    live_server,
    alice,
    wire,
    stripe_emulator,
    sign_in,
    tmp_path,
):
    workspace = factories.german_msp(alice.last_workspace)
    wire(alice)
    customer = factories.customer(workspace, "FR", language="en")  # the share page in English
    quote = factories.quote(workspace, customer, LINES, user=alice, currency="EUR")
    quote_url = f"/quotes/{quote.public_id}/"

    sign_in(page, alice.email)
    page.goto(quote_url)
    page.get_by_text("Mark as accepted…").click()
    page.get_by_role("button", name="Yes, mark as accepted").click()
    page.goto(f"{quote_url}stripe/")
    page.get_by_role("button", name="Create in Stripe").click()
    expect(page.get_by_test_id("push-status")).to_have_text("Succeeded", timeout=20_000)
    stripe_emulator.flush_webhooks()
    before = _mrr(page)
    assert before == Decimal("4.50") * 12 + Decimal("2.10") * 12 + 40  # 40: 480 a year

    # Three more seats, patch management gone; the customer accepts the new revision.
    do_update_line(QuoteLine.objects.get(quote=quote, description="RMM agent"), quantity=15)
    do_delete_line(QuoteLine.objects.get(quote=quote, description="Patch management"))
    quote.refresh_from_db()
    page.goto(quote_url)
    expect(page.locator("#amend-notice")).to_be_visible()
    page.locator("#share").get_by_role(
        "button", name=f"Send revision {quote.revision} for re-acceptance"
    ).click()
    link = urlsplit(page.locator("#share-url").input_value()).path
    _accept_as_customer(browser, live_server, link, tmp_path, "Carla Again", shot="2-share.png")

    # The preview says what changes and what is invoiced now; the MSP applies it.
    page.goto(quote_url)
    page.locator("#amend-link").click()
    preview = page.locator("#amend-preview")
    expect(preview.locator('[data-change="quantity"]')).to_contain_text("RMM agent")
    expect(preview.locator('[data-change="remove"]')).to_contain_text("Patch management")
    charged = preview.locator('[data-total="now"]').inner_text()
    page.screenshot(path=tmp_path / "3-amend-preview.png", full_page=True)
    page.get_by_role("button", name="Apply in Stripe").click()
    history = page.locator("#amend-history")
    expect(history).to_contain_text("Applied", timeout=20_000)
    expect(history).to_contain_text("RMM agent: 12 → 15")
    page.screenshot(path=tmp_path / "4-amend-applied.png", full_page=True)

    # Stripe holds the new contract and the prorated invoice the preview announced.
    sk = stripe_emulator.client()
    monthly = next(
        s
        for s in sk.v1.subscriptions.list().data
        if s["items"].data[0].price.recurring.interval == "month"
    )
    assert [(i.price.unit_amount, i.quantity) for i in monthly["items"].data] == [(450, 15)]
    (invoice,) = [
        i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"
    ]
    assert all(line.parent.subscription_item_details.proration for line in invoice.lines.data)
    assert f"{Decimal(invoice.total) / 100:.2f} EUR" == charged.replace(",", "")
    assert Amendment.objects.get().status == Amendment.Status.SUCCEEDED

    # MRR follows the webhooks: +3 × 4.50, -12 × 2.10.
    stripe_emulator.flush_webhooks()
    assert _mrr(page) == before + Decimal("13.50") - Decimal("25.20")
    page.screenshot(path=tmp_path / "5-dashboard.png", full_page=True)
