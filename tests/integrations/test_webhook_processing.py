"""Webhook processing against the emulator, with real signatures delivered over HTTP."""

from datetime import timedelta

import pytest
from django.core import mail

from billing.models import MrrMovement, StripeInvoice, StripeSubscription
from billing.reporting import customer_report, workspace_report
from integrations.models import StripeConnection, StripeEvent
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.webhooks.reconcile import reconcile
from mspercury.models import Notification
from tests import factories
from tests.factories import WEBHOOK_PERMISSIONS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wired(wire, alpha, alice):
    """Alpha connected through the settings page; Stripe delivers to the live server."""
    factories.german_msp(alpha)
    return wire(alice, WEBHOOK_PERMISSIONS)


def _push(quote, alice):
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    return push


def _mrr(workspace):
    report = workspace_report(workspace)
    return {f.currency: f.mrr for f in report.figures}


def _assert_mirror_matches_stripe(stripe_api):
    sk = stripe_api.client()
    for invoice in sk.v1.invoices.list({"limit": 100}).data:
        mirror = StripeInvoice.objects.get(stripe_id=invoice.id)
        assert (mirror.status, mirror.amount_paid, mirror.amount_remaining, mirror.total) == (
            invoice.status,
            invoice.amount_paid,
            invoice.amount_remaining,
            invoice.total,
        ), invoice.id
    for sub in sk.v1.subscriptions.list({"status": "all"}).data:
        mirror = StripeSubscription.objects.get(stripe_id=sub.id)
        assert (mirror.status, mirror.cancel_at_period_end) == (
            sub.status,
            sub.cancel_at_period_end,
        )


@pytest.mark.parametrize("order", ["in_order", "reverse", "shuffle"])
def test_duplicate_and_out_of_order_deliveries_converge(
    wired, mixed_quote, alice, stripe_api, order
):
    stripe_api.config(webhook_duplicates=True, webhook_order=order)
    stripe_api.pause_webhooks()
    _push(mixed_quote, alice)
    sk = stripe_api.client()
    month_sub = next(
        s
        for s in sk.v1.subscriptions.list().data
        if s["items"].data[0].price.recurring.interval == "month"
    )
    sk.v1.subscriptions.update(month_sub.id, {"cancel_at_period_end": True})
    stripe_api.resume_webhooks()
    stripe_api.flush_webhooks()

    _assert_mirror_matches_stripe(stripe_api)
    assert StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count() == 0
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))  # duplicates stored once
    invoice = StripeInvoice.objects.filter(subscription_id=month_sub.id).get()
    assert invoice.quote_id == mixed_quote.pk and invoice.customer_id == mixed_quote.customer_id
    assert StripeSubscription.objects.get(stripe_id=month_sub.id).cancel_at_period_end


def test_processing_a_stored_event_twice_changes_nothing(wired, mixed_quote, alice, stripe_api):
    from integrations.webhooks.dispatch import process_event

    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    before = list(StripeInvoice.objects.values().order_by("pk"))
    for event in StripeEvent.objects.all():
        StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
        process_event(event.pk)
    after = list(StripeInvoice.objects.values().order_by("pk"))
    for row in before + after:
        row.pop("synced_at")
    assert before == after


def test_cancelling_lowers_the_dashboard_mrr(wired, mixed_quote, alice, stripe_api, client):
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    before = _mrr(mixed_quote.workspace)["EUR"]
    assert before > 0
    sk = stripe_api.client()
    month_sub = next(
        s
        for s in sk.v1.subscriptions.list().data
        if s["items"].data[0].price.recurring.interval == "month"
    )
    monthly = sum(i.price.unit_amount * i.quantity for i in month_sub["items"].data)

    sk.v1.subscriptions.update(month_sub.id, {"cancel_at_period_end": True})
    stripe_api.flush_webhooks()
    html = client.get("/").content.decode()
    assert 'data-figure="scheduled_churn"' in html

    sk.v1.subscriptions.cancel(month_sub.id)
    stripe_api.flush_webhooks()
    after = _mrr(mixed_quote.workspace)["EUR"]
    assert before - after == monthly / 100
    customer_mrr = dict(customer_report(mixed_quote.customer).mrr)["EUR"]
    assert customer_mrr == after
    churn = MrrMovement.objects.get(kind=MrrMovement.Kind.CHURN)
    assert churn.amount == -(monthly / 100)
    assert "MRR movements" in client.get("/").content.decode()


def test_an_amount_change_is_an_expansion_or_contraction_so_movements_sum_to_mrr(
    wired, mixed_quote, alice, stripe_api, client
):
    """An amendment that raises a subscription's amount records an expansion by the
    difference, one that lowers it a contraction; the movements always sum to the MRR, and a
    churn afterwards takes out what the subscription brought, leaving it at zero."""
    from django.db.models import Sum

    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    sk = stripe_api.client()
    month_sub = next(
        s
        for s in sk.v1.subscriptions.list().data
        if s["items"].data[0].price.recurring.interval == "month"
    )
    item = month_sub["items"].data[0]
    unit = item.price.unit_amount

    def total():
        return MrrMovement.objects.aggregate(total=Sum("amount"))["total"]

    sk.v1.subscriptions.update(
        month_sub.id, {"items": [{"id": item.id, "quantity": item.quantity + 2}]}
    )
    stripe_api.flush_webhooks()
    expansion = MrrMovement.objects.get(kind=MrrMovement.Kind.EXPANSION)
    assert expansion.amount == 2 * unit / 100
    assert total() == _mrr(mixed_quote.workspace)["EUR"]

    sk.v1.subscriptions.update(
        month_sub.id, {"items": [{"id": item.id, "quantity": item.quantity - 1}]}
    )
    stripe_api.flush_webhooks()
    contraction = MrrMovement.objects.get(kind=MrrMovement.Kind.CONTRACTION)
    assert contraction.amount == -3 * unit / 100
    assert total() == _mrr(mixed_quote.workspace)["EUR"]
    history = client.get("/").content.decode()
    assert "Expansion" in history and "Contraction" in history

    sk.v1.subscriptions.cancel(month_sub.id)
    stripe_api.flush_webhooks()
    mine = MrrMovement.objects.filter(subscription__stripe_id=month_sub.id)
    assert mine.aggregate(total=Sum("amount"))["total"] == 0
    assert total() == _mrr(mixed_quote.workspace)["EUR"]


def test_a_renewal_appears_paid_and_a_failed_one_notifies(
    wired, mixed_quote, alice, stripe_api, dana, bob
):
    customer = mixed_quote.customer
    customer.collection_method = "charge_automatically"
    customer.save()
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    stripe_api.advance(days=32)
    stripe_api.flush_webhooks()
    renewals = StripeInvoice.objects.filter(billing_reason="subscription_cycle")
    assert renewals.exists()
    assert all(r.status == "paid" and r.external_status == "PAID" for r in renewals)
    # Drafted at the period's end, finalized (issued) an hour later, as Stripe does.
    assert all(r.finalized_at - r.created == timedelta(hours=1) for r in renewals)

    cus_id = stripe_api.client().v1.customers.list().data[0].id
    stripe_api.set_payment_behavior(cus_id, "fail")
    mail.outbox.clear()
    stripe_api.advance(days=31)
    stripe_api.flush_webhooks()
    failed = StripeInvoice.objects.filter(external_status="PAYMENT_FAILED")
    assert failed.exists()
    notification = Notification.objects.get(kind=Notification.Kind.PAYMENT_FAILED)
    assert "Payment failed" in notification.title
    staff = [m for m in mail.outbox if m.subject.startswith("[MSPercury]")]
    recipients = {r for m in staff for r in m.to}
    assert recipients == {alice.email, dana.email}  # owners and admins, not members
    # The customer gets the renewal invoice with its pay link (Settings → Payments).
    assert [m.to for m in mail.outbox if m not in staff] == [[mixed_quote.customer.email]]


def test_reconciliation_catches_up_when_the_endpoint_was_unreachable(
    wired, mixed_quote, alice, stripe_api
):
    stripe_api.pause_webhooks()  # nothing reaches us while things happen
    _push(mixed_quote, alice)
    sk = stripe_api.client()
    sub = sk.v1.subscriptions.list().data[0]
    sk.v1.subscriptions.cancel(sub.id)
    assert not StripeSubscription.objects.exists()

    summary = reconcile(wired)  # the key may not read events: objects are compared
    assert summary["mode"] == "objects" and summary["missed"] > 0
    _assert_mirror_matches_stripe(stripe_api)
    assert Notification.objects.filter(kind=Notification.Kind.WEBHOOK_SILENT).count() == 1


def test_reconciliation_from_events_stores_and_processes_missed_events(
    wired, mixed_quote, alice, stripe_api
):
    key = stripe_api.add_key(
        permissions={**WEBHOOK_PERMISSIONS, "events": "read"}, account="acct_1EmulatorSeedAcct"
    )["key"]
    wired.api_key = key
    wired.save()
    stripe_api.pause_webhooks()
    _push(mixed_quote, alice)
    summary = reconcile(wired)
    assert summary["mode"] == "events" and summary["missed"] > 0
    assert not StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED).exists()
    _assert_mirror_matches_stripe(stripe_api)
    again = reconcile(wired)
    assert again["missed"] == 0  # nothing twice


def test_a_failed_payment_notice_states_zero_decimal_amounts_right(alpha, stripe_api):
    """¥5000 left to pay reads "5000 JPY", not "50.00 JPY"."""
    import json

    import stripe

    from integrations.webhooks.dispatch import process_event
    from integrations.webhooks.store import store_event

    connection = StripeConnection(
        workspace=alpha, key_prefix="sk_test_", key_last4="ator", key_kind="secret", mode="test"
    )
    connection.api_key = "sk_test_emulator"
    connection.save()
    sk = stripe_api.client()
    customer = sk.v1.customers.create({"name": "Tanaka KK", "email": "ap@tanaka.example"})
    stripe_api.set_payment_behavior(customer.id, "fail")
    product = sk.v1.products.create({"name": "Setup"})
    invoice = sk.v1.invoices.create(
        {
            "customer": customer.id,
            "currency": "jpy",
            "metadata": {"mspercury_workspace": str(alpha.public_id)},
        }
    )
    sk.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "price_data": {"currency": "jpy", "product": product.id, "unit_amount": 5000},
        }
    )
    sk.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.StripeError):
        sk.v1.invoices.pay(invoice.id)
    event = sk.v1.events.list({"type": "invoice.payment_failed"}).data[0]
    row, _created = store_event(connection, json.loads(json.dumps(event.to_dict(), default=str)))
    assert process_event(row.pk) == StripeEvent.Status.PROCESSED
    notification = Notification.objects.get(kind=Notification.Kind.PAYMENT_FAILED)
    assert "5000 JPY" in notification.body
