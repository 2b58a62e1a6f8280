"""Stripe-shaped errors: one exception type that renders as Stripe's JSON error body.

The official SDK picks its exception class from the HTTP status and the body's `type`/`code`
(see `_api_requestor.specific_v1_api_error`), so the status codes here matter as much as the text.
"""

from __future__ import annotations


class StripeError(Exception):
    """An error the emulator answers with `{"error": {...}}` and the given HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}
        self.extra = extra or {}
        self.keep_effects = False
        """True when what the request did before failing stays (a declined payment attempt)."""

    def body(self, request_id: str | None = None) -> dict:
        error: dict = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = (
                f"https://dashboard.stripe.com/test/logs/{request_id}?t=0"  # shape only
            )
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(message, param=param, code=code)


def no_such(kind: str, object_id: str, param: str | None = "id") -> StripeError:
    """Stripe's 404 for an unknown id: `No such customer: 'cus_x'`."""
    return StripeError(
        f"No such {kind}: '{object_id}'",
        status=404,
        code="resource_missing",
        param=param,
    )


def missing_param(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def mask_key(key: str) -> str:
    """Mask an API key the way Stripe's messages do: prefix, asterisks, last four characters."""
    for prefix in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"):
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            return prefix + "*" * max(len(rest) - 4, 4) + rest[-4:]
    if len(key) <= 4:
        return "*" * len(key)
    return "*" * (len(key) - 4) + key[-4:]
