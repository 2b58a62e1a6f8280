"""Idempotency keys: replay, parameter mismatch, in-flight conflicts and expiry."""

import threading
import time

import pytest
import stripe


def test_the_same_key_replays_the_stored_response(stripe_emulator):
    """A repeated Idempotency-Key answers the first response again (Idempotent-Replayed)
    without creating a second object."""
    client = stripe_emulator.client()
    options = {"idempotency_key": "quote-1:customer:v1"}
    first = client.v1.customers.create({"name": "Once"}, options)
    second = client.v1.customers.create({"name": "Once"}, options)
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(client.v1.customers.list().data) == 1
    assert len(client.v1.events.list({"type": "customer.created"}).data) == 1


def test_the_same_key_with_other_parameters_is_an_idempotency_error(stripe_emulator):
    """Reusing a key with different parameters (or on another endpoint) raises
    IdempotencyError (400, type idempotency_error)."""
    client = stripe_emulator.client()
    options = {"idempotency_key": "quote-2:customer:v1"}
    client.v1.customers.create({"name": "First"}, options)
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create({"name": "Second"}, options)
    assert caught.value.http_status == 400
    assert caught.value.error.type == "idempotency_error"
    assert "same parameters" in caught.value.user_message
    with pytest.raises(stripe.IdempotencyError, match="same endpoint"):
        client.v1.products.create({"name": "First"}, options)


def test_a_key_in_flight_conflicts_with_409(stripe_emulator):
    """While the first request with a key still runs, a second with the same key gets a 409
    idempotency_key_in_use (the SDK raises APIError); afterwards it replays."""
    client = stripe_emulator.client()
    stripe_emulator.fault("latency", method="POST", path="/v1/customers", latency_ms=600)
    options = {"idempotency_key": "quote-3:customer:v1"}
    results = {}

    def slow():
        results["first"] = client.v1.customers.create({"name": "Slow"}, options)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    with pytest.raises(stripe.APIError) as caught:
        client.v1.customers.create({"name": "Slow"}, options)
    thread.join()
    assert caught.value.http_status == 409
    assert caught.value.error.code == "idempotency_key_in_use"
    replay = client.v1.customers.create({"name": "Slow"}, options)
    assert replay.id == results["first"].id
    assert len(client.v1.customers.list().data) == 1


def test_validation_errors_are_not_stored_and_keys_expire_after_24_hours(stripe_emulator):
    """A request rejected by validation does not consume its key; after 24 hours a key is
    forgotten and may be used for something else."""
    client = stripe_emulator.client()
    options = {"idempotency_key": "quote-4:customer:v1"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"name": "X", "bogus": "1"}, options)
    created = client.v1.customers.create({"name": "Valid"}, options)
    stripe_emulator.advance(hours=24)
    other = client.v1.customers.create({"name": "Different"}, options)
    assert other.id != created.id


def test_business_errors_are_replayed_too(stripe_emulator):
    """An error produced while executing (here: no such customer) is stored and replayed."""
    client = stripe_emulator.client()
    options = {"idempotency_key": "quote-5:invoice:v1"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.invoices.create({"customer": "cus_missing"}, options)
    assert caught.value.headers["Idempotent-Replayed"] == "true"
