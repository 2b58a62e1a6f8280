"""The one settle path: the pure status rule, record_payment once per provider id, refunds,
credit notes, voiding, concurrency."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection as db_connection
from hypothesis import given
from hypothesis import strategies as st

from billing.models import Payment, PaymentStatus, StripeInvoice
from billing.payments import (
    PaymentError,
    check_manual,
    payment_status,
    record_payment,
    void_manual_payment,
)
from mspercury.models import AuditEvent
from mspercury.tenancy import workspace_context

PAID_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _invoice(workspace, n=1, *, status="open", total=10000, currency="EUR"):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_1",
        stripe_id=f"in_{n}",
        number=f"INV-{n:04d}",
        status=status,
        currency=currency,
        total=total,
        amount_due=total,
        amount_remaining=total,
    )


def _pay(invoice, provider_id, amount, source=Payment.Source.STRIPE, **extra):
    return record_payment(
        invoice,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency=invoice.currency,
        paid_at=PAID_AT,
        **extra,
    )


@pytest.mark.parametrize(
    ("total", "settled", "stripe", "expected"),
    [
        (10000, 0, "open", "open"),
        (10000, 1, "open", "partially_paid"),
        (10000, 9999, "open", "partially_paid"),
        (10000, 10000, "open", "paid"),
        (10000, 12000, "open", "paid"),
        (10000, 10000, "paid", "paid"),
        (10000, 4000, "paid", "partially_paid"),  # refunded after Stripe called it paid
        (10000, 0, "paid", "open"),
        (10000, -500, "open", "open"),
        (0, 0, "open", "paid"),  # nothing owed
        (10000, 10000, "void", "void"),
        (10000, 0, "uncollectible", "uncollectible"),
        (10000, 0, "draft", "draft"),
        (10000, 0, "deleted", "deleted"),
    ],
)
def test_it_derives_the_payment_status(total, settled, stripe, expected):
    assert payment_status(total, settled, stripe) == expected


@given(
    total=st.integers(min_value=-(10**9), max_value=10**12),
    settled=st.integers(min_value=-(10**12), max_value=10**12),
    stripe=st.sampled_from([s.value for s in StripeInvoice.Status]),
)
def test_the_payment_status_rule_holds_for_any_amounts(total, settled, stripe):
    status = payment_status(total, settled, stripe)
    assert status in PaymentStatus.values
    if stripe in ("draft", "void", "uncollectible", "deleted"):
        assert status == stripe
    elif status == PaymentStatus.PAID:
        assert settled >= total
    elif status == PaymentStatus.PARTIALLY_PAID:
        assert 0 < settled < total
    else:
        assert status == PaymentStatus.OPEN and settled <= 0 and settled < total


def test_it_records_a_payment_once_and_settles(alpha):
    invoice = _invoice(alpha)
    payment, created = _pay(invoice, "inpay_1", 4000)
    again, created_again = _pay(invoice, "inpay_1", 4000)
    assert created and not created_again and again.pk == payment.pk
    invoice.refresh_from_db()
    assert (invoice.payment_status, invoice.amount_settled, invoice.balance_due) == (
        "partially_paid",
        4000,
        6000,
    )
    _pay(invoice, "inpay_2", 6000)
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid" and invoice.balance_due == 0


def test_refunds_and_credit_notes_reduce_it(alpha):
    invoice = _invoice(alpha)
    _pay(invoice, "inpay_1", 10000, payment_intent="pi_1")
    _pay(invoice, "re_1", -3000, source=Payment.Source.REFUND)
    invoice.refresh_from_db()
    assert (invoice.payment_status, invoice.amount_settled) == ("partially_paid", 7000)
    _pay(invoice, "cn_1", -3000, source=Payment.Source.CREDIT_NOTE)
    invoice.refresh_from_db()
    assert (invoice.payment_status, invoice.amount_credited, invoice.balance_due) == (
        "paid",
        3000,
        0,
    )


def test_it_refuses_another_currency(alpha):
    invoice = _invoice(alpha)
    with pytest.raises(PaymentError, match="EUR"):
        record_payment(
            invoice,
            provider_id="x",
            source="stripe",
            amount=1,
            currency="usd",
            paid_at=PAID_AT,
        )
    assert not Payment.objects.exists()


def test_manual_payments_need_an_open_invoice_and_at_most_what_is_owed(alpha):
    invoice = _invoice(alpha)
    check_manual(invoice, 10000, "EUR")
    for amount, message in ((0, "more than zero"), (10001, "more than what is still owed")):
        with pytest.raises(PaymentError, match=message):
            check_manual(invoice, amount, "EUR")
    with pytest.raises(PaymentError, match="EUR"):
        check_manual(invoice, 100, "USD")
    with pytest.raises(PaymentError, match="open invoices"):
        check_manual(_invoice(alpha, 2, status="draft"), 100, "EUR")


def test_voiding_a_manual_payment_is_audited_and_resettles(alpha, alice):
    invoice = _invoice(alpha)
    payment, _ = _pay(
        invoice, "manual:1", 10000, source=Payment.Source.MANUAL, method="cash", created_by=alice
    )
    void_manual_payment(None, payment, actor=alice)
    void_manual_payment(None, payment, actor=alice)  # twice: no second audit entry
    invoice.refresh_from_db()
    assert invoice.payment_status == "open" and invoice.amount_settled == 0
    event = AuditEvent.objects.get(action="payment.voided")
    assert event.actor == alice and event.details["amount"] == 10000
    stripe_payment, _ = _pay(invoice, "inpay_9", 100)
    with pytest.raises(PaymentError):
        void_manual_payment(None, stripe_payment, actor=alice)


def test_payment_rows_stay_in_their_workspace(alpha, charlie_ws):
    invoice = _invoice(alpha)
    _pay(invoice, "inpay_1", 100)
    with workspace_context(charlie_ws):
        assert not Payment.objects.exists()
    with workspace_context(alpha):
        assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_recording_the_same_payment_count_it_once(alpha):
    invoice = _invoice(alpha)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def record():
        try:
            with workspace_context(alpha.pk):
                barrier.wait()
                results.append(_pay(invoice, "inpay_same", 6000)[1])
        except Exception as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(results) == [False, True]
    invoice.refresh_from_db()
    assert Payment.objects.count() == 1 and invoice.amount_settled == 6000


@pytest.mark.django_db(transaction=True)
def test_two_threads_recording_different_payments_sum_both(alpha):
    invoice = _invoice(alpha)
    barrier = threading.Barrier(2)
    errors = []

    def record(provider_id):
        try:
            with workspace_context(alpha.pk):
                barrier.wait()
                _pay(invoice, provider_id, 5000)
        except Exception as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=record, args=(f"inpay_{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    invoice.refresh_from_db()
    assert (invoice.amount_settled, invoice.payment_status) == (10000, "paid")
