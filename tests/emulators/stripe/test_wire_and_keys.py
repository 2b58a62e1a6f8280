"""Wire protocol, API keys and restricted-key permissions, through the official SDK."""

import json
import urllib.request

import pytest
import stripe

from emulators.stripe import API_VERSION


def _raw(stripe_emulator, method, path, key="sk_test_emulator", body=None, headers=None):
    request = urllib.request.Request(
        stripe_emulator.base_url + path,
        data=body.encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_it_answers_with_a_request_id_and_the_pinned_version(stripe_emulator):
    """Every answer carries a req_ Request-Id and echoes the Stripe-Version; the SDK exposes
    the request id on objects and errors."""
    status, headers, body = _raw(stripe_emulator, "GET", "/v1/customers")
    assert status == 200
    assert headers["Request-Id"].startswith("req_")
    assert headers["Stripe-Version"] == API_VERSION
    assert body == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Acme"})
    assert customer.last_response.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_missing")
    assert caught.value.request_id.startswith("req_")


def test_it_decodes_nested_brackets_and_arrays(stripe_emulator):
    """Form bodies with nested brackets and indexed arrays decode to Stripe's structure."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create(
        {
            "address": {"line1": "Main St 1", "country": "DE"},
            "invoice_settings": {"custom_fields": [{"name": "PO", "value": "42"}]},
            "preferred_locales": ["de", "en"],
            "metadata": {"0": "zero", "quote_id": "Q-1"},
        }
    )
    assert customer.address.country == "DE"
    assert customer.invoice_settings.custom_fields[0].value == "42"
    assert customer.preferred_locales == ["de", "en"]
    assert customer.metadata.to_dict() == {"0": "zero", "quote_id": "Q-1"}
    status, _, body = _raw(
        stripe_emulator, "POST", "/v1/customers", body="expand[]=tax_ids&metadata[k]=v"
    )
    assert status == 200
    assert body["tax_ids"]["object"] == "list"


def test_it_rejects_unknown_and_missing_keys(stripe_emulator):
    """An unknown key is a 401 'Invalid API Key provided' (AuthenticationError) with the key
    masked; a request without a key is a 401 too."""
    with pytest.raises(stripe.AuthenticationError) as caught:
        stripe_emulator.client("sk_test_wrongkey1234").v1.customers.list()
    assert caught.value.http_status == 401
    assert caught.value.user_message.startswith("Invalid API Key provided: sk_test_")
    assert caught.value.user_message.endswith("1234")
    assert "wrongkey" not in caught.value.user_message
    status, _, body = _raw(stripe_emulator, "GET", "/v1/customers", key="")
    assert status == 401
    assert "You did not provide an API key" in body["error"]["message"]


def test_it_404s_unknown_urls_and_rejects_unknown_versions(stripe_emulator):
    """Unknown URLs are 404 'Unrecognized request URL'; an unknown Stripe-Version is a 400."""
    status, _, body = _raw(stripe_emulator, "GET", "/v1/nothing_here")
    assert status == 404
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")
    status, _, body = _raw(
        stripe_emulator, "GET", "/v1/customers", headers={"Stripe-Version": "1999-01-01"}
    )
    assert status == 400
    assert "Invalid Stripe API version" in body["error"]["message"]


def test_it_enforces_the_seeded_restricted_key_permissions(stripe_emulator):
    """rk_test_emulator can write customers, invoices, subscriptions, products, prices and
    tax IDs, only read tax rates, and nothing else; a missing permission is a 403 naming it."""
    client = stripe_emulator.client("rk_test_emulator")
    customer = client.v1.customers.create({"name": "Allowed"})
    client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    client.v1.products.create({"name": "Allowed"})
    client.v1.tax_rates.list()
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    assert caught.value.http_status == 403
    message = caught.value.user_message
    assert "does not have the required permissions for this endpoint on account" in message
    assert "'rak_tax_rate_write'" in message
    assert caught.value.code is None
    with pytest.raises(stripe.PermissionError, match="rak_webhook_write"):
        client.v1.webhook_endpoints.create({"url": "https://x.test/h", "enabled_events": ["*"]})
    with pytest.raises(stripe.PermissionError, match="rak_event_read"):
        client.v1.events.list()
    with pytest.raises(stripe.PermissionError, match="rak_checkout_session_write"):
        client.v1.checkout.sessions.create({"mode": "payment"})


def test_it_gives_read_only_keys_reads_only(stripe_emulator):
    """rk_test_emulator_readonly lists customers but may not create one."""
    client = stripe_emulator.client("rk_test_emulator_readonly")
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError, match="rak_customer_write"):
        client.v1.customers.create({"name": "Nope"})


def test_it_answers_account_per_key(stripe_emulator):
    """GET /v1/account returns the account for secret keys and rk_test_emulator_account, and
    Stripe's 403 (naming rak_accounts_kyc_id_numbers_read) for rk_test_emulator."""
    account = stripe_emulator.client().v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert account.settings.dashboard.display_name
    assert "livemode" not in account
    again = stripe_emulator.client("rk_test_emulator_account").v1.accounts.retrieve_current()
    assert again.id == account.id
    with pytest.raises(stripe.PermissionError) as caught:
        stripe_emulator.client("rk_test_emulator").v1.accounts.retrieve_current()
    assert "rak_accounts_kyc_id_numbers_read" in caught.value.user_message
    assert account.id in caught.value.user_message


def test_it_adds_keys_with_mode_account_and_permissions(stripe_emulator):
    """The control endpoint adds live/test keys for any account; objects never leak between
    accounts or modes."""
    live = stripe_emulator.add_key(
        key="rk_live_merchant0001",
        livemode=True,
        account="acct_1Merchant000001",
        display_name="Merchant GmbH",
        permissions={"customers": "write"},
        account_access=True,
    )
    assert live["key"] == "rk_live_merchant0001"
    client = stripe_emulator.client("rk_live_merchant0001")
    account = client.v1.accounts.retrieve_current()
    assert account.id == "acct_1Merchant000001"
    assert account.settings.dashboard.display_name == "Merchant GmbH"
    customer = client.v1.customers.create({"name": "Live customer"})
    assert customer.livemode is True
    with pytest.raises(stripe.PermissionError, match="rak_product_write"):
        client.v1.products.create({"name": "x"})
    test_key = stripe_emulator.add_key(account="acct_1Merchant000001")
    assert test_key["key"].startswith("sk_test_")
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        stripe_emulator.client(test_key["key"]).v1.customers.retrieve(customer.id)
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        stripe_emulator.client().v1.customers.retrieve(customer.id)


def test_it_paginates_lists_like_stripe(stripe_emulator):
    """Lists are newest first with limit, starting_after, ending_before and has_more; the SDK's
    auto_paging_iter walks all pages."""
    client = stripe_emulator.client()
    ids = [client.v1.products.create({"name": f"P{i}"}).id for i in range(5)]
    first = client.v1.products.list({"limit": 2})
    assert [p.id for p in first.data] == [ids[4], ids[3]]
    assert first.has_more is True
    second = client.v1.products.list({"limit": 2, "starting_after": ids[3]})
    assert [p.id for p in second.data] == [ids[2], ids[1]]
    last = client.v1.products.list({"limit": 2, "starting_after": ids[1]})
    assert [p.id for p in last.data] == [ids[0]]
    assert last.has_more is False
    before = client.v1.products.list({"limit": 2, "ending_before": ids[1]})
    assert [p.id for p in before.data] == [ids[3], ids[2]]
    assert [p.id for p in first.auto_paging_iter()] == list(reversed(ids))


def test_it_expands_what_the_product_expands(stripe_emulator):
    """expand[] replaces ids with objects (also inside lists via data.x), and unknown
    expansions are rejected."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Acme"})
    product = client.v1.products.create({"name": "Support"})
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "product": product.id,
                        "unit_amount": 100,
                        "recurring": {"interval": "month"},
                    }
                }
            ],
            "expand": ["latest_invoice", "customer"],
        }
    )
    assert subscription.latest_invoice.object == "invoice"
    assert subscription.customer.name == "Acme"
    invoices = client.v1.invoices.list({"expand": ["data.customer", "data.payments"]})
    assert invoices.data[0].customer.id == customer.id
    assert invoices.data[0].payments.data[0].status == "paid"
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.customers.retrieve(customer.id, {"expand": ["nonsense"]})
