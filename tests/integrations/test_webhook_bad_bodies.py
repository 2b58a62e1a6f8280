"""Webhook bodies that are signed correctly but are no Stripe event: 400, nothing stored."""

import hashlib
import hmac
import json
import time

import pytest

from integrations.models import StripeEvent, WebhookStatus
from integrations.webhooks.intake import parse_event_body
from tests import factories

SECRET = "whsec_test_bad_bodies_0123456789"


@pytest.fixture
def connection(alpha):
    return factories.stripe_connection(
        alpha,
        "rk_test_bad_bodies_abcd",
        webhook_secret=SECRET,
        account_id="acct_1BadBodies",
        webhook_status=WebhookStatus.REGISTERED,
    )


def _event(**changes) -> dict:
    event = {
        "id": "evt_1",
        "object": "event",
        "type": "invoice.paid",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "in_1", "object": "invoice"}},
    }
    event.update(changes)
    return event


def _signed_post(client, conn, body: bytes):
    # Stripe's scheme (HMAC-SHA256 of "t.body"), over raw bytes: the SDK helper takes text only.
    timestamp = int(time.time())
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return client.post(
        f"/webhooks/stripe/{conn.webhook_token}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={digest}",
    )


BAD_BODIES = {
    "array": b'[{"id": "evt_1", "type": "invoice.paid"}]',
    "empty array": b"[]",
    "string": b'"evt_1"',
    "number": b"42",
    "null": b"null",
    "true": b"true",
    "empty": b"",
    "not json": b"{not json",
    "invalid utf-8": b'{"id": "evt_\xff", "type": "invoice.paid", "data": {"object": {}}}',
    "nul in a value": json.dumps(_event(data={"object": {"id": "in_\u0000"}})).encode(),
    "nul in a key": json.dumps(_event(data={"object": {"a\u0000": 1}})).encode(),
    "lone surrogate": json.dumps(_event(type="invoice.\ud800paid")).encode(),
    "NaN": json.dumps(_event(data={"object": {"amount": float("nan")}})).encode(),
    "Infinity": json.dumps(_event(data={"object": {"amount": float("inf")}})).encode(),
    "huge integer": b'{"id": "evt_1", "type": "x", "data": {"object": {"n": '
    + b"9" * 5000
    + b"}}}",
    "deep nesting": b'{"id": "evt_1", "type": "x", "data": {"object": '
    + b"[" * 100000
    + b"]" * 100000
    + b"}}",
    "id is a list": json.dumps(_event(id=["evt_1"])).encode(),
    "id is missing": json.dumps({k: v for k, v in _event().items() if k != "id"}).encode(),
    "id too long": json.dumps(_event(id="evt_" + "x" * 100)).encode(),
    "type is a number": json.dumps(_event(type=7)).encode(),
    "created is text": json.dumps(_event(created="yesterday")).encode(),
    "created is huge": json.dumps(_event(created=10**30)).encode(),
    "livemode is text": json.dumps(_event(livemode="false")).encode(),
    "data is a list": json.dumps(_event(data=[])).encode(),
    "object is text": json.dumps(_event(data={"object": "in_1"})).encode(),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_it_refuses_a_signed_body_that_is_no_event(client, connection, body):
    """A validly signed body that is not a storable event object answers 400 and stores nothing."""
    response = _signed_post(client, connection, body)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_it_still_stores_a_signed_event(client, connection):
    """The body check lets a real event through: stored once, exactly as sent."""
    body = json.dumps(_event(data={"object": {"id": "in_1", "description": "Müller ☃"}})).encode()
    response = _signed_post(client, connection, body)
    assert response.status_code == 200
    assert StripeEvent.objects.get().payload == json.loads(body)


@pytest.mark.parametrize("name", BAD_BODIES.keys())
def test_parse_event_body_refuses(name):
    """The pure parser returns None for every bad body."""
    assert parse_event_body(BAD_BODIES[name]) is None


@pytest.mark.parametrize(
    "event",
    [
        _event(),
        _event(api_version=None),
        {k: v for k, v in _event().items() if k not in ("created", "livemode", "api_version")},
        _event(data={"object": {"lines": [{"amount": 1.5}], "metadata": {}}}),
    ],
)
def test_parse_event_body_accepts(event):
    """Event objects with the fields Stripe sends (some optional) are returned as parsed."""
    assert parse_event_body(json.dumps(event).encode()) == event
