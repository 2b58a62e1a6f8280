"""The Stripe-Signature check of webhook intake: a pure function over the raw body."""

import hashlib
import hmac

import pytest
import stripe

from integrations.webhooks.intake import SIGNATURE_TOLERANCE, signature_is_valid

SECRET = "whsec_signature_tests_0123456789"
NOW = 1_800_000_000
BODY = b'{"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}'


def _v1(body: bytes = BODY, secret: str = SECRET, timestamp: int = NOW) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _header(body: bytes = BODY, secret: str = SECRET, timestamp: int = NOW) -> str:
    return f"t={timestamp},v1={_v1(body, secret, timestamp)}"


def test_it_accepts_stripes_own_signature():
    """A header made by Stripe's SDK verifies: the scheme is Stripe's."""
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, NOW)
    assert signature_is_valid(BODY, header, SECRET, NOW)


def test_it_accepts_a_body_that_is_not_utf8():
    """The HMAC is over the raw bytes, whatever they are (the body check comes later)."""
    body = b'{"id": "evt_\xff"}'
    assert signature_is_valid(body, _header(body), SECRET, NOW)


@pytest.mark.parametrize(
    "header",
    [
        f"t={NOW},v1={'0' * 64},v1={_v1()}",  # the second of two (a secret being rolled)
        f"t={NOW},v1={_v1()},v1={'0' * 64}",
        f"v1={_v1()},t={NOW}",  # any order
        f"t={NOW},v0={'0' * 64},v1={_v1()}",  # v0 (Stripe's test scheme) is ignored
        f" t={NOW} , v1={_v1()} ",  # spaces around items
        f"t={NOW},v1={_v1()},x-future=abc",
    ],
    ids=["second v1", "first v1", "order", "v0 ignored", "spaces", "unknown scheme"],
)
def test_any_v1_signature_may_match(header):
    assert signature_is_valid(BODY, header, SECRET, NOW)


@pytest.mark.parametrize("offset", [0, 1, SIGNATURE_TOLERANCE, -SIGNATURE_TOLERANCE])
def test_it_accepts_timestamps_within_the_tolerance(offset):
    """Signed up to 300 s before (or, with a clock a little ahead, after) now."""
    assert signature_is_valid(BODY, _header(timestamp=NOW - offset), SECRET, NOW)


@pytest.mark.parametrize("offset", [SIGNATURE_TOLERANCE + 1, -SIGNATURE_TOLERANCE - 1, NOW])
def test_it_refuses_timestamps_outside_the_tolerance(offset):
    """An old delivery replayed, or a timestamp from far ahead, does not verify."""
    assert not signature_is_valid(BODY, _header(timestamp=NOW - offset), SECRET, NOW)


def test_a_custom_tolerance_is_honoured():
    header = _header(timestamp=NOW - 10)
    assert signature_is_valid(BODY, header, SECRET, NOW, tolerance=10)
    assert not signature_is_valid(BODY, header, SECRET, NOW, tolerance=9)


def test_it_refuses_a_tampered_body():
    header = _header()
    assert not signature_is_valid(BODY.replace(b"in_1", b"in_2"), header, SECRET, NOW)
    assert not signature_is_valid(BODY + b" ", header, SECRET, NOW)
    assert not signature_is_valid(BODY[:-1], header, SECRET, NOW)


def test_it_refuses_another_secret():
    assert not signature_is_valid(BODY, _header(secret="whsec_someone_else"), SECRET, NOW)


def test_it_refuses_a_signature_moved_to_another_timestamp():
    """The timestamp is signed: the same v1 under another t does not verify."""
    header = f"t={NOW - 1},v1={_v1()}"
    assert not signature_is_valid(BODY, header, SECRET, NOW)


BAD_HEADERS = {
    "empty": "",
    "no timestamp": f"v1={_v1()}",
    "no v1": f"t={NOW}",
    "only v0": f"t={NOW},v0={_v1()}",
    "two timestamps": f"t={NOW},t={NOW},v1={_v1()}",
    "timestamp not a number": f"t=now,v1={_v1()}",
    "negative timestamp": f"t=-{NOW},v1={_v1()}",
    "timestamp with a sign": f"t=+{NOW},v1={_v1()}",
    "timestamp in other digits": f"t={'١' * 10},v1={_v1()}",
    "empty timestamp": f"t=,v1={_v1()}",
    "empty v1": f"t={NOW},v1=",
    "uppercase hex": f"t={NOW},v1={_v1().upper()}",
    "truncated v1": f"t={NOW},v1={_v1()[:-2]}",
    "v1 not ascii": f"t={NOW},v1={_v1()[:-1]}é",
    "garbage": "deadbeef",
    "too long": f"t={NOW}," + ",".join([f"v1={'0' * 64}"] * 40) + f",v1={_v1()}",
}


@pytest.mark.parametrize("header", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_it_refuses_malformed_headers(header):
    assert not signature_is_valid(BODY, header, SECRET, NOW)


def test_it_refuses_everything_without_a_secret():
    """A connection without a signing secret verifies nothing (not even an unkeyed HMAC)."""
    assert not signature_is_valid(BODY, _header(secret=""), "", NOW)
