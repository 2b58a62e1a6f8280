"""The client portal against the emulator: email sign-in, only the customer's own finalized
invoices, Pay and pay links opening a fresh Stripe page, accepted quotes' frozen documents."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from billing.models import StripeInvoice
from customers.models import Customer
from integrations.mirror.sync import sync_invoice
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from portal import links
from portal.emails import send_invoice_email
from portal.models import PayLink, PortalLogin
from quotes.models import QuoteAcceptance
from quotes.templatetags.quote_money import minor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pushed(connection, mixed_quote, alice, stripe_api):
    """The mixed quote pushed; its invoices finalized in Stripe and mirrored."""
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    for invoice in sk.v1.invoices.list().data:
        if invoice.status == "draft":
            sk.v1.invoices.finalize_invoice(invoice.id)
        sync_invoice(connection, invoice.id, sk)
    return mixed_quote


def _sign_in(email, workspace) -> Client:
    client = Client()
    mail.outbox.clear()
    page = client.post(f"/portal/w/{workspace.public_id}/", {"email": email})
    assert page.status_code == 200 and 'data-message="link_sent"' in page.content.decode()
    (message,) = mail.outbox
    path = re.search(r"https?://[^/\s]+(/portal/login/[^/\s]+/)", message.body).group(1)
    assert 'method="post"' in client.get(path).content.decode()  # a scanner's GET uses nothing
    assert client.post(path).status_code == 302
    return client


def test_a_contact_signs_in_with_a_single_use_link(pushed, alpha):
    customer = pushed.customer
    client = _sign_in(customer.email.upper(), alpha)
    html = client.get("/portal/").content.decode()
    assert customer.company_name in html and alpha.name in html
    login = PortalLogin.objects.get()
    assert login.used_at is not None and len(login.token_hash) == 64
    # The link works once.
    path = re.search(r"(/portal/login/[^/\s]+/)", mail.outbox[0].body).group(1)
    assert 'data-message="login_expired"' in Client().post(path).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(pushed, alpha):
    mail.outbox.clear()
    r = Client().post(f"/portal/w/{alpha.public_id}/", {"email": "nobody@example.org"})
    assert 'data-message="link_sent"' in r.content.decode()
    assert mail.outbox == [] and not PortalLogin.objects.exists()


def test_an_expired_link_signs_nobody_in(pushed, alpha):
    token = links.issue_login(pushed.customer, pushed.customer.email)
    PortalLogin.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()
    assert 'data-message="login_expired"' in client.post(f"/portal/login/{token}/").content.decode()
    assert client.get("/portal/").status_code == 404


def test_the_customer_sees_only_its_own_finalized_invoices(pushed, alpha, stripe_api):
    mine = StripeInvoice.objects.filter(customer=pushed.customer)
    assert mine.count() == 2 and all(i.status == "open" for i in mine)
    other = Customer.objects.create(workspace=alpha, company_name="Other", email="x@other.example")
    theirs = StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_other",
        number="OTHER-1",
        status="open",
        currency="EUR",
        total=100,
        customer=other,
    )
    draft = StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_draft",
        number="",
        status="draft",
        currency="EUR",
        total=100,
        customer=pushed.customer,
    )
    pushed.customer.language = "en"
    pushed.customer.save()
    client = _sign_in(pushed.customer.email, alpha)
    html = client.get("/portal/invoices/").content.decode()
    assert all(i.number in html for i in mine)
    assert "OTHER-1" not in html and f"/portal/invoices/{draft.public_id}/" not in html
    assert client.get(f"/portal/invoices/{theirs.public_id}/").status_code == 404
    assert client.get(f"/portal/invoices/{draft.public_id}/").status_code == 404
    balance = sum(i.amount_remaining for i in mine)
    with translation.override("en"):
        shown = minor(balance, "EUR")
    assert f'data-balance="EUR">{shown} EUR' in client.get("/portal/").content.decode()


def test_pay_opens_a_fresh_stripe_page_for_what_is_due(pushed, alpha, stripe_api):
    invoice = StripeInvoice.objects.filter(customer=pushed.customer).first()
    client = _sign_in(pushed.customer.email, alpha)
    page = client.get(f"/portal/invoices/{invoice.public_id}/").content.decode()
    assert 'id="portal-pay"' in page
    r = client.post(f"/portal/invoices/{invoice.public_id}/pay/")
    hosted = stripe_api.client().v1.invoices.retrieve(invoice.stripe_id).hosted_invoice_url
    assert r.status_code == 302 and r.url == hosted
    stripe_api.client().v1.invoices.pay(invoice.stripe_id, {"paid_out_of_band": True})
    r = client.post(f"/portal/invoices/{invoice.public_id}/pay/")
    assert r.url == f"/portal/invoices/{invoice.public_id}/paid/"
    done = client.get(r.url).content.decode()
    assert 'data-status="paid"' in done  # read fresh from Stripe, not waiting for webhooks


def test_a_pay_link_lasts_as_configured_and_opens_a_fresh_page(pushed, alpha, stripe_api):
    invoice = StripeInvoice.objects.filter(customer=pushed.customer).first()
    link, token = links.issue_pay_link(invoice)
    assert abs(link.expires_at - (timezone.now() + timedelta(hours=168))) < timedelta(minutes=1)
    assert link.token_hash != token and token not in str(PayLink.objects.values())
    r = Client().get(f"/pay/{token}/")
    assert r.status_code == 302
    assert r.url == stripe_api.client().v1.invoices.retrieve(invoice.stripe_id).hosted_invoice_url
    PayLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert 'data-message="pay_expired"' in Client().get(f"/pay/{token}/").content.decode()
    PayLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert 'data-message="pay_revoked"' in Client().get(f"/pay/{token}/").content.decode()
    assert Client().get("/pay/not-a-token/").status_code == 404


def test_a_settled_invoice_s_pay_link_says_nothing_is_due(pushed, alpha, stripe_api):
    invoice = StripeInvoice.objects.filter(customer=pushed.customer).first()
    _link, token = links.issue_pay_link(invoice)
    stripe_api.client().v1.invoices.pay(invoice.stripe_id, {"paid_out_of_band": True})
    page = Client().get(f"/pay/{token}/").content.decode()
    assert 'data-message="pay_nothing_due"' in page


def test_each_finalized_invoice_is_emailed_once_with_its_pay_link(pushed, alpha, stripe_api):
    """The invoices finalized by the fixture went out once each, in the customer's language
    (French); a reminder is a new email with a new link, here in German."""
    invoices = list(StripeInvoice.objects.filter(customer=pushed.customer))
    sent = [m for m in mail.outbox if m.subject.startswith("Facture ")]
    assert all("Payez-la ici" in m.body for m in sent)
    assert sorted(m.subject for m in sent) == sorted(
        f"Facture {i.number} de {alpha.name}" for i in invoices
    )
    assert PayLink.objects.filter(purpose="email").count() == 2
    invoice = invoices[0]
    assert not send_invoice_email(invoice)  # once per invoice
    sync_invoice(pushed.workspace.stripe_connection, invoice.stripe_id)  # a webhook later
    assert PayLink.objects.filter(purpose="email").count() == 2
    customer = pushed.customer
    customer.language = "de"
    customer.save()
    invoice.customer.refresh_from_db()
    mail.outbox.clear()
    assert send_invoice_email(invoice, reminder=True)
    (reminder,) = mail.outbox
    assert reminder.to == [customer.email] and reminder.subject.startswith("Erinnerung: Rechnung")
    token = re.search(r"/pay/([^/\s]+)/", reminder.body).group(1)
    assert Client().get(f"/pay/{token}/").status_code == 302


def test_accepted_quotes_with_their_frozen_documents(pushed, alpha):
    acceptance = QuoteAcceptance.objects.get(quote=pushed)
    client = _sign_in(pushed.customer.email, alpha)
    html = client.get("/portal/quotes/").content.decode()
    assert pushed.number in html
    pdf = client.get(f"/portal/quotes/{acceptance.public_id}/quote/")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    other = Client().get(f"/portal/quotes/{acceptance.public_id}/quote/")
    assert other.status_code == 404  # not signed in


def test_a_contact_of_another_workspace_sees_nothing_here(pushed, alpha, charlie_ws):
    stranger = Customer.objects.create(
        workspace=charlie_ws, company_name="Elsewhere", email=pushed.customer.email
    )
    client = _sign_in(stranger.email, charlie_ws)
    html = client.get("/portal/invoices/").content.decode()
    assert "No invoices yet." in html
    invoice = StripeInvoice.objects.filter(customer=pushed.customer).first()
    assert client.get(f"/portal/invoices/{invoice.public_id}/").status_code == 404


def test_payment_settings_choose_the_pay_link_lifetime(client_for, alice, bob, alpha, pushed):
    """Presets from 24 hours to 30 days or custom hours up to 720; new links follow."""
    from billing.models import PaymentSettings

    client = client_for(alice)
    page = client.get("/settings/payments/").content.decode()
    assert f"/portal/w/{alpha.public_id}/" in page
    r = client.post("/settings/payments/", {"lifetime": "0", "custom_hours": "721"})
    assert r.status_code == 400 and "720" in r.content.decode()
    r = client.post("/settings/payments/", {"lifetime": "0"})
    assert "Enter the number of hours" in r.content.decode()
    r = client.post(
        "/settings/payments/", {"lifetime": "0", "custom_hours": "100", "send_confirmations": "on"}
    )
    assert r.status_code == 302
    prefs = PaymentSettings.objects.get(workspace=alpha)
    assert (prefs.link_lifetime_hours, prefs.include_pay_links, prefs.send_confirmations) == (
        100,
        False,
        True,
    )
    invoice = StripeInvoice.objects.filter(customer=pushed.customer).first()
    link, _token = links.issue_pay_link(invoice)
    assert abs(link.expires_at - (timezone.now() + timedelta(hours=100))) < timedelta(minutes=1)
    assert not send_invoice_email(invoice)  # pay links are off in invoice emails
    client.post("/settings/payments/", {"lifetime": "720", "include_pay_links": "on"})
    assert PaymentSettings.objects.get(workspace=alpha).link_lifetime_hours == 720
    assert client_for(bob).get("/settings/payments/").status_code == 403


def test_the_sign_in_link_arrives_through_a_real_smtp_server(pushed, alpha, smtp_server):
    client = Client()
    client.post(f"/portal/w/{alpha.public_id}/", {"email": pushed.customer.email})
    (message,) = smtp_server.wait(1)
    assert message["To"] == pushed.customer.email
    assert message["Subject"] == f"Votre lien de connexion pour {alpha.name}"
    path = re.search(r"(/portal/login/[^/\s]+/)", smtp_server.text(message)).group(1)
    assert client.post(path).status_code == 302
    assert pushed.customer.company_name in client.get("/portal/").content.decode()


def test_the_portal_shows_the_msp_s_local_time_and_names_its_zone(pushed, alpha):
    """Accepted at 23:30 UTC: the French customer reads 8 December, 00:30 CET, Berlin time."""
    from datetime import UTC, datetime

    QuoteAcceptance.objects.filter(quote=pushed).update(
        accepted_at=datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    )
    client = _sign_in(pushed.customer.email, alpha)
    html = client.get("/portal/quotes/").content.decode()
    assert "00:30 CET" in html and "23:30" not in html
    assert "Heures exprimées en Europe/Berlin" in html
