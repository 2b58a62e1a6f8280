"""The portal tells what the MSP's own pages tell: amounts and status from MSPercury's ledger
(a bank transfer recorded only here counts), its pages before sign-in in the contact's or the
browser's language, and every accepted revision of a quote with its documents."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from billing.models import PaymentStatus, StripeInvoice
from billing.payments import record_payment
from portal import links
from portal.access import browser_language
from quotes.models import QuoteAcceptance, RevisionAcceptance
from quotes.templatetags.quote_money import minor
from tests.portal.test_portal import _sign_in, pushed  # noqa: F401
from tests.quotes.conftest import acme, make_service, quote, rmm, setup_fee  # noqa: F401
from tests.quotes.share_helpers import accept_data, page_url, share
from tests.quotes.test_reacceptance import accepted, edited  # noqa: F401

DOCUMENT_LANGUAGES = [
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
]  # fmt: skip


def _pay(invoice, amount, provider_id, source="manual", in_stripe=False):
    record_payment(
        invoice,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency=invoice.currency,
        paid_at=timezone.now(),
        method="bank_transfer" if source == "manual" else "card",
        recorded_in_stripe=in_stripe,
    )
    invoice.refresh_from_db()
    return invoice


def _shown(amount, invoice, language):
    with translation.override(language):
        return f"{minor(amount, invoice.currency)} {invoice.currency}"


@pytest.mark.django_db(transaction=True)
def test_a_transfer_recorded_only_here_is_what_the_portal_counts(pushed, alpha):  # noqa: F811
    """Part paid by a bank transfer Stripe never saw: "Partially paid", the rest due (not
    Stripe's full remaining amount) in the balance, the table, the page and the Pay button;
    the rest paid: "Paid", nothing due, no Pay button, though Stripe still says open."""
    invoice = StripeInvoice.objects.filter(customer=pushed.customer, status="open").first()
    other = StripeInvoice.objects.filter(customer=pushed.customer).exclude(pk=invoice.pk).get()
    language = pushed.customer.language
    stripe_remaining = invoice.amount_remaining
    invoice = _pay(invoice, 5000, "manual:transfer-1")
    assert invoice.amount_remaining == stripe_remaining  # Stripe knows nothing of it
    rest = stripe_remaining - 5000
    assert invoice.balance_due == rest

    client = _sign_in(pushed.customer.email, alpha)
    page = client.get(f"/portal/invoices/{invoice.public_id}/").content.decode()
    with translation.override(language):
        partly = str(PaymentStatus.PARTIALLY_PAID.label)
        label = str(PaymentStatus.PAID.label)
    assert f'data-status="partially_paid">{partly}</span>' in page
    assert f'data-amount="due">{_shown(rest, invoice, language)}' in page
    assert f'data-amount="paid">{_shown(5000, invoice, language)}' in page
    pay_button = page[page.index('id="portal-pay"') :]
    assert minor_in(rest, invoice, language, pay_button[: pay_button.index("</button>")])
    table = client.get("/portal/invoices/").content.decode()
    row = table[table.index(f'data-invoice="{invoice.number}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="partially_paid"' in row and _shown(rest, invoice, language) in row
    assert row.endswith(f'<td class="num nowrap">{_shown(rest, invoice, language)}</td>')
    overview = client.get("/portal/").content.decode()
    total = _shown(rest + other.due_shown, invoice, language)
    assert f'data-balance="{invoice.currency}">{total}' in overview

    invoice = _pay(invoice, rest, "cs_test_rest", source="stripe", in_stripe=True)
    assert (invoice.status, invoice.payment_status) == ("open", "paid")
    page = client.get(f"/portal/invoices/{invoice.public_id}/").content.decode()
    assert f'data-status="paid">{label}</span>' in page and 'id="portal-pay"' not in page
    assert f'data-amount="due">{_shown(0, invoice, language)}' in page
    overview = client.get("/portal/").content.decode()
    left = _shown(other.due_shown, invoice, language)
    assert f'data-balance="{invoice.currency}">{left}' in overview
    assert client.post(f"/portal/invoices/{invoice.public_id}/pay/").url.endswith("/paid/")


def minor_in(amount, invoice, language, html) -> bool:
    with translation.override(language):
        return minor(amount, invoice.currency) in html


@pytest.mark.django_db(transaction=True)
def test_a_pay_link_asks_only_for_the_ledgers_balance_and_then_for_nothing(pushed, alpha):  # noqa: F811
    """Paid in full here (two transfers Stripe never saw): the link says nothing is due."""
    invoice = StripeInvoice.objects.filter(customer=pushed.customer, status="open").first()
    _link, token = links.issue_pay_link(invoice)
    half = invoice.amount_remaining // 2
    _pay(invoice, half, "manual:a")
    _pay(invoice, invoice.amount_remaining - half, "manual:b")
    page = Client().get(f"/pay/{token}/").content.decode()
    assert 'data-message="pay_nothing_due"' in page


# Languages before sign-in


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "fr"),
        ("ja, zh;q=0.9", "en"),
        ("ja, de;q=0.5", "de"),
        ("de;q=0.5, it;q=0.9", "it"),
        ("pt-BR", "pt"),
        ("*", "en"),
        ("", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("mt, ga;q=0.4", "mt"),
        ("not a header;;", "en"),
    ],
)
def test_the_browsers_language_is_its_first_document_language(header, language):
    assert browser_language(header, DOCUMENT_LANGUAGES) == language


@given(st.lists(st.sampled_from([*DOCUMENT_LANGUAGES, "ja", "zh", "ru", "*"]), max_size=5))
def test_the_browsers_language_is_always_one_documents_speak(codes):
    """Whatever the browser sends, the answer is its first offered language, else English."""
    header = ", ".join(f"{code};q={1 - i / 10:.1f}" for i, code in enumerate(codes))
    offered = [c for c in codes if c in DOCUMENT_LANGUAGES]
    assert browser_language(header, DOCUMENT_LANGUAGES) == (offered[0] if offered else "en")


@pytest.mark.django_db(transaction=True)
def test_the_sign_in_form_and_check_your_mail_speak_the_browsers_language(pushed, alpha):  # noqa: F811
    """Before anyone is known: the browser's language, the same for a known and an unknown
    address (the answer must not tell which addresses exist)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9,en;q=0.5")
    form = client.get(f"/portal/w/{alpha.public_id}/")
    with translation.override("it"):
        button = translation.gettext("Send me a sign-in link")
        check = translation.gettext("Check your email")
    assert form["Content-Language"] == "it" and button in form.content.decode()
    assert '<html lang="it">' in form.content.decode()
    for email in (pushed.customer.email, "nobody@example.org"):
        sent = client.post(f"/portal/w/{alpha.public_id}/", {"email": email})
        assert sent["Content-Language"] == "it" and check in sent.content.decode()
    unknown = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/portal/w/{alpha.public_id}/")
    assert (
        unknown["Content-Language"] == "en" and "Send me a sign-in link" in unknown.content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_link_speaks_the_contacts_language(pushed, alpha):  # noqa: F811
    """The link names the contact: their language (French), not the browser's (German)."""
    customer = pushed.customer
    assert customer.language == "fr"
    mail.outbox.clear()
    Client().post(f"/portal/w/{alpha.public_id}/", {"email": customer.email})
    path = re.search(r"(/portal/login/[^/\s]+/)", mail.outbox[0].body).group(1)
    german = Client(HTTP_ACCEPT_LANGUAGE="de")
    page = german.get(path)
    with translation.override("fr"):
        sign_in = translation.gettext("Sign in")
        used = translation.gettext("This sign-in link has been used or has expired")
    assert page["Content-Language"] == "fr" and f">{sign_in}</button>" in page.content.decode()
    assert german.post(path).status_code == 302
    again = Client(HTTP_ACCEPT_LANGUAGE="de").post(path)
    assert again["Content-Language"] == "fr" and used in again.content.decode()
    signed_out = Client(HTTP_ACCEPT_LANGUAGE="de").get("/portal/")
    assert signed_out.status_code == 404 and signed_out["Content-Language"] == "de"


# Every accepted revision


@pytest.fixture
def reaccepted(edited):  # noqa: F811
    """The edited quote re-accepted on a fresh link; its customer has a portal address."""
    _, token = share(edited)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert client.post(page_url(token, "accept"), accept_data(html, name="Carla Again")).url
    edited.customer.email = "carla@acme.example"
    edited.customer.save()
    return edited


@pytest.mark.django_db(transaction=True)
def test_it_lists_every_accepted_revision_with_its_documents(reaccepted, alpha):
    first = QuoteAcceptance.objects.get(quote=reaccepted)
    again = RevisionAcceptance.objects.get(quote=reaccepted)
    assert first.revision != again.revision
    client = _sign_in(reaccepted.customer.email, alpha)
    html = client.get("/portal/quotes/").content.decode()
    rows = re.findall(r'<tr data-quote="[^"]+" data-revision="(\d+)">', html)
    assert rows == [str(again.revision), str(first.revision)]  # newest first
    for record in (first, again):
        assert f"/portal/quotes/{record.public_id}/quote/" in html
        pdf = client.get(f"/portal/quotes/{record.public_id}/quote/")
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    agreement = client.get(f"/portal/quotes/{again.public_id}/agreement/")
    assert agreement.status_code == 200 and agreement.content[:5] == b"%PDF-"
    assert Client().get(f"/portal/quotes/{again.public_id}/quote/").status_code == 404
