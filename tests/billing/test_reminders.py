"""'Send pay link reminder' on an unpaid invoice: a real SMTP server receives it, in the
customer's language, with a fresh pay link; it refuses clearly when it cannot or should not go."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import PaymentSettings, StripeInvoice
from customers.models import Customer
from mspercury.models import AuditEvent
from portal.models import PayLink


@pytest.fixture
def customer(alpha):
    return Customer.objects.create(
        workspace=alpha, company_name="Kunde GmbH", email="ap@kunde.example", language="de"
    )


def _stuck(workspace, customer, n=1, **fields):
    values = {
        "workspace": workspace,
        "account_ref": "acct_1",
        "stripe_id": f"in_stuck{n}",
        "number": f"INV-{n:04d}",
        "status": "open",
        "currency": "EUR",
        "total": 11900,
        "amount_due": 11900,
        "amount_remaining": 11900,
        "customer": customer,
        "created": timezone.now() - timedelta(days=30),
        "due_date": timezone.now() - timedelta(days=16),
    }
    return StripeInvoice.objects.create(**(values | fields))


@pytest.fixture
def _remind(django_capture_on_commit_callbacks):
    """POST the reminder and run what it queued after commit (the Celery task, eagerly)."""

    def post(client, invoice, **data):
        with django_capture_on_commit_callbacks(execute=True):
            url = f"/billing/invoices/{invoice.public_id}/reminder/"
            return client.post(url, data, follow=True)

    return post


def test_a_reminder_reaches_the_customer_in_their_language_with_a_fresh_pay_link(
    client_for, alice, alpha, customer, smtp_server, _remind
):
    invoice = _stuck(alpha, customer)
    page = _remind(client_for(alice), invoice, back="stuck")
    assert page.redirect_chain[-1][0] == "/billing/invoices/stuck/"
    assert "ap@kunde.example" in page.content.decode()
    (mail,) = smtp_server.wait(1)
    assert mail["To"] == "ap@kunde.example"
    assert mail["Subject"] == "Erinnerung: Rechnung INV-0001 von Alpha IT"
    body = smtp_server.text(mail)
    assert "119,00 EUR" in body and "/pay/" in body
    assert PayLink.objects.filter(invoice=invoice, purpose="reminder").count() == 1
    event = AuditEvent.objects.get(action="invoice.reminder_sent")
    assert event.actor == alice and "INV-0001" in event.summary


def test_one_reminder_per_hour_however_often_it_is_clicked(
    client_for, alice, alpha, customer, smtp_server, _remind
):
    invoice = _stuck(alpha, customer)
    client = client_for(alice)
    _remind(client, invoice)
    page = _remind(client, invoice).content.decode()
    assert "went out less than an hour ago" in page
    assert len(smtp_server.wait(2, timeout=1)) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        client = client_for(alice)
        _remind(client, invoice)
    assert len(smtp_server.wait(2)) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_email", "Kunde GmbH has no email address: add one on the customer first."),
        ("links_off", "Pay links are turned off in Settings → Payments."),
        ("paid", "Invoice INV-0001 has nothing left to pay."),
        ("void", "Invoice INV-0001 has nothing left to pay."),
    ],
)
def test_it_says_why_no_reminder_can_go_out(
    client_for, alice, alpha, customer, smtp_server, change, message, _remind
):
    invoice = _stuck(alpha, customer)
    if change == "no_email":
        Customer.objects.filter(pk=customer.pk).update(email="")
    elif change == "links_off":
        PaymentSettings.objects.create(workspace=alpha, include_pay_links=False)
    elif change == "paid":
        StripeInvoice.objects.filter(pk=invoice.pk).update(
            status="paid", amount_paid=11900, amount_remaining=0
        )
    else:
        StripeInvoice.objects.filter(pk=invoice.pk).update(status="void")
    page = _remind(client_for(alice), invoice)
    assert page.redirect_chain[-1][0] == f"/billing/invoices/{invoice.public_id}/"
    assert message in page.content.decode()
    assert smtp_server.wait(1, timeout=0.5) == []
    invoice.refresh_from_db()
    assert invoice.reminder_sent_at is None
    assert not AuditEvent.objects.filter(action="invoice.reminder_sent").exists()


def test_members_see_no_reminder_button_and_cannot_send_one(
    client_for, alice, bob, alpha, customer, smtp_server
):
    invoice = _stuck(alpha, customer)
    admin_page = client_for(alice).get("/billing/invoices/stuck/").content.decode()
    assert admin_page.count('data-testid="send-reminder"') == 1
    member = client_for(bob)
    stuck = member.get("/billing/invoices/stuck/").content.decode()
    assert 'data-testid="send-reminder"' not in stuck
    detail = member.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert 'data-testid="send-reminder"' not in detail
    assert member.post(f"/billing/invoices/{invoice.public_id}/reminder/").status_code == 403
    assert member.get(f"/billing/invoices/{invoice.public_id}/reminder/").status_code == 405
    assert smtp_server.wait(1, timeout=0.5) == []


def test_another_workspace_cannot_remind_our_customer(
    client_for, charlie, alpha, customer, smtp_server
):
    invoice = _stuck(alpha, customer)
    response = client_for(charlie).post(f"/billing/invoices/{invoice.public_id}/reminder/")
    assert response.status_code == 404
    assert smtp_server.wait(1, timeout=0.5) == []


def test_the_detail_page_shows_when_the_last_reminder_went_out(
    client_for, alice, alpha, customer, smtp_server, _remind
):
    invoice = _stuck(alpha, customer)
    client = client_for(alice)
    html = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert 'data-testid="reminder-sent"' not in html
    _remind(client, invoice)
    html = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert 'data-testid="send-reminder"' in html and 'data-testid="reminder-sent"' in html
