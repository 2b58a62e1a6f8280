"""Invoices of Lexware Office and sevDesk on the MSP's pages and in the client portal: the
provider named, Stripe-only features labelled, manual payments written back to sevDesk and
labelled for Lexware, the provider's PDF proxied behind the portal's tenancy, bank details with a
GiroCode for what is due, and reminders by mail. Real HTTP to the doubles, real SMTP."""

import pytest

from billing.models import Payment
from integrations.sevdesk.client import SevdeskClient
from tests import factories
from tests.integrations.accounting.conftest import SEVDESK_TOKEN, issue_lexware, portal_client

pytestmark = pytest.mark.django_db(transaction=True)

STRIPE_ONLY = "Only for invoices issued through Stripe"


def _manual(client, invoice, amount, **extra):
    return client.post(
        f"/billing/invoices/{invoice.public_id}/payments/",
        {"amount": amount, "paid_on": "2026-12-01", "method": "bank_transfer", **extra},
    )


def test_the_invoices_list_and_detail_name_the_provider_and_label_stripe_only_features(
    client_for, alice, lexware_invoice
):
    client = client_for(alice)
    listing = client.get("/billing/invoices/").content.decode()
    assert lexware_invoice.number in listing
    assert 'data-provider="lexware">Lexware Office<' in listing
    detail = client.get(f"/billing/invoices/{lexware_invoice.public_id}/").content.decode()
    assert 'data-testid="provider">Lexware Office<' in detail
    assert detail.count(STRIPE_ONLY) == 3  # VAT re-check, open in Stripe, pay links
    assert "dashboard.stripe.com" not in detail and "Send pay link" not in detail
    assert f"/billing/invoices/{lexware_invoice.public_id}/pdf/" in detail
    settings_page = client.get("/settings/payments/").content.decode()
    assert "Pay links and Checkout: Only for invoices issued through Stripe" in settings_page


def test_a_stripe_invoice_has_no_stripe_only_label(client_for, alice, alpha):
    invoice = factories.invoice(alpha, factories.customer(alpha), total=1000, status="open")
    detail = client_for(alice).get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert STRIPE_ONLY not in detail and 'data-testid="provider">Stripe<' in detail


def test_a_manual_payment_is_booked_in_sevdesk_and_the_poll_does_not_count_it_again(
    client_for, alice, sevdesk_invoice, sevdesk_conn
):
    from integrations.sevdesk.poll import poll

    response = _manual(client_for(alice), sevdesk_invoice, "19.00", reference="TX-9")
    assert response.status_code == 302
    in_sevdesk = SevdeskClient(SEVDESK_TOKEN).get_invoice(sevdesk_invoice.stripe_id)
    assert (in_sevdesk["status"], float(in_sevdesk["paidAmount"])) == ("750", 19.0)
    (payment,) = Payment.objects.filter(invoice=sevdesk_invoice)
    assert (payment.source, payment.recorded_in_stripe) == ("manual", True)
    poll(sevdesk_conn)
    sevdesk_invoice.refresh_from_db()
    assert Payment.objects.filter(invoice=sevdesk_invoice).count() == 1
    assert (sevdesk_invoice.payment_status, sevdesk_invoice.balance_due) == (
        "partially_paid",
        10000,
    )


def test_a_manual_payment_sevdesk_refuses_records_nothing(
    client_for, alice, sevdesk_invoice, sevdesk_emulator
):
    sevdesk_emulator.fault("error", "/api/v1/Invoice/*/bookAmount", status=422, count=1)
    response = _manual(client_for(alice), sevdesk_invoice, "19.00")
    assert response.status_code == 400
    assert "sevDesk refused" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_manual_payment_on_a_lexware_invoice_is_labelled_and_linked_once_booked_there(
    client_for, alice, lexware_invoice, lexware_emulator, relay
):
    client = client_for(alice)
    lexware_emulator.clear_requests()
    response = _manual(client, lexware_invoice, "19.00")
    assert response.status_code == 302
    detail = client.get(f"/billing/invoices/{lexware_invoice.public_id}/").content.decode()
    assert "Not recorded in Lexware Office — record it there too" in detail
    assert not any(r["method"] != "GET" for r in lexware_emulator.requests(path="/v1/*"))
    lexware_emulator.pay(lexware_invoice.stripe_id, "19.00")  # the MSP books it in Lexware
    relay()
    (payment,) = Payment.objects.filter(invoice=lexware_invoice)
    assert payment.recorded_in_stripe and payment.payment_intent.startswith("lexware:")
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.balance_due == 10000
    detail = client.get(f"/billing/invoices/{lexware_invoice.public_id}/").content.decode()
    assert "record it there too" not in detail


def test_the_portal_lists_and_shows_the_invoice_with_bank_details_and_a_girocode(
    alpha, acme, lexware_invoice
):
    factories.german_msp(alpha, iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX")
    client = portal_client(acme)
    listing = client.get("/portal/invoices/").content.decode()
    assert lexware_invoice.number in listing
    page = client.get(f"/portal/invoices/{lexware_invoice.public_id}/").content.decode()
    assert 'data-field="iban">DE89 3704 0044 0532 0130 00<' in page
    assert f'data-field="reference">{lexware_invoice.number}<' in page
    assert 'data-testid="girocode"' in page and "data:image/svg+xml" in page
    assert 'id="portal-pay"' not in page  # no card payment for a bank-transfer invoice
    assert client.post(f"/portal/invoices/{lexware_invoice.public_id}/pay/").status_code == 302


def test_the_portal_states_the_service_period_the_invoice_states(acme, lexware_invoice):
    from datetime import date

    type(lexware_invoice).objects.filter(pk=lexware_invoice.pk).update(
        service_start=date(2027, 1, 1), service_end=date(2027, 1, 31)
    )
    page = portal_client(acme).get(f"/portal/invoices/{lexware_invoice.public_id}/")
    assert 'data-testid="service-period">1 Jan 2027 – 31 Jan 2027<' in page.content.decode()


def test_the_portal_proxies_the_providers_pdf(acme, lexware_invoice, sevdesk_invoice):
    client = portal_client(acme)
    for invoice in (lexware_invoice, sevdesk_invoice):
        response = client.get(f"/portal/invoices/{invoice.public_id}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_it_checks_ownership(alpha, acme, lexware_conn, charlie, charlie_ws, client_for):
    """Another customer's and another workspace's invoice PDF is a 404, in the portal and on
    the staff side."""
    other = factories.customer(alpha, "DE", company_name="Other GmbH", email="o@other.example")
    theirs = issue_lexware(lexware_conn, other, reference="MSP-alpha-other")
    assert portal_client(acme).get(f"/portal/invoices/{theirs.public_id}/pdf/").status_code == 404
    assert portal_client(acme).get(f"/portal/invoices/{theirs.public_id}/").status_code == 404
    outsider = client_for(charlie)
    assert outsider.get(f"/billing/invoices/{theirs.public_id}/pdf/").status_code == 404
    assert outsider.get(f"/billing/invoices/{theirs.public_id}/").status_code == 404
    charlies = factories.customer(charlie_ws, "DE", email="c@c.example")
    assert (
        portal_client(charlies).get(f"/portal/invoices/{theirs.public_id}/pdf/").status_code == 404
    )


def test_a_reminder_mails_the_bank_details_and_the_providers_pdf(
    client_for, alice, alpha, acme, lexware_invoice, smtp_server
):
    factories.german_msp(alpha, iban="DE89370400440532013000")
    response = client_for(alice).post(f"/billing/invoices/{lexware_invoice.public_id}/reminder/")
    assert response.status_code == 302
    (message,) = smtp_server.wait(1)
    text = smtp_server.text(message)
    assert "DE89370400440532013000" in text and f"Reference: {lexware_invoice.number}" in text
    assert "Stripe" not in text
    (pdf,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_payload(decode=True).startswith(b"%PDF")


def test_no_second_e_invoice_of_ours_beside_the_tools_own(
    client_for, alice, alpha, acme, lexware_invoice
):
    """The accounting tool issued the invoice (and its e-invoice): MSPercury offers none of its
    own, on the staff page or in the portal."""
    lexware_invoice.quote = factories.quote(alpha, acme, [("RMM agent", "1")])
    lexware_invoice.save(update_fields=["quote"])
    staff = client_for(alice)
    detail = staff.get(f"/billing/invoices/{lexware_invoice.public_id}/").content.decode()
    assert 'id="einvoice-links"' not in detail
    assert staff.get(f"/billing/invoices/{lexware_invoice.public_id}/einvoice/").status_code == 404
    portal = portal_client(acme)
    page = portal.get(f"/portal/invoices/{lexware_invoice.public_id}/").content.decode()
    assert 'id="portal-einvoice"' not in page
    assert portal.get(f"/portal/invoices/{lexware_invoice.public_id}/einvoice/").status_code == 404


def test_the_invoice_email_of_an_issued_invoice_goes_once_with_the_tools_pdf(
    alpha, sevdesk_invoice, smtp_server
):
    from django.db import transaction

    from portal.emails import on_provider_invoice_issued

    factories.german_msp(alpha, iban="DE89370400440532013000")
    for _twice in range(2):
        with transaction.atomic():
            on_provider_invoice_issued(sevdesk_invoice)
        sevdesk_invoice.refresh_from_db()
    (message,) = smtp_server.wait(1)
    assert message["Subject"] == f"Invoice {sevdesk_invoice.number} from {alpha.name}"
    assert "DE89370400440532013000" in smtp_server.text(message)
    (pdf,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_payload(decode=True).startswith(b"%PDF")
    assert sevdesk_invoice.emailed_at is not None
    smtp_server.wait(2, timeout=1)
    assert len(smtp_server.messages) == 1
