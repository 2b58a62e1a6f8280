# ruff: noqa: F401, F811 (fixtures shared with test_payment_sources)
"""Manual payments by admins through the invoice page, reported to Stripe (the emulator, over
HTTP): in full → paid out of band; partial → payment record, or kept here with a label."""

import pytest

from billing.models import Payment
from mspercury.models import AuditEvent
from tests.integrations.test_payment_sources import open_invoice, wired

pytestmark = pytest.mark.django_db(transaction=True)


def _post(client, invoice, amount, **extra):
    return client.post(
        f"/billing/invoices/{invoice.public_id}/payments/",
        {"amount": amount, "paid_on": "2026-12-01", "method": "bank_transfer", **extra},
    )


def _major(minor_units):
    return f"{minor_units / 100:.2f}"


def test_a_full_manual_payment_marks_the_stripe_invoice_paid_out_of_band(
    open_invoice, stripe_api, client
):
    response = _post(client, open_invoice, _major(open_invoice.total), reference="TX-1")
    assert response.status_code == 302
    stripe_api.flush_webhooks()
    assert stripe_api.client().v1.invoices.retrieve(open_invoice.stripe_id).status == "paid"
    payment = Payment.objects.get(invoice=open_invoice)  # no second "marked paid" row
    assert (payment.source, payment.recorded_in_stripe, payment.reference) == (
        "manual",
        True,
        "TX-1",
    )
    open_invoice.refresh_from_db()
    assert (open_invoice.status, open_invoice.payment_status) == ("paid", "paid")
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 1


@pytest.fixture
def records_payments(wired, stripe_api):
    """The MSP's key may also write payment records (an optional permission)."""
    from tests.integrations.test_payment_sources import PERMISSIONS

    key = stripe_api.add_key(
        permissions=PERMISSIONS | {"payment_records": "write"}, account="acct_1EmulatorSeedAcct"
    )
    wired.api_key = key["key"]
    wired.save()
    return wired


def test_a_partial_manual_payment_is_a_payment_record_on_the_stripe_invoice(
    records_payments, open_invoice, stripe_api, client
):
    response = _post(client, open_invoice, "10.00", method="cheque", reference="CHQ-7")
    assert response.status_code == 302
    stripe_api.flush_webhooks()  # invoice_payment.paid for the attached record comes back
    payment = Payment.objects.get(invoice=open_invoice)  # once, not again from the webhook
    assert payment.recorded_in_stripe and payment.payment_intent.startswith("pr_")
    in_stripe = stripe_api.client().v1.invoices.retrieve(open_invoice.stripe_id)
    assert (in_stripe.status, in_stripe.amount_paid) == ("open", 1000)
    open_invoice.refresh_from_db()
    assert open_invoice.payment_status == "partially_paid"
    assert open_invoice.balance_due == open_invoice.total - 1000
    html = client.get(f"/billing/invoices/{open_invoice.public_id}/").content.decode()
    assert "Recorded in MSPercury only (not in Stripe)" not in html


def test_a_partial_manual_payment_is_labelled_when_stripe_cannot_hold_it(
    open_invoice, stripe_api, client
):
    response = _post(client, open_invoice, "10.00", method="cheque")
    assert response.status_code == 302
    payment = Payment.objects.get(invoice=open_invoice)
    assert not payment.recorded_in_stripe  # the key may not write payment records
    open_invoice.refresh_from_db()
    assert open_invoice.payment_status == "partially_paid"
    assert open_invoice.balance_due == open_invoice.total - 1000
    html = client.get(f"/billing/invoices/{open_invoice.public_id}/").content.decode()
    assert "Recorded in MSPercury only (not in Stripe)" in html
    assert stripe_api.client().v1.invoices.retrieve(open_invoice.stripe_id).amount_paid == 0

    client.post(f"/billing/invoices/{open_invoice.public_id}/payments/{payment.public_id}/void/")
    open_invoice.refresh_from_db()
    assert open_invoice.payment_status == "open"
    assert AuditEvent.objects.filter(action="payment.voided").count() == 1


def test_it_refuses_more_than_is_owed(open_invoice, client):
    response = _post(client, open_invoice, _major(open_invoice.total + 1))
    assert response.status_code == 400
    assert "more than what is still owed" in response.content.decode()
    assert not Payment.objects.exists()
