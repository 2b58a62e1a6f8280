"""Webhook endpoints, events and signed delivery (verified with the SDK)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from emulators.stripe import API_VERSION
from emulators.stripe.webhooks import retry_delay


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


def test_it_keeps_retrying_like_stripe_until_a_late_receiver_answers(stripe_emulator):
    """Without an attempt cap, a delivery to a receiver that is not up yet (the demo's app while
    the seed runs) is retried until the receiver starts and answers, then counts as delivered."""
    stripe_emulator.config(webhook_max_attempts=None, webhook_retry_max_delay=0.2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = stripe_emulator.client()
    client.v1.webhook_endpoints.create(
        {
            "url": f"http://127.0.0.1:{port}/stripe/webhooks",
            "enabled_events": ["*"],
            "api_version": API_VERSION,
        }
    )
    product = client.v1.products.create({"name": "Sent before the app was up"})
    deadline = time.monotonic() + 5
    while len(stripe_emulator.deliveries()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(attempt["delivered"] for attempt in stripe_emulator.deliveries())
    received = []

    class Late(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Late)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        stripe_emulator.flush_webhooks()
    finally:
        server.shutdown()
        server.server_close()
    assert [event["data"]["object"]["id"] for event in received] == [product.id]
    attempts = stripe_emulator.deliveries()
    assert len(attempts) > 5 and attempts[-1]["delivered"]
    event = client.v1.events.list({"type": "product.created"}).data[0]
    assert event.pending_webhooks == 0


def test_it_gives_up_after_the_retry_window(stripe_emulator, webhook_receiver):
    """Stripe retries for three days; once the next attempt would fall outside the window
    (here shortened), the delivery gives up and the event keeps pending_webhooks=1."""
    stripe_emulator.config(webhook_max_attempts=None, webhook_retry_window=0.3)
    client = stripe_emulator.client()
    _endpoint(client, webhook_receiver)
    webhook_receiver.answer(*[500] * 20)
    client.v1.products.create({"name": "Never answered"})
    stripe_emulator.flush_webhooks()
    attempts = stripe_emulator.deliveries()
    # 0.05 + 0.1 = 0.15 s after the first attempt; the next (0.2 s later) would pass 0.3 s.
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert attempts[-1]["at"] - attempts[0]["at"] < 0.3
    assert client.v1.events.list({"type": "product.created"}).data[0].pending_webhooks == 1


def test_retry_delays_double_up_to_the_cap_and_stop_at_the_window():
    """The backoff rule alone: doubled per attempt, capped, None past the window or the cap."""
    config = {
        "webhook_retry_base": 1.0,
        "webhook_retry_max_delay": 300.0,
        "webhook_retry_window": 3 * 24 * 3600.0,
        "webhook_max_attempts": None,
    }
    assert [retry_delay(n, config, 0.0, 0.0) for n in (1, 2, 3, 9, 10, 30)] == [
        1.0,
        2.0,
        4.0,
        256.0,
        300.0,
        300.0,
    ]
    assert retry_delay(5, config, 0.0, 3 * 24 * 3600.0 - 10) is None
    assert retry_delay(4, {**config, "webhook_max_attempts": 4}, 0.0, 0.0) is None


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
