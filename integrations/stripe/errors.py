"""One place that decides what a Stripe error means for us.

Every Stripe call in the product goes through ``call()`` (see client.py), which turns the SDK's
exceptions into StripeFailure: retryable or not, whose fault, and Stripe's message verbatim.
"""

from dataclasses import dataclass
from enum import StrEnum

import stripe


class FailureKind(StrEnum):
    AUTHENTICATION = "authentication"  # the key is wrong, expired or revoked
    PERMISSION = "permission"  # a restricted key lacks a scope
    INVALID_REQUEST = "invalid_request"  # our parameters or the object's state
    IDEMPOTENCY = "idempotency"  # same key, different parameters: a bug on our side
    RATE_LIMIT = "rate_limit"
    CONNECTION = "connection"  # network, timeout, lost response
    API = "api"  # Stripe's 5xx, 409 conflicts


RETRYABLE = {FailureKind.RATE_LIMIT, FailureKind.CONNECTION, FailureKind.API}


@dataclass
class StripeFailure(Exception):
    kind: FailureKind
    message: str
    http_status: int | None = None
    code: str | None = None
    param: str | None = None
    request_id: str | None = None
    # Stripe's own advice (the Stripe-Should-Retry header), when it gave one.
    should_retry: bool | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def retryable(self) -> bool:
        if self.should_retry is not None and self.kind != FailureKind.IDEMPOTENCY:
            return self.should_retry
        return self.kind in RETRYABLE

    @property
    def is_missing(self) -> bool:
        """Stripe does not know the object (deleted, or never in this account)."""
        return self.kind == FailureKind.INVALID_REQUEST and self.code == "resource_missing"

    @property
    def users_to_fix(self) -> bool:
        return self.kind in (
            FailureKind.AUTHENTICATION,
            FailureKind.PERMISSION,
            FailureKind.INVALID_REQUEST,
        )


def _error_code(exc: stripe.StripeError) -> str | None:
    # The SDK leaves exc.code empty for 401/403/429; the parsed body still has it.
    error = getattr(exc, "error", None)
    return getattr(error, "code", None) or getattr(exc, "code", None)


def _should_retry(exc: stripe.StripeError) -> bool | None:
    headers = getattr(exc, "headers", None) or {}
    value = next(
        (str(v).lower() for k, v in headers.items() if k.lower() == "stripe-should-retry"), None
    )
    return {"true": True, "false": False}.get(value)


def translate(exc: stripe.StripeError) -> StripeFailure:
    if isinstance(exc, stripe.AuthenticationError):
        kind = FailureKind.AUTHENTICATION
    elif isinstance(exc, stripe.PermissionError):
        kind = FailureKind.PERMISSION
    elif isinstance(exc, stripe.IdempotencyError):
        kind = FailureKind.IDEMPOTENCY
    elif isinstance(exc, stripe.RateLimitError):
        kind = FailureKind.RATE_LIMIT
    elif isinstance(exc, stripe.APIConnectionError):
        kind = FailureKind.CONNECTION
    elif isinstance(exc, stripe.InvalidRequestError | stripe.CardError):
        # A declined card (402) is for the customer to fix, not for us to hammer.
        kind = FailureKind.INVALID_REQUEST
    else:
        kind = FailureKind.API
    message = exc.user_message or str(getattr(exc, "_message", "") or "") or str(exc)
    if kind == FailureKind.CONNECTION and not message:
        message = "Could not reach Stripe."
    return StripeFailure(
        kind=kind,
        message=message,
        http_status=getattr(exc, "http_status", None),
        code=_error_code(exc),
        param=getattr(exc, "param", None),
        request_id=getattr(exc, "request_id", None),
        should_retry=_should_retry(exc),
    )
