"""The invoice email carries the e-invoice when the customer wants e-invoices: ZUGFeRD, or
XRechnung for a public buyer, with the email's own pay link inside. Sent through Celery to a
real SMTP server. When it cannot be made, the email goes without it and the MSP is told why."""

import re

import pytest

from billing.einvoice.model import Profile
from billing.einvoice.validate import check
from mspercury.models import Notification
from portal.tasks import send_invoice_email
from tests.einvoice.delivery import embedded_xml, facts
from tests.factories import member

RENEWAL = {"total": 60201, "tax": 9612}
LEITWEG = "991-03730-19"


@pytest.fixture
def invoice(make_invoice, monthly):
    return make_invoice(subscription="sub_m", **RENEWAL)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the invoice email task as the mirror queues it, and what it queues after commit."""

    def _send(invoice, reminder=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_invoice_email.delay(invoice.workspace_id, invoice.pk, reminder).get()

    return _send


def _attachments(message):
    return [part for part in message.walk() if part.get_filename()]


def _pay_url(message, smtp_server):
    return re.search(r"https?://\S+/pay/\S+/", smtp_server.text(message)).group(0)


def _wants(invoice, **fields):
    customer = invoice.customer
    for name, value in {"wants_einvoices": True, **fields}.items():
        setattr(customer, name, value)
    customer.save()


def test_the_invoice_email_carries_the_zugferd(invoice, smtp_server, send):
    _wants(invoice)
    send(invoice)
    (message,) = smtp_server.wait(1)
    assert message["To"] == "ap1@client.example"
    (part,) = _attachments(message)
    assert part.get_filename() == "RE-2026-0001.pdf"
    assert part.get_content_type() == "application/pdf"
    xml = embedded_xml(part.get_payload(decode=True))
    invoice_facts = facts(xml)
    assert (invoice_facts["number"], invoice_facts["buyer"], invoice_facts["grand"]) == (
        "RE-2026-0001",
        "Kunde AG",
        "602.01",
    )
    # The pay link in the e-invoice is the one in this email (not Stripe's page).
    assert _pay_url(message, smtp_server) in invoice_facts["terms"]
    assert invoice.hosted_invoice_url not in invoice_facts["terms"]
    check(xml, Profile.EN16931)
    assert "ZUGFeRD" in smtp_server.text(message)


def test_a_public_buyer_gets_the_xrechnung(invoice, msp, smtp_server, send):
    msp.invoice_phone = "+49 30 1234567"
    msp.save()
    _wants(invoice, wants_einvoices=False, leitweg_id=LEITWEG)  # the Leitweg-ID is enough
    send(invoice)
    (message,) = smtp_server.wait(1)
    (part,) = _attachments(message)
    assert part.get_filename() == "RE-2026-0001-xrechnung.xml"
    assert part.get_content_type() == "application/xml"
    xml = part.get_payload(decode=True)
    assert facts(xml)["number"] == "RE-2026-0001"
    assert facts(xml)["buyer_reference"] == LEITWEG
    assert _pay_url(message, smtp_server) in facts(xml)["terms"]
    check(xml, Profile.XRECHNUNG)
    assert "Anbei: die Rechnung als XRechnung." in smtp_server.text(message)  # German buyer


def test_a_reminder_carries_it_with_the_reminders_pay_link(invoice, smtp_server, send):
    _wants(invoice)
    send(invoice)
    send(invoice, reminder=True)
    first, reminder = smtp_server.wait(2)
    urls = [_pay_url(m, smtp_server) for m in (first, reminder)]
    assert urls[0] != urls[1]
    terms = facts(embedded_xml(_attachments(reminder)[0].get_payload(decode=True)))["terms"]
    assert urls[1] in terms and urls[0] not in terms


def test_no_attachment_when_the_customer_does_not_want_einvoices(invoice, smtp_server, send):
    send(invoice)
    (message,) = smtp_server.wait(1)
    assert not message.is_multipart() and _attachments(message) == []
    assert "Attached" not in smtp_server.text(message)
    assert "/pay/" in smtp_server.text(message)


def test_when_it_cannot_be_made_the_email_goes_and_the_msp_learns_why(invoice, smtp_server, send):
    _wants(invoice, leitweg_id=LEITWEG)  # but the MSP has no invoice phone yet
    send(invoice)
    messages = smtp_server.wait(2)
    (customer_mail,) = [m for m in messages if m["To"] == "ap1@client.example"]
    (msp_mail,) = [m for m in messages if m["To"] == "alice@example.org"]
    assert _attachments(customer_mail) == []
    assert "Attached" not in smtp_server.text(customer_mail)
    notification = Notification.objects.get(workspace=invoice.workspace)
    assert notification.kind == "einvoice_failed"
    assert notification.title == "No e-invoice for invoice RE-2026-0001"
    assert notification.body == (
        "The invoice email to ap1@client.example went out without its e-invoice. The XRechnung "
        "of invoice RE-2026-0001 cannot be made yet. Missing in Settings → Workspace: an "
        "invoice phone number."
    )
    assert notification.url == f"/billing/invoices/{invoice.public_id}/"
    assert "an invoice phone number" in smtp_server.text(msp_mail)


def test_a_bug_in_the_builder_does_not_hold_back_the_email(invoice, smtp_server, send, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font cache gone")

    monkeypatch.setattr("billing.einvoice.einvoice_for", broken)
    _wants(invoice)
    send(invoice)
    messages = smtp_server.wait(2)
    (customer_mail,) = [m for m in messages if m["To"] == "ap1@client.example"]
    assert _attachments(customer_mail) == []
    notification = Notification.objects.get(workspace=invoice.workspace)
    assert notification.body.endswith("has no e-invoice: font cache gone")


def test_it_checks_ownership(invoice, charlie_ws, smtp_server, send):
    """Another workspace's owner is never told about Alpha's invoice."""
    member(charlie_ws, "carla@example.org", "Carla", "owner")
    _wants(invoice, leitweg_id=LEITWEG)
    send(invoice)
    recipients = {m["To"] for m in smtp_server.wait(2)}
    assert recipients == {"ap1@client.example", "alice@example.org"}
    assert not Notification.objects.filter(workspace=charlie_ws).exists()
