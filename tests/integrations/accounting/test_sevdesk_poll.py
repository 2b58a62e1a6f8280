"""sevDesk's payments read back by polling (sevDesk has no webhooks): changed invoices since the
last poll into the ledger, with backoff after failures and 429s, over real HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Payment
from integrations.sevdesk.poll import BASE, backoff, poll
from integrations.tasks import poll_sevdesk

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_transfer_booked_in_sevdesk_makes_the_invoice_paid(
    sevdesk_invoice, sevdesk_conn, sevdesk_emulator
):
    sevdesk_emulator.pay(sevdesk_invoice.stripe_id, "119.00")
    poll_sevdesk.delay()
    sevdesk_invoice.refresh_from_db()
    assert (sevdesk_invoice.status, sevdesk_invoice.payment_status) == ("paid", "paid")
    (payment,) = Payment.objects.filter(invoice=sevdesk_invoice)
    assert (payment.source, payment.method, payment.amount) == (
        "accounting",
        "bank_transfer",
        11900,
    )
    sevdesk_conn.refresh_from_db()
    assert sevdesk_conn.poll_failures == 0 and sevdesk_conn.polled_until is not None


def test_a_part_payment_is_partially_paid_and_polling_again_counts_nothing_twice(
    sevdesk_invoice, sevdesk_conn, sevdesk_emulator
):
    sevdesk_emulator.pay(sevdesk_invoice.stripe_id, "19.00")
    assert poll(sevdesk_conn) == 1
    sevdesk_conn.polled_until = None  # ask for everything again
    poll(sevdesk_conn)
    sevdesk_invoice.refresh_from_db()
    assert sevdesk_invoice.payment_status == "partially_paid"
    assert sevdesk_invoice.balance_due == 10000
    sevdesk_emulator.pay(sevdesk_invoice.stripe_id, "100.00")
    poll(sevdesk_conn)
    sevdesk_invoice.refresh_from_db()
    assert sevdesk_invoice.payment_status == "paid"
    amounts = sorted(
        Payment.objects.filter(invoice=sevdesk_invoice).values_list("amount", flat=True)
    )
    assert amounts == [1900, 10000]


def test_a_429_backs_off_and_a_success_resets_the_wait(
    sevdesk_invoice, sevdesk_conn, sevdesk_emulator
):
    sevdesk_emulator.fault("rate_limit", "/api/v1/Invoice", method="GET", count=2)
    now = timezone.now()
    assert poll(sevdesk_conn, now) == -1
    sevdesk_conn.refresh_from_db()
    assert sevdesk_conn.poll_failures == 1
    assert sevdesk_conn.next_poll_at == now + timedelta(seconds=BASE)
    assert "Too Many Requests" in sevdesk_conn.poll_error
    sevdesk_emulator.clear_requests()
    assert poll(sevdesk_conn, now + timedelta(seconds=BASE - 1)) == -1  # not due: not asked
    assert sevdesk_emulator.requests(path="/api/v1/Invoice") == []
    later = now + timedelta(seconds=BASE)
    assert poll(sevdesk_conn, later) == -1
    sevdesk_conn.refresh_from_db()
    assert sevdesk_conn.poll_failures == 2
    assert sevdesk_conn.next_poll_at == later + timedelta(seconds=2 * BASE)
    sevdesk_emulator.pay(sevdesk_invoice.stripe_id, "119.00")
    assert poll(sevdesk_conn, later + timedelta(seconds=2 * BASE)) == 1
    sevdesk_conn.refresh_from_db()
    assert (sevdesk_conn.poll_failures, sevdesk_conn.next_poll_at, sevdesk_conn.poll_error) == (
        0,
        None,
        "",
    )
    sevdesk_invoice.refresh_from_db()
    assert sevdesk_invoice.payment_status == "paid"


def test_the_backoff_doubles_up_to_an_hour_and_honours_retry_after():
    assert [backoff(n) for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]
    assert backoff(1, retry_after=300) == 300


def test_an_invoice_the_ledger_does_not_hold_is_not_taken_in(sevdesk_conn, sevdesk_emulator, acme):
    from tests.integrations.accounting.conftest import issue_sevdesk

    invoice = issue_sevdesk(sevdesk_conn, acme)
    invoice.delete()
    sevdesk_emulator.pay(invoice.stripe_id, "119.00")
    assert poll(sevdesk_conn) == 0
    assert not Payment.objects.exists()


def test_polling_runs_inside_each_workspace(sevdesk_invoice, sevdesk_conn, charlie_ws):
    """Charlie's workspace (no sevDesk) is not polled; Alpha's is, for its own invoices."""
    results = poll_sevdesk.delay().get()
    assert set(results) == {sevdesk_conn.workspace_id}
