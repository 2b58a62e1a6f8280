"""Pay links through Stripe Checkout (a workspace setting), against the emulator over HTTP: each
click makes a fresh session for what is due (so Stripe's 24-hour cap never caps the link); a
SEPA debit completes unpaid and is recorded only when it succeeds; the payment is attached to
the Stripe invoice, so Stripe's invoice is paid too; nothing is recorded twice."""

import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone, translation

from billing.models import Payment, PaymentSettings, StripeInvoice
from integrations.mirror.checkout import session_expiry
from integrations.mirror.payments import on_checkout_session
from integrations.stripe.client import make_client
from portal import links
from quotes.templatetags.quote_money import minor
from tests.portal.test_portal import _sign_in, pushed  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _press(page_url: str, action: str) -> str:
    """A button on the emulator's Checkout page; returns where it sends the browser."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(f"{page_url}/{action}", data=b"choice=" + action.encode())
    try:
        with opener.open(request) as answer:
            return answer.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.headers.get("Location", "")


def _local(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def checkout(alpha, settings, live_server, connection, stripe_api):
    """Checkout chosen, and a key that may create Checkout Sessions (an optional permission)."""
    from tests.integrations.test_payment_sources import PERMISSIONS

    settings.MSPERCURY_PUBLIC_URL = live_server.url
    PaymentSettings.objects.create(workspace=alpha, payment_page="checkout")
    extra = {"checkout_sessions": "write", "payment_intents": "read"}
    key = stripe_api.add_key(permissions=PERMISSIONS | extra, account="acct_1EmulatorSeedAcct")
    connection.api_key = key["key"]
    connection.save()


@pytest.fixture
def invoice(pushed):  # noqa: F811
    return StripeInvoice.objects.filter(customer=pushed.customer, status="open").first()


def _session_page(token: str) -> str:
    response = Client().get(f"/pay/{token}/")
    assert response.status_code == 302 and "/c/pay/cs_" in response.url
    return response.url


@pytest.mark.parametrize(
    ("link_left", "session_left"),
    [
        (timedelta(days=7), timedelta(hours=24)),
        (timedelta(hours=5), timedelta(hours=5)),
        (timedelta(minutes=10), timedelta(minutes=31)),
    ],
)
def test_a_session_lives_as_long_as_the_link_within_stripes_bounds(link_left, session_left):
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert session_expiry(now + link_left, now) == now + session_left


def test_a_sepa_debit_is_recorded_once_when_it_succeeds_and_pays_the_stripe_invoice(
    checkout, invoice, stripe_api
):
    _link, token = links.issue_pay_link(invoice)
    page = _session_page(token)
    html = urllib.request.urlopen(page).read().decode()
    assert "Pay by SEPA Direct Debit" in html and "Pay" in html
    back = _press(page, "sepa")
    assert back.startswith(f"{links_base()}/pay/back/") and "?session=cs_" in back
    assert token not in back
    waiting = Client().get(_local(back)).content.decode()
    assert 'data-message="pay_processing"' in waiting
    assert not Payment.objects.filter(invoice=invoice).exists()  # mandate, no money yet

    _press(page, "debit_succeeds")
    thanks = Client().get(_local(back)).content.decode()  # the success page's own check
    assert 'data-message="pay_thanks"' in thanks
    Client().get(_local(back))  # reloaded: nothing new
    session_id = back.rsplit("=", 1)[1]
    connection = invoice.workspace.stripe_connection
    client = make_client(connection.api_key)
    _, created = on_checkout_session(connection, session_id, client)  # the webhook, later
    assert not created
    (payment,) = Payment.objects.filter(invoice=invoice, voided_at__isnull=True)
    assert (payment.amount, payment.method) == (invoice.amount_remaining, "sepa_debit")
    in_stripe = stripe_api.client().v1.invoices.retrieve(invoice.stripe_id)
    assert (in_stripe.status, in_stripe.amount_remaining) == ("paid", 0)
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid"


def links_base() -> str:
    from django.conf import settings

    return settings.MSPERCURY_PUBLIC_URL.rstrip("/")


def test_a_failed_debit_records_nothing_and_the_link_opens_a_new_session(
    checkout, invoice, stripe_api
):
    _link, token = links.issue_pay_link(invoice)
    page = _session_page(token)
    back = _press(page, "sepa")
    _press(page, "debit_fails")
    page_again = Client().get(_local(back)).content.decode()
    assert 'data-message="pay_failed"' in page_again
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert stripe_api.client().v1.invoices.retrieve(invoice.stripe_id).status == "open"
    assert _session_page(token) != page  # a fresh session for what is still due


def test_a_card_payment_from_the_portal_comes_back_paid(checkout, invoice, pushed, alpha):  # noqa: F811
    client = _sign_in(pushed.customer.email, alpha)
    response = client.post(f"/portal/invoices/{invoice.public_id}/pay/")
    assert "/c/pay/cs_" in response.url
    back = _press(response.url, "pay")
    assert f"/portal/invoices/{invoice.public_id}/paid/?session=cs_" in back
    done = client.get(_local(back)).content.decode()
    assert 'data-status="paid"' in done
    (payment,) = Payment.objects.filter(invoice=invoice)
    assert payment.method == "card"


def test_without_the_checkout_permission_the_link_opens_stripes_invoice_page(
    checkout, invoice, connection, stripe_api
):
    connection.api_key = "rk_test_emulator"  # may not create Checkout Sessions
    connection.save()
    _link, token = links.issue_pay_link(invoice)
    response = Client().get(f"/pay/{token}/")
    hosted = stripe_api.client().v1.invoices.retrieve(invoice.stripe_id).hosted_invoice_url
    assert response.status_code == 302 and response.url == hosted


def test_a_cancelled_checkout_says_nothing_was_paid(checkout, invoice, stripe_api):
    _link, token = links.issue_pay_link(invoice)
    page = _session_page(token)
    html = urllib.request.urlopen(page).read().decode()
    back = unescape(re.search(r'<a href="([^"]+)">Back</a>', html).group(1))  # the "Back" link
    assert back.startswith(f"{links_base()}/pay/back/") and token not in back
    html = Client().get(_local(back)).content.decode()
    assert 'data-message="pay_cancelled"' in html and token not in html
    # A session made before returns carried a ticket still comes back to its old address.
    old = Client().get(f"/pay/{token}/done/").content.decode()
    assert 'data-message="pay_cancelled"' in old


def test_no_return_address_carries_the_pay_token_to_stripe(checkout, invoice, stripe_api):
    """The session's success and cancel URLs, and every event Stripe stores and sends about
    it, name the pay link by a short-lived ticket, never by its token."""
    _link, token = links.issue_pay_link(invoice)
    page = _session_page(token)
    session_id = page.rsplit("/", 1)[1]
    session = stripe_api.client().v1.checkout.sessions.retrieve(session_id)
    assert "/pay/back/" in session.success_url and "{CHECKOUT_SESSION_ID}" in session.success_url
    assert "/pay/back/" in session.cancel_url
    assert token not in session.success_url and token not in session.cancel_url
    back = _press(page, "pay")
    assert 'data-message="pay_thanks"' in Client().get(_local(back)).content.decode()
    events = stripe_api.client().v1.events.list({"limit": 100}).data
    assert any(e.type == "checkout.session.completed" for e in events)
    assert all(token not in str(e) for e in events)


def test_a_return_ticket_is_signed_and_short_lived(checkout, invoice):
    """A forged or stale ticket finds nothing; a live one names its pay link only."""
    import time_machine

    link, _token = links.issue_pay_link(invoice)
    ticket = links.return_ticket(link)
    assert links.find_by_ticket(ticket) == link
    assert links.find_by_ticket(ticket[:-2] + "xx") is None
    assert Client().get(f"/pay/back/{ticket[:-2]}xx/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(hours=26)):
        assert links.find_by_ticket(ticket) is None


def test_another_invoices_session_is_not_counted_here(checkout, invoice, pushed, stripe_api):  # noqa: F811
    _link, token = links.issue_pay_link(invoice)
    other = StripeInvoice.objects.filter(customer=pushed.customer).exclude(pk=invoice.pk).first()
    _other_link, other_token = links.issue_pay_link(other) if other else (None, token)
    page = _session_page(other_token)
    back = _press(page, "pay")
    session = back.rsplit("=", 1)[1]
    Client().get(f"/pay/{token}/done/?session={session}")
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_the_setting_is_saved_from_the_payments_page(client_for, alice, alpha, pushed):  # noqa: F811
    client = client_for(alice)
    data = {"lifetime": "168", "payment_page": "checkout", "include_pay_links": "on"}
    assert client.post("/settings/payments/", data).status_code == 302
    assert PaymentSettings.for_workspace(alpha).payment_page == "checkout"
    bad = client.post("/settings/payments/", data | {"payment_page": "paypal"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    assert PaymentSettings.for_workspace(alpha).payment_page == "checkout"


def _paid_here_only(invoice, amount):
    """A cheque the MSP recorded that Stripe could not hold (no payment records)."""
    from billing.payments import record_payment

    record_payment(
        invoice,
        provider_id="manual:cheque-1",
        source="manual",
        amount=amount,
        currency=invoice.currency,
        paid_at=timezone.now(),
        method="cheque",
        recorded_in_stripe=False,
    )
    invoice.refresh_from_db()
    return invoice


def test_a_payment_stripe_does_not_know_makes_the_link_ask_only_for_the_rest(
    checkout, alpha, invoice, stripe_api
):
    """Even with Stripe's invoice page chosen: Stripe would ask for the whole invoice, so the
    link opens a Checkout Session for what is really still owed."""
    PaymentSettings.objects.filter(workspace=alpha).update(payment_page="invoice_page")
    invoice = _paid_here_only(invoice, 5000)
    _link, token = links.issue_pay_link(invoice)
    page = _session_page(token)
    session_id = page.rsplit("/", 1)[1]
    session = stripe_api.client().v1.checkout.sessions.retrieve(session_id)
    assert session.amount_total == invoice.balance_due == invoice.amount_remaining - 5000
    back = _press(page, "pay")
    Client().get(_local(back))
    invoice.refresh_from_db()
    assert (invoice.payment_status, invoice.balance_due) == ("paid", 0)


def test_without_checkout_such_a_link_says_how_much_is_left_instead_of_overcharging(
    live_server, settings, connection, invoice, stripe_api
):
    settings.MSPERCURY_PUBLIC_URL = live_server.url
    invoice = _paid_here_only(invoice, 5000)  # the key may not create Checkout Sessions
    _link, token = links.issue_pay_link(invoice)
    response = Client().get(f"/pay/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-message="pay_outside"' in html
    with translation.override("fr"):  # the customer's language
        assert minor(invoice.balance_due, invoice.currency) in html
