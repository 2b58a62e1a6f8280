"""Payments reach the ledger from Stripe's webhooks (real HTTP, signed) once each: invoice
payments, refunds, invoices paid out of band, Checkout sessions; and from reconciliation."""

import pytest

from billing.models import Payment, StripeInvoice
from integrations.models import StripeEvent
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.stripe.webhooks import HANDLED_EVENTS
from integrations.webhooks.dispatch import HANDLERS
from tests import factories
from tests.factories import WEBHOOK_PERMISSIONS

pytestmark = pytest.mark.django_db(transaction=True)

PERMISSIONS = {**WEBHOOK_PERMISSIONS, "refunds": "read", "checkout_sessions": "read"}


@pytest.fixture
def wired(wire, alpha, alice):
    factories.german_msp(alpha)
    return wire(alice, PERMISSIONS)


@pytest.fixture
def open_invoice(wired, mixed_quote, alice, stripe_api):
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    stripe_api.flush_webhooks()
    invoice = StripeInvoice.objects.get(stripe_id=draft.id)
    assert invoice.status == "open" and invoice.payment_status == "open"
    return invoice


def _no_failed_events():
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert not failed.exists(), list(failed.values_list("event_type", "error"))


def test_every_handled_event_is_subscribed():
    assert set(HANDLERS) <= set(HANDLED_EVENTS) | {
        "invoice.created",
        "invoice.finalized",
        "invoice.sent",
        "invoice.updated",
    }
    assert {"invoice_payment.paid", "refund.created", "credit_note.created"} <= set(HANDLERS)


def test_a_paid_invoice_records_its_invoice_payment_once(open_invoice, stripe_api):
    sk = stripe_api.client()
    sk.v1.invoices.pay(open_invoice.stripe_id)
    stripe_api.flush_webhooks()
    _no_failed_events()
    payment = Payment.objects.get(invoice=open_invoice)
    assert payment.provider_id.startswith("inpay_") and payment.source == "stripe"
    assert payment.amount == open_invoice.total and payment.payment_intent.startswith("pi_")
    open_invoice.refresh_from_db()
    assert (open_invoice.payment_status, open_invoice.balance_due) == ("paid", 0)

    from integrations.webhooks.dispatch import process_event

    for event in StripeEvent.objects.all():  # every event again: nothing counted twice
        StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
        process_event(event.pk)
    assert Payment.objects.filter(invoice=open_invoice).count() == 1


def test_a_refund_reduces_what_was_settled(open_invoice, stripe_api):
    sk = stripe_api.client()
    sk.v1.invoices.pay(open_invoice.stripe_id)
    stripe_api.flush_webhooks()
    intent = Payment.objects.get(invoice=open_invoice).payment_intent
    sk.v1.refunds.create({"payment_intent": intent, "amount": 1000})
    stripe_api.flush_webhooks()
    _no_failed_events()
    refund = Payment.objects.get(invoice=open_invoice, source="refund")
    assert refund.amount == -1000 and refund.provider_id.startswith("re_")
    open_invoice.refresh_from_db()
    assert open_invoice.amount_settled == open_invoice.total - 1000
    assert open_invoice.payment_status == "partially_paid"


def test_an_invoice_paid_out_of_band_in_stripe_is_recorded_as_such(open_invoice, stripe_api):
    stripe_api.client().v1.invoices.pay(open_invoice.stripe_id, {"paid_out_of_band": True})
    stripe_api.flush_webhooks()
    _no_failed_events()
    payment = Payment.objects.get(invoice=open_invoice)
    assert (payment.source, payment.note, payment.amount) == (
        "manual",
        "Marked paid in Stripe",
        open_invoice.total,
    )
    open_invoice.refresh_from_db()
    assert open_invoice.payment_status == "paid"


def test_reconciliation_records_payments_the_webhook_missed(open_invoice, stripe_api, wired):
    from integrations.webhooks.reconcile import reconcile

    stripe_api.pause_webhooks()
    stripe_api.client().v1.invoices.pay(open_invoice.stripe_id)
    assert not Payment.objects.exists()
    reconcile(wired)
    payment = Payment.objects.get(invoice=open_invoice)
    assert payment.amount == open_invoice.total
    open_invoice.refresh_from_db()
    assert open_invoice.payment_status == "paid"


def test_a_credit_note_lowers_what_is_still_owed(open_invoice, stripe_api):
    sk = stripe_api.client()
    sk.v1.credit_notes.create({"invoice": open_invoice.stripe_id, "amount": 2000})
    stripe_api.flush_webhooks()
    _no_failed_events()
    note = Payment.objects.get(invoice=open_invoice)
    assert (note.source, note.amount) == ("credit_note", -2000)
    assert note.provider_id.startswith("cn_")
    open_invoice.refresh_from_db()
    in_stripe = sk.v1.invoices.retrieve(open_invoice.stripe_id)
    assert open_invoice.balance_due == in_stripe.amount_remaining == open_invoice.total - 2000
    assert open_invoice.payment_status == "open"

    sk.v1.invoices.pay(open_invoice.stripe_id)  # the rest
    stripe_api.flush_webhooks()
    open_invoice.refresh_from_db()
    assert (open_invoice.payment_status, open_invoice.balance_due) == ("paid", 0)
    paid = Payment.objects.get(invoice=open_invoice, source="stripe")
    assert paid.amount == open_invoice.total - 2000


def test_a_refund_with_its_credit_note_leaves_the_invoice_settled(open_invoice, stripe_api):
    """Money back with a credit note: owed and settled both drop by it, each counted once."""
    sk = stripe_api.client()
    sk.v1.invoices.pay(open_invoice.stripe_id)
    stripe_api.flush_webhooks()
    sk.v1.credit_notes.create(
        {"invoice": open_invoice.stripe_id, "amount": 1500, "refund_amount": 1500}
    )
    stripe_api.flush_webhooks()
    _no_failed_events()
    amounts = sorted(Payment.objects.filter(invoice=open_invoice).values_list("source", "amount"))
    assert amounts == [
        ("credit_note", -1500),
        ("refund", -1500),
        ("stripe", open_invoice.total),
    ]
    open_invoice.refresh_from_db()
    assert (open_invoice.amount_credited, open_invoice.amount_settled) == (
        1500,
        open_invoice.total - 1500,
    )
    assert (open_invoice.payment_status, open_invoice.balance_due) == ("paid", 0)


def test_the_mirror_keeps_stripes_lines_and_their_taxes(open_invoice, stripe_api):
    """Lines as Stripe has them: amounts before tax add up to the subtotal, line taxes to the
    tax, so e-invoices, evidence and reports can explain the totals line by line."""
    sk = stripe_api.client()
    in_stripe = sk.v1.invoices.retrieve(open_invoice.stripe_id)
    open_invoice.refresh_from_db()
    lines = open_invoice.lines
    assert [line["id"] for line in lines] == [line.id for line in in_stripe.lines.data]
    assert sum(line["amount"] for line in lines) == in_stripe.subtotal
    taxes = sum(tax["amount"] for line in lines for tax in line["taxes"])
    assert taxes == open_invoice.tax
    assert all(line["currency"] == open_invoice.currency for line in lines)
    assert all(line["description"] for line in lines)
