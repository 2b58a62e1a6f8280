"""Browser journey of getting paid (issue 15, point 8): the customer opens the invoice email's
pay link, pays part of the invoice on Stripe's page, then the rest; the MSP sees Partially
Paid, then Paid; a billing admin records a cheque that settles another invoice; a confirmation
email arrives once per payment (through a real SMTP server)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import Payment, StripeInvoice
from customers.models import Customer
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from quotes.actions import do_add_line, do_create_quote
from tests import factories
from tests.factories import accept

pytestmark = pytest.mark.browser


def _invoiced(workspace, alice, customer, amount) -> StripeInvoice:
    """A one-time quote pushed with "send now": an open, finalized invoice in Stripe."""
    quote = do_create_quote(workspace, customer, user=alice, currency="EUR")
    do_add_line(
        quote,
        description="Network rollout",
        quantity=Decimal("1"),
        unit="unit",
        unit_price=Decimal(amount),
        billing_period="one_time",
    )
    accept(quote, alice)
    push, _ = do_start_push(None, quote, actor=alice, send_now=True)
    assert execute_push(push.pk) == "succeeded"
    return quote


def _status(invoice) -> str:
    invoice.refresh_from_db()
    return invoice.payment_status


def test_pay_part_then_the_rest_from_the_email_link(
    page, browser, alice, wire, stripe_emulator, sign_in, smtp_server, tmp_path
):
    workspace = factories.german_msp(alice.last_workspace)
    key = wire(alice).api_key
    customer = Customer.objects.create(
        workspace=workspace,
        company_name="Acme Ltd",
        email="accounts@acme.example",
        country="IE",
        tax_id_type="eu_vat",
        tax_id="IE6388047V",
        language="en",
        collection_method="send_invoice",
        days_until_due=14,
    )
    _invoiced(workspace, alice, customer, "500.00")
    stripe_emulator.flush_webhooks()
    invoice = StripeInvoice.objects.get(customer=customer)
    (email,) = [m for m in smtp_server.wait(1) if "Invoice " in m["Subject"]]
    link = re.search(r"https?://\S+/pay/[^/\s]+/", smtp_server.text(email)).group(0)

    # The customer pays 200.00 of 500.00 on Stripe's page.
    customer_page = browser.new_context().new_page()
    customer_page.goto(link)
    customer_page.fill("input[name=amount]", "200.00")
    customer_page.screenshot(path=tmp_path / "1-stripe-page.png", full_page=True)
    customer_page.get_by_role("button", name="Pay part").click()
    stripe_emulator.flush_webhooks()
    assert _status(invoice) == "partially_paid"
    sign_in(page, alice.email)
    page.goto("/billing/invoices/")
    expect(page.locator(f'tr:has-text("{invoice.number}")')).to_contain_text("Partially paid")
    page.screenshot(path=tmp_path / "2-partially-paid.png", full_page=True)

    # The same link, later: Stripe's page asks for what is still due; the rest is paid.
    customer_page.goto(link)
    expect(customer_page.locator("body")).to_contain_text("300.00")
    customer_page.get_by_role("button", name="Pay in full").click()
    stripe_emulator.flush_webhooks()
    assert _status(invoice) == "paid"
    page.goto("/billing/invoices/")
    expect(page.locator(f'tr:has-text("{invoice.number}")')).to_contain_text("Paid")
    page.screenshot(path=tmp_path / "3-paid.png", full_page=True)

    payments = Payment.objects.filter(invoice=invoice).order_by("amount")
    assert [p.amount for p in payments] == [20000, 30000]

    _pay_by_cheque(page, workspace, alice, customer, (stripe_emulator, key), tmp_path)
    confirmations = [m for m in smtp_server.wait(6) if "Payment received" in m["Subject"]]
    assert len(confirmations) == 3  # once per payment, not once per webhook


def _pay_by_cheque(page, workspace, alice, customer, emulator_and_key, tmp_path):
    """A cheque for a second invoice, entered on its page: paid out of band in Stripe too."""
    emulator, key = emulator_and_key
    second = _invoiced(workspace, alice, customer, "150.00")
    emulator.flush_webhooks()
    invoice = StripeInvoice.objects.get(quote=second)
    page.goto(f"/billing/invoices/{invoice.public_id}/")
    form = page.get_by_test_id("manual-payment-form")
    form.get_by_label("Amount").fill("150.00")
    form.get_by_label("Method").select_option("cheque")
    form.get_by_label("Reference").fill("Cheque 004711")
    form.get_by_role("button", name="Record payment").click()
    expect(page.locator("body")).to_contain_text("Payment recorded.")
    expect(page.locator("h1 .pill")).to_have_text("Paid")
    expect(page.locator("body")).to_contain_text("Cheque 004711")
    page.screenshot(path=tmp_path / "4-cheque.png", full_page=True)
    emulator.flush_webhooks()
    assert _status(invoice) == "paid"
    in_stripe = emulator.client(key=key).v1.invoices.retrieve(invoice.stripe_id)
    assert (in_stripe.status, in_stripe.amount_paid) == ("paid", 15000)
    assert emulator.emulator.store.internal[invoice.stripe_id]["paid_off_stripe"] == 15000
    assert Payment.objects.filter(invoice=invoice).count() == 1  # not again from the webhook
