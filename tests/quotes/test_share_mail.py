"""The quote page emails the share link and the PDF to the customer's address, in the
customer's language and from the MSP, and lists the mail on the quote."""

import re
from email.header import decode_header, make_header

import pytest
from django.test import Client

from mspercury.models import AuditEvent
from tests.quotes.share_helpers import add_priced_lines


@pytest.fixture
def priced(quote, rmm, setup_fee, acme, alpha):
    acme.email, acme.language = "achats@acme.example", "fr"
    acme.save()
    alpha.reply_to_email = "billing@alpha.example"
    alpha.save()
    return add_priced_lines(quote, rmm, setup_fee)


def _send(client, quote, **extra):
    data = {"expires_in": "14", "send_email": "1", **extra}
    return client.post(f"/quotes/{quote.public_id}/share/", data)


def test_it_emails_the_link_and_the_pdf_in_the_customers_language(
    client_for, bob, priced, smtp_server
):
    client = client_for(bob)
    assert "share-email-button" in client.get(f"/quotes/{priced.public_id}/").content.decode()
    response = _send(client, priced)
    assert response.status_code == 200
    (message,) = smtp_server.wait(1)
    assert message["To"] == "achats@acme.example"
    assert message["Reply-To"] == "billing@alpha.example"
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"Devis {priced.number} de Alpha IT"
    text = smtp_server.text(message)
    assert "Vous pouvez le lire et l’accepter en ligne ici" in text
    assert "Le lien est valable jusqu’au" in text and re.search(r"\(CES?T\)", text)
    assert "portail client" in text
    url = re.search(r"https?://[^/\s]+(/q/[^/\s]+/)", text).group(1)
    assert 'name="revision"' in Client().get(url).content.decode()
    (pdf,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"{priced.number}-r{priced.revision}.pdf"
    assert pdf.get_payload(decode=True).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="quote.emailed")
    assert event.actor == bob and event.details["email"] == "achats@acme.example"
    page = client.get(f"/quotes/{priced.public_id}/").content.decode()
    assert 'id="quote-mails"' in page and "to achats@acme.example, by Bob Member" in page


def test_without_an_address_it_shares_and_says_why_no_mail_went(
    client_for, alice, priced, acme, smtp_server
):
    acme.email = ""
    acme.save()
    response = _send(client_for(alice), priced)
    assert "The customer has no email address" in response.content.decode()
    assert smtp_server.wait(1, timeout=0.5) == []
    assert not AuditEvent.objects.filter(action="quote.emailed").exists()


def test_it_checks_ownership(client_for, charlie, priced, smtp_server):
    assert _send(client_for(charlie), priced).status_code == 404
    assert smtp_server.wait(1, timeout=0.5) == []
