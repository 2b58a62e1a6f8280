"""Lexware event subscriptions: registration, RSA-SHA512-signed callbacks, delivery rules."""

import base64
import json
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from emulators.lexware import DEFAULT_ORGANIZATION
from tests.emulators.lexware.helpers import create_contact, create_invoice, lx
from tests.emulators.wire import call


def subscribe(emulator, url, event_type="payment.changed", key="lexware-emulator-key"):
    body = {"eventType": event_type, "callbackUrl": url}
    return lx(emulator, "POST", "/v1/event-subscriptions", body, key=key)


def verify(public_pem: str, body: bytes, signature_b64: str) -> None:
    key = serialization.load_pem_public_key(public_pem.encode())
    key.verify(base64.b64decode(signature_b64), body, padding.PKCS1v15(), hashes.SHA512())


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_subscriptions_are_created_listed_fetched_and_deleted(lexware_emulator, callback_receiver):
    created = subscribe(lexware_emulator, callback_receiver.url)
    assert created.status == 201
    assert set(created.json) == {"id", "resourceUri", "createdDate", "updatedDate", "version"}
    assert created.headers["Location"] == created.json["resourceUri"]
    assert callback_receiver.heads == 1  # Lexware probes the URL with HEAD first

    subscription_id = created.json["id"]
    one = lx(lexware_emulator, "GET", f"/v1/event-subscriptions/{subscription_id}").json
    assert one == {
        "subscriptionId": subscription_id,
        "organizationId": DEFAULT_ORGANIZATION,
        "createdDate": created.json["createdDate"],
        "eventType": "payment.changed",
        "callbackUrl": callback_receiver.url,
    }
    listed = lx(lexware_emulator, "GET", "/v1/event-subscriptions").json
    assert listed == {"content": [one]}

    again = subscribe(lexware_emulator, callback_receiver.url)
    assert again.status == 409 and again.json["status"] == 409  # same type and URL

    deleted = lx(lexware_emulator, "DELETE", f"/v1/event-subscriptions/{subscription_id}")
    assert deleted.status == 204
    assert lx(lexware_emulator, "GET", "/v1/event-subscriptions").json == {"content": []}


def test_bad_subscriptions_are_406(lexware_emulator, callback_receiver):
    unknown = subscribe(lexware_emulator, callback_receiver.url, event_type="invoice.paid")
    assert unknown.status == 406
    assert unknown.json["details"][0]["field"] == "eventType"
    unreachable = subscribe(lexware_emulator, "http://127.0.0.1:9/hook")
    assert unreachable.status == 406
    lexware_emulator.config(require_https=True)
    assert subscribe(lexware_emulator, callback_receiver.url).status == 406


def test_a_bank_transfer_fires_signed_callbacks_that_verify(lexware_emulator, callback_receiver):
    for event_type in ("payment.changed", "invoice.status.changed", "invoice.created"):
        assert subscribe(lexware_emulator, callback_receiver.url, event_type).status == 201
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    lexware_emulator.pay(invoice_id, 296.01)  # the whole amount: open -> paid
    lexware_emulator.flush_webhooks()
    assert wait_for(lambda: len(callback_receiver.received) == 3)

    events = [json.loads(r["body"]) for r in callback_receiver.received]
    assert [e["eventType"] for e in events] == [
        "invoice.created",
        "payment.changed",
        "invoice.status.changed",
    ]
    for event in events:
        assert set(event) == {"organizationId", "eventType", "resourceId", "eventDate"}
        assert event["resourceId"] == invoice_id
        assert event["organizationId"] == DEFAULT_ORGANIZATION

    # The key from the control API and from Lexware's public-key URL path are the same key.
    pem = lexware_emulator.public_key()
    served = call(lexware_emulator.base_url, "GET", "/webhookSignature/public/public_key.pub")
    assert served.raw.decode() == pem
    for received in callback_receiver.received:
        assert b" " not in received["body"] and b"\n" not in received["body"]  # compact JSON
        verify(pem, received["body"], received["signature"])
    with pytest.raises(InvalidSignature):
        tampered = received["body"].replace(invoice_id.encode(), b"0" * len(invoice_id))
        verify(pem, tampered, received["signature"])


def test_the_signing_key_survives_a_reset(lexware_emulator):
    pem = lexware_emulator.public_key()
    lexware_emulator.reset()
    assert lexware_emulator.public_key() == pem


def test_failed_callbacks_are_retried_and_410_removes_the_subscription(
    lexware_emulator, callback_receiver
):
    subscribe(lexware_emulator, callback_receiver.url)
    invoice_id = create_invoice(lexware_emulator, create_contact(lexware_emulator))
    callback_receiver.answer(503, 429)
    lexware_emulator.pay(invoice_id, 10)
    assert wait_for(lambda: len(callback_receiver.received) == 3)
    assert [r["status"] for r in callback_receiver.received] == [503, 429, 200]
    attempts = [d["attempt"] for d in lexware_emulator.deliveries()]
    assert attempts == [1, 2, 3]

    callback_receiver.answer(410)
    lexware_emulator.pay(invoice_id, 10)
    assert wait_for(lambda: len(callback_receiver.received) == 4)
    assert wait_for(
        lambda: not lx(lexware_emulator, "GET", "/v1/event-subscriptions").json["content"]
    )

    # Other 4xx are not retried.
    subscribe(lexware_emulator, callback_receiver.url)
    callback_receiver.answer(400)
    lexware_emulator.pay(invoice_id, 10)
    lexware_emulator.flush_webhooks()
    time.sleep(0.2)
    assert len(callback_receiver.received) == 5
    assert lexware_emulator.pending_deliveries() == []


def test_revoking_the_key_removes_its_subscriptions(lexware_emulator, callback_receiver):
    lexware_emulator.add_key("second-key", organizationId=DEFAULT_ORGANIZATION)
    subscribe(lexware_emulator, callback_receiver.url, key="second-key")
    subscribe(lexware_emulator, callback_receiver.url, "invoice.created")
    lexware_emulator.revoke_key("second-key")
    left = lx(lexware_emulator, "GET", "/v1/event-subscriptions").json["content"]
    assert [s["eventType"] for s in left] == ["invoice.created"]


def test_a_callback_url_that_keeps_answering_404_loses_its_subscription(
    lexware_emulator, callback_receiver
):
    # Lexware's whole schedule (10 s … 19 × 2 h, 25 retries) shrunk to about 1.4 s.
    lexware_emulator.config(webhook_retry_scale=0.00001)
    subscribe(lexware_emulator, callback_receiver.url, "invoice.created")
    callback_receiver.answer(*[404] * 26)
    create_invoice(lexware_emulator, create_contact(lexware_emulator))
    assert wait_for(lambda: len(callback_receiver.received) == 26, timeout=15)
    assert wait_for(
        lambda: not lx(lexware_emulator, "GET", "/v1/event-subscriptions").json["content"]
    )
    assert [d["attempt"] for d in lexware_emulator.deliveries()] == list(range(1, 27))
    assert lexware_emulator.pending_deliveries() == []
