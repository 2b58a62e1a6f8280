"""The HTML dashboard at /_emulator/ and its demo buttons (clock, payment behaviour)."""

import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from emulators.stripe import API_VERSION

from .helpers import customer_and_product, monthly


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(stripe_emulator, path="/_emulator/"):
    with urllib.request.urlopen(stripe_emulator.base_url + path) as answer:
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        return answer.read().decode()


def _post(stripe_emulator, path, **form):
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(
        stripe_emulator.base_url + path, data=urlencode(form).encode(), method="POST"
    )
    try:
        with opener.open(request) as answer:
            return answer.status, answer.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def _token(page):
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def _subscribed_customer(client, **customer):
    customer, product = customer_and_product(client, **customer)
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price_data": monthly(product.id, 1000), "quantity": 3}],
            "metadata": {"mspercury_quote_number": "Q-2042"},
            "invoice_settings": {"footer": "Thank you for your business"},
            "cancel_at_period_end": True,
        }
    )
    return customer, product, subscription


def test_it_lists_customers_products_subscriptions_invoices_events_and_webhooks(
    stripe_emulator, webhook_receiver
):
    """Without an API key, /_emulator/ shows the account's customers (email, tax IDs,
    mspercury_customer_id), products, subscriptions (status, interval, quantity × unit amount,
    quote number, cancel at period end), invoices (number, status, amounts, footer, link to the
    hosted page), recent events, webhook endpoints with their deliveries' status codes, and
    links the JSON state."""
    client = stripe_emulator.client()
    endpoint = client.v1.webhook_endpoints.create(
        {"url": webhook_receiver.url, "enabled_events": ["*"], "api_version": API_VERSION}
    )
    customer, product, subscription = _subscribed_customer(
        client, metadata={"mspercury_customer_id": "7f3c-customer-ref"}
    )
    client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    stripe_emulator.flush_webhooks()

    page = _get(stripe_emulator)

    assert "MSPercury Emulator Test Account" in page
    for text in (
        customer.id,
        "billing@acme.test",
        "DE123456789",
        "7f3c-customer-ref",
        product.id,
        "Service",
        subscription.id,
        "3 × €10.00",
        "Q-2042",
        invoice.id,
        invoice.number,
        "€30.00",
        "Thank you for your business",
        "customer.subscription.created",
        endpoint.id,
        webhook_receiver.url,
        '<a href="/_emulator/state">',
    ):
        assert text in page, text
    assert f'href="{invoice.hosted_invoice_url}"' in page
    row = re.search(rf'<tr><td><span class="id">{subscription.id}</span>.*?</tr>', page)
    assert ">active<" in row.group(0)
    assert ">month<" in row.group(0)
    assert "<td>yes</td>" in row.group(0)  # cancel_at_period_end
    assert '<span class="pill good">200</span>' in page


def test_it_escapes_every_value(stripe_emulator):
    """Names, emails, metadata and footers are HTML-escaped, never rendered as markup."""
    client = stripe_emulator.client()
    _subscribed_customer(
        client,
        name='<script>alert("x")</script> & Co',
        metadata={"mspercury_customer_id": '"><img src=x onerror=alert(1)>'},
    )
    client.v1.products.create({"name": "<b>Bold</b> product"})

    page = _get(stripe_emulator)

    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>Bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; product" in page


def test_the_clock_buttons_advance_the_clock_and_renew_subscriptions(stripe_emulator):
    """ "+1 day" moves the emulator clock by a day; "+1 month" by a calendar month, or only to a
    subscription's renewal on the way, where the renewal invoice is a draft (invoice.created
    sent) until "+1 hour" finalizes it. Each redirects back to the dashboard."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price_data": monthly(product.id, 500)}]}
    )
    period_end = subscription["items"].data[0].current_period_end
    token = _token(_get(stripe_emulator))
    before = stripe_emulator.now()

    status, headers = _post(stripe_emulator, "/_emulator/dashboard/clock", token=token, span="day")

    assert (status, headers["Location"]) == (303, "/_emulator/")
    assert 86400 <= stripe_emulator.now() - before <= 86400 + 5
    status, _ = _post(stripe_emulator, "/_emulator/dashboard/clock", token=token, span="month")
    assert status == 303
    assert stripe_emulator.now() == period_end
    invoices = client.v1.invoices.list({"customer": customer.id}).data
    assert [(i.billing_reason, i.status) for i in invoices] == [
        ("subscription_cycle", "draft"),
        ("subscription_create", "paid"),
    ]
    assert client.v1.events.list({"type": "invoice.created"}).data[0].data.object.id == (
        invoices[0].id
    )
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"

    _post(stripe_emulator, "/_emulator/dashboard/clock", token=token, span="hour")

    assert client.v1.invoices.retrieve(invoices[0].id).status == "paid"
    _post(stripe_emulator, "/_emulator/dashboard/clock", token=token, span="month")
    assert stripe_emulator.now() - period_end >= 28 * 86400


def test_the_buttons_refuse_forms_without_the_pages_token(stripe_emulator):
    """A cross-site form can't know the page's token: posts without it or with a wrong one are
    refused (403) and change nothing."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Target"})
    before = stripe_emulator.now()

    assert _post(stripe_emulator, "/_emulator/dashboard/clock", span="month")[0] == 403
    assert _post(stripe_emulator, "/_emulator/dashboard/clock", token="x", span="month")[0] == 403
    assert _post(stripe_emulator, "/_emulator/dashboard/clock", token="ä", span="month")[0] == 403
    path = f"/_emulator/dashboard/customers/{customer.id}/payment_behavior"
    assert _post(stripe_emulator, path, token="x", behavior="fail")[0] == 403

    assert stripe_emulator.now() - before < 5
    assert "(default)" in _get(stripe_emulator)


def test_the_payment_toggle_makes_a_customers_payments_fail_and_succeed(stripe_emulator):
    """The per-customer "Payments fail" button makes payment attempts fail (CardError on
    invoices.pay); "Payments succeed" turns them back."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    client.v1.invoice_items.create({"customer": customer.id, "amount": 1500, "currency": "eur"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    page = _get(stripe_emulator)
    assert "Payments fail</button>" in page
    path = f"/_emulator/dashboard/customers/{customer.id}/payment_behavior"

    assert _post(stripe_emulator, path, token=_token(page), behavior="fail")[0] == 303

    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice.id)
    page = _get(stripe_emulator)
    assert "Payments succeed</button>" in page
    assert _post(stripe_emulator, path, token=_token(page), behavior="succeed")[0] == 303
    assert client.v1.invoices.pay(invoice.id).status == "paid"
    unknown = "/_emulator/dashboard/customers/cus_missing/payment_behavior"
    assert _post(stripe_emulator, unknown, token=_token(page), behavior="fail")[0] == 404


def test_it_adds_a_webhook_endpoint_from_the_dashboard(stripe_emulator, webhook_receiver):
    """The manual set-up of a restricted key: an endpoint added on the dashboard (URL and
    events) receives events signed with the secret the dashboard shows."""
    page = _get(stripe_emulator)
    assert 'action="/_emulator/dashboard/accounts/' in page and "Add endpoint" in page
    action = re.search(r'action="(/_emulator/dashboard/accounts/[^"]+/webhook_endpoints)"', page)
    status, headers = _post(
        stripe_emulator,
        action.group(1),
        token=_token(page),
        mode="test",
        url=webhook_receiver.url,
        events="customer.created, invoice.paid",
    )
    assert (status, headers["Location"]) == (303, "/_emulator/")
    client = stripe_emulator.client()
    (endpoint,) = client.v1.webhook_endpoints.list().data
    assert endpoint.url == webhook_receiver.url
    assert endpoint.enabled_events == ["customer.created", "invoice.paid"]
    secret = re.search(r"<code data-secret>(whsec_[^<]+)</code>", _get(stripe_emulator)).group(1)

    client.v1.customers.create({"name": "Hooked"})
    stripe_emulator.flush_webhooks()
    (delivery,) = webhook_receiver.received
    event = stripe.Webhook.construct_event(delivery["body"], delivery["signature"], secret)
    assert event.type == "customer.created"


def test_it_refuses_an_endpoint_stripe_would_refuse(stripe_emulator):
    """A URL without a host or no events: 400 with Stripe's message; nothing created."""
    page = _get(stripe_emulator)
    action = re.search(r'action="(/_emulator/dashboard/accounts/[^"]+/webhook_endpoints)"', page)
    token = _token(page)
    for form in ({"url": "not a url", "events": "*"}, {"url": "https://x.test/h", "events": ""}):
        assert _post(stripe_emulator, action.group(1), token=token, **form)[0] == 400
    assert _post(stripe_emulator, action.group(1), url="https://x.test/h", events="*")[0] == 403
    assert stripe_emulator.client().v1.webhook_endpoints.list().data == []
