"""A month-end burst drained by two real Celery workers at once: one fresh read per invoice,
no event lost, none processed twice, and a handful of database connections for all of it."""

from collections import Counter

import pytest
from django.db import connection as db_connection

from billing.models import Payment, StripeInvoice
from integrations.models import StripeEvent
from integrations.tasks import process_stripe_event
from tests.celery_workers import (
    broker,  # noqa: F401  (fixture)
    connections_opened,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.integrations.event_bursts import (
    invoice_reads,
    our_invoice,
    statuses,
    stripe_events,
)
from tests.integrations.event_bursts import store as store_events

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

INVOICES = 12


def _drained(redis_client, rows) -> bool:
    return (
        statuses(rows) == {StripeEvent.Status.PROCESSED}
        and redis_client.llen("webhooks") == 0
        and redis_client.hlen("unacked") == 0
    )


def test_two_workers_drain_a_burst_with_one_read_per_invoice(
    connection,
    stripe_api,
    broker,  # noqa: F811
):
    sk = stripe_api.client()
    invoices = [our_invoice(sk, connection.workspace, n) for n in range(INVOICES)]
    rows = store_events(connection, stripe_events(sk))
    assert len(rows) >= 5 * INVOICES
    db_connection.close()  # the workers read committed rows
    stripe_api.clear_requests()
    workers = [start_worker(f"storm{n}", stripe_base=stripe_api.base_url) for n in (1, 2)]
    try:
        for row in rows:
            process_stripe_event.delay(connection.workspace_id, row.pk)
        wait_for(lambda: _drained(broker, rows), 180, "the workers to drain the burst")
    finally:
        logs = [stop_worker(worker) for worker in workers]
    for log in logs:
        assert "Traceback" not in log and "ERROR" not in log, log

    # One fresh read per invoice for all its events, its payments and their evidence.
    assert invoice_reads(stripe_api) == Counter(invoices)
    assert len(stripe_api.requests(method="GET", path="/v1/invoice_payments")) == INVOICES
    for invoice_id in invoices:
        mirror = StripeInvoice.objects.get(stripe_id=invoice_id)
        assert (mirror.status, mirror.amount_remaining) == ("paid", 0)
        assert Payment.objects.filter(invoice=mirror, source=Payment.Source.STRIPE).count() == 1
    # Two workers, one connection each (and their main processes'), for every task.
    assert 2 <= connections_opened() <= 4
