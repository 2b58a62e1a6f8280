"""Mail to an MSP's customer comes from the MSP: its name as the sender's name, our configured
sending address (SPF/DKIM), its own address as Reply-To, and the link to its client portal, in
every customer mail (sign-in link, invoice, payment confirmation), through a real SMTP server."""

from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core.exceptions import ImproperlyConfigured

from billing.models import StripeInvoice
from billing.payments import record_payment
from customers.models import Customer
from mspercury.env import check_mail_address
from portal import links
from portal.emails import send_invoice_email, send_login_email


@pytest.fixture
def mailing(alpha, settings):
    settings.MSPERCURY_MAIL_FROM = "mail@mspercury.example"
    alpha.name = "Alpha IT Müller GmbH"
    alpha.invoice_email = "invoices@alpha.example"
    alpha.reply_to_email = "billing@alpha.example"
    alpha.save()
    return alpha


@pytest.fixture
def dupont(alpha):
    return Customer.objects.create(
        workspace=alpha, company_name="Dupont SA", email="compta@dupont.example", language="fr"
    )


@pytest.fixture
def invoice(alpha, dupont):
    return StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_mail",
        number="INV-0007",
        status="open",
        currency="EUR",
        total=12000,
        amount_due=12000,
        amount_remaining=12000,
        customer=dupont,
        created=datetime(2026, 10, 1, tzinfo=UTC),
    )


def header(message, name) -> str:
    return str(make_header(decode_header(message[name])))


def portal_link(alpha) -> str:
    return f"http://testserver/portal/w/{alpha.public_id}/"


def test_every_customer_mail_comes_from_the_msp_with_its_portal(
    mailing, dupont, invoice, smtp_server, settings, django_capture_on_commit_callbacks
):
    """Sign-in link, invoice email and payment confirmation: sender name the MSP's, address
    ours, Reply-To the MSP's billing address, the portal's address in the French footer."""
    settings.MSPERCURY_PUBLIC_URL = "http://testserver"
    send_login_email(dupont, dupont.email, links.issue_login(dupont, dupont.email))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_invoice_email(invoice)
        record_payment(
            invoice,
            provider_id="inpay_1",
            source="stripe",
            amount=12000,
            currency="EUR",
            paid_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    messages = smtp_server.wait(3)
    assert len(messages) == 3
    for message in messages:
        assert parseaddr(header(message, "From")) == (
            "Alpha IT Müller GmbH",
            "mail@mspercury.example",
        )
        assert message["Reply-To"] == "billing@alpha.example"
        assert message["To"] == "compta@dupont.example"
        text = smtp_server.text(message)
        assert f"client : {portal_link(mailing)}" in text
        assert "Vos factures, devis et paiements chez Alpha IT Müller GmbH" in text


def test_replies_go_to_the_invoice_email_without_a_reply_to_address(mailing, dupont, smtp_server):
    mailing.reply_to_email = ""
    mailing.save()
    send_login_email(dupont, dupont.email, links.issue_login(dupont, dupont.email))
    (message,) = smtp_server.wait(1)
    assert message["Reply-To"] == "invoices@alpha.example"


def test_no_reply_to_when_the_msp_has_no_address(alpha, dupont, smtp_server):
    send_login_email(dupont, dupont.email, links.issue_login(dupont, dupont.email))
    (message,) = smtp_server.wait(1)
    assert message["Reply-To"] is None
    assert parseaddr(header(message, "From"))[0] == "Alpha IT"


def test_the_sending_address_must_be_an_address():
    assert check_mail_address("X", "mail@msp.example") == "mail@msp.example"
    with pytest.raises(ImproperlyConfigured, match="MSPERCURY_MAIL_FROM"):
        check_mail_address("MSPERCURY_MAIL_FROM", "MSPercury <noreply@localhost>")


def test_it_saves_the_reply_to_address_in_workspace_settings(client_for, alice, alpha):
    client = client_for(alice)
    page = client.get("/settings/workspace/").content.decode()
    assert 'name="reply_to_email"' in page
    data = {
        "name": "Alpha IT",
        "country": "DE",
        "tax_id_type": "none",
        "default_currency": "EUR",
        "default_language": "en",
        "vat_taxation": "agreed",
        "reply_to_email": "not an address",
    }
    response = client.post("/settings/workspace/", data)
    assert response.status_code == 200 and "reply_to_email" in response.context["form"].errors
    data["reply_to_email"] = "billing@alpha.example"
    response = client.post("/settings/workspace/", data)
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert alpha.reply_to_email == "billing@alpha.example"


def _invite(client, customer):
    return client.post(f"/customers/{customer.public_id}/portal-invite/", follow=True)


def test_it_invites_the_customer_to_the_portal_in_its_language(
    client_for, bob, mailing, dupont, smtp_server, settings
):
    """A member sends it from the customer page; French mail with the portal's address; audited."""
    from mspercury.models import AuditEvent

    settings.MSPERCURY_PUBLIC_URL = "http://testserver"
    client = client_for(bob)
    assert "portal-invite" in client.get(f"/customers/{dupont.public_id}/").content.decode()
    response = _invite(client, dupont)
    assert "Portal invitation sent to compta@dupont.example." in response.content.decode()
    (message,) = smtp_server.wait(1)
    assert header(message, "Subject") == "Votre portail client chez Alpha IT Müller GmbH"
    assert message["Reply-To"] == "billing@alpha.example"
    text = smtp_server.text(message)
    assert f"Connectez-vous sur {portal_link(mailing)}" in text
    event = AuditEvent.objects.get(action="customer.portal_invited")
    assert event.actor == bob and event.details["email"] == "compta@dupont.example"
    assert event.workspace == mailing


def test_it_limits_invitations_per_customer(client_for, alice, mailing, dupont, smtp_server):
    client = client_for(alice)
    for _ in range(3):
        _invite(client, dupont)
    response = _invite(client, dupont)
    assert "invited 3 times today already" in response.content.decode()
    assert len(smtp_server.wait(4, timeout=1)) == 3


def test_it_needs_an_address_and_a_post_with_csrf(client_for, alice, alpha, smtp_server):
    from django.test import Client

    nobody = Customer.objects.create(workspace=alpha, company_name="No Mail Ltd")
    response = _invite(client_for(alice), nobody)
    assert "has no email address" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/customers/{nobody.public_id}/portal-invite/").status_code == 403
    assert client_for(alice).get(f"/customers/{nobody.public_id}/portal-invite/").status_code == 405
    assert smtp_server.wait(1, timeout=0.5) == []


def test_it_checks_ownership(client_for, charlie, dupont, smtp_server):
    """Another workspace's customer: 404, no mail."""
    response = client_for(charlie).post(f"/customers/{dupont.public_id}/portal-invite/")
    assert response.status_code == 404
    assert smtp_server.wait(1, timeout=0.5) == []
