"""A burst of Stripe events about one invoice is processed with one fresh read of it; what the
read cannot vouch for (later events, failed payments, a failed read) is processed on its own."""

import threading
from collections import Counter

import pytest
from django.db import connection as db_connection
from django.db import transaction

from billing.models import Payment, StripeInvoice
from integrations.models import StripeEvent
from integrations.push.locks import advisory_xact_lock
from integrations.stripe.errors import StripeFailure
from integrations.webhooks import coalesce
from integrations.webhooks.dispatch import process_event
from mspercury import tenancy
from mspercury.models import Notification
from tests.celery_workers import wait_for
from tests.integrations.event_bursts import (
    invoice_reads,
    our_invoice,
    statuses,
    store,
    stripe_events,
)

pytestmark = pytest.mark.django_db


def test_a_burst_costs_one_read_per_invoice(connection, stripe_api):
    sk = stripe_api.client()
    invoices = [our_invoice(sk, connection.workspace, n) for n in range(3)]
    rows = store(connection, stripe_events(sk))
    assert {r.invoice_ref for r in rows} == set(invoices)
    assert len(rows) >= 5 * len(invoices)
    stripe_api.clear_requests()

    for row in rows:
        assert process_event(row.pk) == StripeEvent.Status.PROCESSED

    assert invoice_reads(stripe_api) == Counter(invoices)  # each read once, fresh
    assert len(stripe_api.requests(method="GET", path="/v1/invoice_payments")) == len(invoices)
    assert statuses(rows) == {StripeEvent.Status.PROCESSED}
    assert StripeEvent.objects.filter(attempts__gt=1).count() == 0
    for invoice_id in invoices:
        mirror = StripeInvoice.objects.get(stripe_id=invoice_id)
        assert (mirror.status, mirror.amount_remaining) == ("paid", 0)
        assert mirror.amount_paid == sk.v1.invoices.retrieve(invoice_id).amount_paid
        assert Payment.objects.filter(invoice=mirror, source=Payment.Source.STRIPE).count() == 1


def test_an_event_stored_after_the_read_is_processed_again(connection, stripe_api):
    sk = stripe_api.client()
    invoice_id = our_invoice(sk, connection.workspace, 1, pay=False)
    first = store(connection, stripe_events(sk))
    stripe_api.clear_requests()
    process_event(first[0].pk)
    assert statuses(first) == {StripeEvent.Status.PROCESSED}
    assert invoice_reads(stripe_api) == Counter([invoice_id])

    sk.v1.invoices.void_invoice(invoice_id)
    later = store(connection, stripe_events(sk, after=first[-1].event_id))
    assert [r.event_type for r in later] == ["invoice.voided"]
    assert process_event(later[0].pk) == StripeEvent.Status.PROCESSED
    assert invoice_reads(stripe_api) == Counter([invoice_id, invoice_id])
    assert StripeInvoice.objects.get(stripe_id=invoice_id).status == "void"


def test_a_failed_payment_is_never_covered(connection, stripe_api):
    """It notifies once per event, so another event's read does not process it."""
    sk = stripe_api.client()
    invoice_id = our_invoice(sk, connection.workspace, 2, pay=False)
    invoice = sk.v1.invoices.retrieve(invoice_id)
    stripe_api.set_payment_behavior(invoice.customer, "fail")
    with pytest.raises(Exception):  # noqa: B017 - the card is declined
        sk.v1.invoices.pay(invoice_id)
    rows = store(connection, stripe_events(sk))
    failed = next(r for r in rows if r.event_type == "invoice.payment_failed")

    process_event(rows[0].pk)
    assert StripeEvent.objects.get(pk=failed.pk).status == StripeEvent.Status.RECEIVED
    assert statuses([r for r in rows if r != failed]) == {StripeEvent.Status.PROCESSED}
    assert not Notification.objects.filter(kind=Notification.Kind.PAYMENT_FAILED).exists()

    assert process_event(failed.pk) == StripeEvent.Status.PROCESSED
    assert Notification.objects.filter(kind=Notification.Kind.PAYMENT_FAILED).count() == 1


def test_a_failed_read_covers_nothing(connection, stripe_api):
    sk = stripe_api.client()
    invoice_id = our_invoice(sk, connection.workspace, 3)
    rows = store(connection, stripe_events(sk))
    stripe_api.fault("error", method="GET", path=f"/v1/invoices/{invoice_id}", count=1)

    with pytest.raises(StripeFailure):  # retryable: the task retries it
        process_event(rows[0].pk)
    assert StripeEvent.objects.get(pk=rows[0].pk).status == StripeEvent.Status.FAILED
    assert statuses(rows[1:]) == {StripeEvent.Status.RECEIVED}

    # The next event's read covers the failed one too.
    assert process_event(rows[1].pk) == StripeEvent.Status.PROCESSED
    assert statuses(rows) == {StripeEvent.Status.PROCESSED}
    assert StripeInvoice.objects.get(stripe_id=invoice_id).status == "paid"


def test_events_of_other_invoices_and_other_objects_are_left(connection, stripe_api):
    sk = stripe_api.client()
    mine = our_invoice(sk, connection.workspace, 4, pay=False)
    other = our_invoice(sk, connection.workspace, 5)
    rows = store(connection, stripe_events(sk))
    sk.v1.credit_notes.create({"invoice": mine, "amount": 100})
    notes = store(connection, stripe_events(sk, after=rows[-1].event_id))
    assert "credit_note.created" in [r.event_type for r in notes]
    assert {r.invoice_ref for r in notes if r.event_type.startswith("credit_note.")} == {None}

    process_event(next(r for r in rows if r.invoice_ref == mine).pk)
    assert statuses([r for r in rows if r.invoice_ref == mine]) == {StripeEvent.Status.PROCESSED}
    assert statuses([r for r in rows if r.invoice_ref == other]) == {StripeEvent.Status.RECEIVED}
    assert statuses([r for r in notes if r.invoice_ref is None]) == {StripeEvent.Status.RECEIVED}


@pytest.mark.django_db(transaction=True)
def test_a_task_that_waited_for_the_invoice_finds_its_event_processed(connection, stripe_api):
    """While one task holds the invoice, another task of the same invoice waits for it, then
    finds its event covered and reads nothing."""
    sk = stripe_api.client()
    invoice_id = our_invoice(sk, connection.workspace, 6)
    rows = store(connection, stripe_events(sk))
    waiting = rows[1]
    stripe_api.clear_requests()
    holding, done = threading.Event(), threading.Event()

    def leader():  # what the first task does, as far as the waiting one can tell
        try:
            with tenancy.system_context(), transaction.atomic():
                advisory_xact_lock(coalesce.lock_name(waiting, invoice_id))
                holding.set()
                wait_for(_someone_waits_for_a_lock, 30, "the second task to wait")
                StripeEvent.objects.filter(pk=waiting.pk).update(
                    status=StripeEvent.Status.PROCESSED
                )
        finally:
            db_connection.close()
            done.set()

    thread = threading.Thread(target=leader)
    thread.start()
    assert holding.wait(30)
    with tenancy.workspace_context(connection.workspace):
        assert process_event(waiting.pk) == StripeEvent.Status.PROCESSED
    assert done.wait(30)
    thread.join()
    assert invoice_reads(stripe_api) == Counter()
    assert StripeEvent.objects.get(pk=rows[0].pk).status == StripeEvent.Status.RECEIVED


def _someone_waits_for_a_lock() -> bool:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_workers_task_does_not_wait_for_a_busy_invoice_it_comes_back(
    connection, stripe_api, settings
):
    """A worker's task finds the invoice held by another task: it does nothing (no attempt, no
    read) and is queued again a second later; run again once the invoice is free, it is
    processed."""
    from integrations.tasks import process_stripe_event

    sk = stripe_api.client()
    invoice_id = our_invoice(sk, connection.workspace, 6)
    rows = store(connection, stripe_events(sk))
    busy = rows[1]
    stripe_api.clear_requests()
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def leader():
        try:
            with tenancy.system_context(), transaction.atomic():
                advisory_xact_lock(coalesce.lock_name(busy, invoice_id))
                holding.set()
                assert release.wait(30)
        finally:
            db_connection.close()
            done.set()

    thread = threading.Thread(target=leader)
    thread.start()
    assert holding.wait(30)
    queued = []
    original = process_stripe_event.apply_async

    def record(args, countdown=None, **kwargs):
        queued.append((tuple(args), countdown))

    process_stripe_event.apply_async = record
    try:
        assert process_stripe_event(connection.workspace.pk, busy.pk) == "deferred"
    finally:
        process_stripe_event.apply_async = original
    assert queued == [((connection.workspace.pk, busy.pk), 1)]
    assert StripeEvent.objects.get(pk=busy.pk).attempts == 0
    assert invoice_reads(stripe_api) == Counter()
    release.set()
    assert done.wait(30)
    thread.join()
    # Run again once the invoice is free: processed, with its one attempt and one read.
    assert process_stripe_event(connection.workspace.pk, busy.pk) == StripeEvent.Status.PROCESSED
    assert StripeEvent.objects.get(pk=busy.pk).attempts == 1
    assert invoice_reads(stripe_api) == Counter({invoice_id: 1})
