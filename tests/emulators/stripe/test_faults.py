"""Faults on demand: errors, rate limits, latency, lost responses and the global rate limit."""

import time

import pytest
import stripe

from emulators.stripe.keys import DEFAULT_ACCOUNT


def test_it_fails_the_next_n_matching_requests(stripe_emulator):
    """An error fault answers 500 (or 503) with an api_error body to the next N matching
    requests only; non-matching requests pass; nothing is executed."""
    client = stripe_emulator.client()
    stripe_emulator.fault("error", method="POST", path="/v1/customers", count=2, status=500)
    stripe_emulator.fault("error", method="GET", path="/v1/products*", count=1, status=503)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            client.v1.customers.create({"name": "Fails"})
        assert caught.value.http_status == 500
        assert caught.value.error.type == "api_error"
    assert client.v1.customers.list().data == []
    assert client.v1.customers.create({"name": "Works"}).name == "Works"
    with pytest.raises(stripe.APIError) as caught:
        client.v1.products.list()
    assert caught.value.http_status == 503
    assert client.v1.products.list().data == []
    assert [f["fired"] for f in stripe_emulator.faults()] == [2, 1]


def test_sdk_retries_recover_from_a_transient_500(stripe_emulator):
    """With max_network_retries the SDK retries a 500 with the same idempotency key and the
    request succeeds once the fault is used up."""
    client = stripe_emulator.client(max_network_retries=2)
    stripe_emulator.fault("error", method="POST", path="/v1/customers", count=1)
    customer = client.v1.customers.create({"name": "Retried"})
    attempts = stripe_emulator.requests(method="POST", path="/v1/customers")
    assert [a["status"] for a in attempts] == [500, 200]
    assert attempts[0]["idempotency_key"] == attempts[1]["idempotency_key"]
    assert client.v1.customers.retrieve(customer.id).name == "Retried"


def test_it_answers_429_with_stripes_rate_limit_body(stripe_emulator):
    """A rate_limit fault answers 429 with code rate_limit; the SDK raises RateLimitError
    (and does not retry it)."""
    client = stripe_emulator.client(max_network_retries=2)
    stripe_emulator.fault("rate_limit", path="/v1/customers", count=1)
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 429
    assert caught.value.error.code == "rate_limit"
    assert caught.value.user_message.startswith("Request rate limit exceeded.")
    assert len(stripe_emulator.requests(path="/v1/customers")) == 1


def test_it_adds_latency(stripe_emulator):
    """A latency fault delays matching requests; a client timeout shorter than the delay
    raises APIConnectionError."""
    client = stripe_emulator.client()
    stripe_emulator.fault("latency", path="/v1/tax_rates", latency_ms=300, count=2)
    started = time.monotonic()
    client.v1.tax_rates.list()
    assert time.monotonic() - started >= 0.3
    impatient = stripe.StripeClient(
        "sk_test_emulator",
        base_addresses={"api": stripe_emulator.base_url},
        http_client=stripe.RequestsClient(timeout=0.1),
    )
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.tax_rates.list()


def test_a_lost_response_keeps_its_effect(stripe_emulator):
    """A drop fault executes the request and closes the connection without an answer: the SDK
    raises APIConnectionError, yet the customer exists; a retry with the same idempotency key
    gets the stored answer instead of a duplicate."""
    client = stripe_emulator.client()
    stripe_emulator.fault("drop", method="POST", path="/v1/customers", count=1)
    options = {"idempotency_key": "push-1:customer"}
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"name": "Lost answer"}, options)
    [existing] = client.v1.customers.list().data
    assert existing.name == "Lost answer"
    retried = client.v1.customers.create({"name": "Lost answer"}, options)
    assert retried.id == existing.id
    assert len(client.v1.customers.list().data) == 1
    stripe_emulator.fault("drop", method="POST", path="/v1/products", count=1)
    retrying = stripe_emulator.client(max_network_retries=1)
    product = retrying.v1.products.create({"name": "SDK retried"})
    assert [p.id for p in client.v1.products.list().data] == [product.id]


def test_the_global_rate_limit_is_25_per_second_in_test_mode(stripe_emulator):
    """With the rate limit on, a burst beyond 25 requests/second in test mode gets 429s;
    keys added with rate_limited=false are exempt."""
    stripe_emulator.config(rate_limit_enabled=True)
    client = stripe_emulator.client()
    outcomes = []
    started = time.monotonic()
    for _ in range(40):
        try:
            client.v1.customers.list({"limit": 1})
            outcomes.append(200)
        except stripe.RateLimitError as error:
            assert error.error.code == "rate_limit"
            outcomes.append(429)
    # The burst of 25 plus what refilled meanwhile (a loaded machine sends more slowly).
    allowed = 25 + int((time.monotonic() - started) * 25) + 1
    assert 25 <= outcomes.count(200) <= allowed
    assert outcomes.count(429) >= 40 - allowed
    exempt = stripe_emulator.add_key(account=DEFAULT_ACCOUNT, rate_limited=False)
    exempt_client = stripe_emulator.client(exempt["key"])
    for _ in range(40):
        exempt_client.v1.customers.list({"limit": 1})
