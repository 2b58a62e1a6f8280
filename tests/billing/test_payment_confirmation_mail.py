"""The payment confirmation goes through Celery to a real SMTP server (started by the test): in
the customer's language, once per payment however often the task runs, never when the workspace
turned confirmations off, and it is sent again later when the mail server was down."""

from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from celery.exceptions import Retry

from billing.models import Payment, PaymentSettings, StripeInvoice
from billing.payments import record_payment
from billing.tasks import send_payment_confirmation
from customers.models import Customer


@pytest.fixture
def invoice(alpha):
    customer = Customer.objects.create(
        workspace=alpha, company_name="Société Dupont", email="compta@dupont.example", language="fr"
    )
    return StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_conf",
        number="INV-0042",
        status="open",
        currency="EUR",
        total=12000,
        amount_due=12000,
        amount_remaining=12000,
        customer=customer,
        created=datetime(2026, 10, 1, tzinfo=UTC),
    )


def _pay(invoice, provider_id, amount, capture):
    with capture(execute=True):
        payment, _ = record_payment(
            invoice,
            provider_id=provider_id,
            source="stripe",
            amount=amount,
            currency="EUR",
            paid_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    return payment


def test_each_payment_is_confirmed_once_in_the_customers_language(
    invoice, smtp_server, django_capture_on_commit_callbacks
):
    first = _pay(invoice, "inpay_a", 4000, django_capture_on_commit_callbacks)
    _pay(invoice, "inpay_a", 4000, django_capture_on_commit_callbacks)  # the webhook again
    _pay(invoice, "inpay_b", 8000, django_capture_on_commit_callbacks)
    assert send_payment_confirmation.delay(invoice.workspace_id, first.pk).get() == "skipped"
    partial, full = smtp_server.wait(3, timeout=3)
    assert partial["To"] == "compta@dupont.example"
    assert (
        str(make_header(decode_header(partial["Subject"])))
        == "Paiement reçu pour la facture INV-0042"
    )
    text = smtp_server.text(partial)
    assert "40,00 EUR" in text and "Reste à payer sur cette facture : 80,00 EUR." in text
    assert "La facture est maintenant entièrement payée." in smtp_server.text(full)
    assert Payment.objects.filter(confirmation_sent_at__isnull=False).count() == 2


def test_no_confirmation_when_the_workspace_turned_them_off(
    invoice, alpha, smtp_server, django_capture_on_commit_callbacks
):
    PaymentSettings.objects.create(workspace=alpha, send_confirmations=False)
    payment = _pay(invoice, "inpay_off", 4000, django_capture_on_commit_callbacks)
    # Even a task queued before the setting changed reads it when it runs.
    assert send_payment_confirmation.delay(invoice.workspace_id, payment.pk).get() == "off"
    assert smtp_server.wait(1, timeout=0.5) == []


def test_a_mail_server_outage_leaves_the_confirmation_unsent_for_the_retry(
    invoice, smtp_server, settings, django_capture_on_commit_callbacks
):
    PaymentSettings.objects.create(workspace=invoice.workspace, send_confirmations=False)
    payment = _pay(invoice, "inpay_down", 4000, django_capture_on_commit_callbacks)
    PaymentSettings.objects.filter(workspace=invoice.workspace).update(send_confirmations=True)
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, 1  # nothing listens there
    with pytest.raises(Retry):  # Celery retries it with backoff
        send_payment_confirmation.apply(args=(invoice.workspace_id, payment.pk), throw=True).get()
    payment.refresh_from_db()
    assert payment.confirmation_sent_at is None
    settings.EMAIL_PORT = port
    assert send_payment_confirmation.delay(invoice.workspace_id, payment.pk).get() == "sent"
    assert len(smtp_server.wait(1)) == 1
