"""Webhook endpoints, events and signed delivery (verified with the SDK)."""

import json

import pytest
import stripe

from integrations.stripe.emulator import API_VERSION


def _endpoint(client, receiver, events=("*",)):
    return client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": list(events), "api_version": API_VERSION}
    )


def test_deliveries_verify_with_the_sdk_and_fail_with_a_wrong_secret(
    stripe_emulator, webhook_receiver
):
    """The whsec_ secret is returned once; each event is POSTed with a Stripe-Signature that
    stripe.Webhook.construct_event accepts with that secret and rejects with another."""
    client = stripe_emulator.client()
    endpoint = _endpoint(client, webhook_receiver)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.api_version == API_VERSION
    assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id)
    customer = client.v1.customers.create({"name": "Signed"})
    stripe_emulator.flush_webhooks()
    [delivery] = webhook_receiver.received
    assert delivery["path"] == "/stripe/webhooks"
    event = stripe.Webhook.construct_event(delivery["body"], delivery["signature"], endpoint.secret)
    assert event.type == "customer.created"
    assert isinstance(event.data.object, stripe.Customer)
    assert event.data.object.id == customer.id
    assert event.api_version == API_VERSION
    assert event.request.id.startswith("req_")
    assert client.construct_event(delivery["body"], delivery["signature"], endpoint.secret).id == (
        event.id
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery["body"], delivery["signature"], "whsec_not_the_right_one"
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery["body"] + b" ", delivery["signature"], endpoint.secret
        )
    assert client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_it_retries_with_backoff_until_a_2xx(stripe_emulator, webhook_receiver):
    """Non-2xx answers are retried with growing delays; after max attempts the delivery
    gives up and the event keeps pending_webhooks=1."""
    client = stripe_emulator.client()
    _endpoint(client, webhook_receiver)
    webhook_receiver.answer(500, 503)
    client.v1.products.create({"name": "Retried"})
    stripe_emulator.flush_webhooks()
    attempts = stripe_emulator.deliveries()
    assert [(a["attempt"], a["status"], a["delivered"]) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    first_gap = attempts[1]["at"] - attempts[0]["at"]
    second_gap = attempts[2]["at"] - attempts[1]["at"]
    assert first_gap >= 0.04 and second_gap >= 0.09
    webhook_receiver.answer(500, 500, 500, 500)
    product = client.v1.products.create({"name": "Given up"})
    stripe_emulator.flush_webhooks()
    event = client.v1.events.list({"type": "product.created"}).data[0]
    assert event.data.object.id == product.id
    assert event.pending_webhooks == 1
    assert len(stripe_emulator.deliveries()) == 7


def test_it_only_sends_enabled_events_and_honours_endpoint_changes(
    stripe_emulator, webhook_receiver
):
    """Endpoints get only their enabled_events; disabled and deleted endpoints get nothing."""
    client = stripe_emulator.client()
    endpoint = _endpoint(client, webhook_receiver, events=["invoice.created"])
    customer = client.v1.customers.create({"name": "Filter"})
    client.v1.invoices.create({"customer": customer.id})
    stripe_emulator.flush_webhooks()
    types = [json.loads(d["body"])["type"] for d in webhook_receiver.received]
    assert types == ["invoice.created"]
    client.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})
    client.v1.invoices.create({"customer": customer.id})
    stripe_emulator.flush_webhooks()
    assert len(webhook_receiver.received) == 1
    assert client.v1.webhook_endpoints.list().data[0].status == "disabled"
    assert client.v1.webhook_endpoints.delete(endpoint.id).deleted is True
    assert client.v1.webhook_endpoints.list().data == []


def test_duplicate_delivery_sends_every_event_twice(stripe_emulator, webhook_receiver):
    """With webhook_duplicates on, each event arrives twice with the same event id."""
    client = stripe_emulator.client()
    stripe_emulator.config(webhook_duplicates=True)
    _endpoint(client, webhook_receiver)
    client.v1.products.create({"name": "Twice"})
    stripe_emulator.flush_webhooks()
    ids = [json.loads(d["body"])["id"] for d in webhook_receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_out_of_order_delivery(stripe_emulator, webhook_receiver):
    """Paused deliveries pile up; resumed in reverse (or shuffled) order they arrive out of
    order; flush waits until everything is delivered."""
    client = stripe_emulator.client()
    _endpoint(client, webhook_receiver)
    stripe_emulator.pause_webhooks()
    created = [client.v1.products.create({"name": f"P{i}"}).id for i in range(5)]
    assert len(stripe_emulator.pending_deliveries()) == 5
    assert stripe_emulator.flush_webhooks(timeout=0.2)["paused"] is True
    assert webhook_receiver.received == []
    stripe_emulator.config(webhook_order="reverse")
    stripe_emulator.resume_webhooks()
    assert stripe_emulator.flush_webhooks()["pending"] == 0
    order = [json.loads(d["body"])["data"]["object"]["id"] for d in webhook_receiver.received]
    assert order == list(reversed(created))
    webhook_receiver.received.clear()
    stripe_emulator.pause_webhooks()
    created = [client.v1.products.create({"name": f"S{i}"}).id for i in range(8)]
    stripe_emulator.config(webhook_order="shuffle")
    stripe_emulator.resume_webhooks()
    stripe_emulator.flush_webhooks()
    order = [json.loads(d["body"])["data"]["object"]["id"] for d in webhook_receiver.received]
    assert sorted(order) == sorted(created)
    assert order != created


def test_events_list_and_retrieve(stripe_emulator):
    """Every state change is an event; events list by type (with wildcards) and retrieve."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Evented"})
    client.v1.customers.update(customer.id, {"name": "Renamed"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 5, "currency": "eur"})
    events = client.v1.events.list({"types": ["customer.*"]}).data
    assert [e.type for e in events] == ["customer.updated", "customer.created"]
    assert events[0].data.previous_attributes["name"] == "Evented"
    assert events[0].id.startswith("evt_")
    fetched = client.v1.events.retrieve(events[1].id)
    assert fetched.data.object.name == "Evented"
    assert client.v1.events.list({"type": "invoiceitem.created"}).data[0].livemode is False
