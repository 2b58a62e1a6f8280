"""What a Stripe error means for us: whose fault, and whether to try again."""

import pytest
import stripe

from integrations.stripe.errors import FailureKind, translate


def _error(cls, status, headers=None):
    body = {"error": {"type": "api_error", "message": "Something happened."}}
    args = ("Something happened.", None) if cls is stripe.InvalidRequestError else ("Something",)
    return cls(*args, http_status=status, json_body=body, headers=headers or {})


def test_it_retries_stripes_5xx_409_and_429_by_default():
    """Without advice from Stripe: 5xx, 409 and 429 are retried; a bad request is not."""
    assert translate(_error(stripe.APIError, 500)).retryable
    assert translate(_error(stripe.APIError, 409)).retryable
    assert translate(_error(stripe.RateLimitError, 429)).retryable
    assert not translate(_error(stripe.InvalidRequestError, 400)).retryable


@pytest.mark.parametrize("header", ["Stripe-Should-Retry", "stripe-should-retry"])
def test_it_follows_stripes_should_retry_header(header):
    """Stripe-Should-Retry: false stops retries of a 5xx/409; true retries even a 400."""
    assert not translate(_error(stripe.APIError, 500, {header: "false"})).retryable
    assert not translate(_error(stripe.APIError, 409, {header: "false"})).retryable
    lock = _error(stripe.InvalidRequestError, 400, {header: "true"})
    assert translate(lock).retryable


def test_a_declined_card_is_for_the_user_to_fix_not_retried():
    """A 402 card error stops with Stripe's message instead of being retried as a 5xx."""
    body = {"error": {"type": "card_error", "message": "Your card was declined."}}
    exc = stripe.CardError(
        "Your card was declined.", None, "card_declined", http_status=402, json_body=body
    )
    failure = translate(exc)
    assert failure.kind == FailureKind.INVALID_REQUEST
    assert not failure.retryable and failure.users_to_fix
    assert failure.message == "Your card was declined."
