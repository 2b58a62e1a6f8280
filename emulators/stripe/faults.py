"""Faults on demand and the rate limiter.

A fault matches requests by method and path pattern (fnmatch, e.g. `/v1/customers*`) and
optionally by API key; it fires on the next `count` matching requests (or forever when `count`
is null). Actions:

- `error`: answer `status` (500 or 503) with an `api_error` body, without executing the request.
- `rate_limit`: answer Stripe's 429 rate-limit body, without executing.
- `latency`: sleep `latency_ms` before executing (after the idempotency key is marked in flight).
- `drop`: execute the request, then close the connection without answering (the response is
  lost, the effect stays).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from dataclasses import dataclass

from .errors import StripeError

ACTIONS = ("error", "rate_limit", "latency", "drop")

RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. You can learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


def rate_limit_error(reason: str = "global-rate") -> StripeError:
    return StripeError(
        RATE_LIMIT_MESSAGE,
        status=429,
        code="rate_limit",
        headers={"Stripe-Rate-Limited-Reason": reason},
    )


@dataclass
class Fault:
    id: int
    action: str
    method: str | None = None
    path: str | None = None
    key: str | None = None
    count: int | None = 1
    status: int = 500
    latency_ms: int = 0
    should_retry: bool | None = None
    fired: int = 0

    def matches(self, method: str, path: str, key: str | None) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path):
            return False
        return not (self.key and self.key != key)

    def public(self) -> dict:
        return {
            "id": self.id,
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "should_retry": self.should_retry,
            "fired": self.fired,
        }


class FaultSet:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.next_id = 1

    def add(self, spec: dict) -> Fault:
        action = spec.get("action", "error")
        if action not in ACTIONS:
            raise ValueError(f"unknown fault action {action!r}; one of {', '.join(ACTIONS)}")
        status = int(spec.get("status", 429 if action == "rate_limit" else 500))
        if action == "error" and status < 500:
            raise ValueError("error faults answer a 5xx status")
        with self.lock:
            fault = Fault(
                id=self.next_id,
                action=action,
                method=spec.get("method"),
                path=spec.get("path"),
                key=spec.get("key"),
                count=spec.get("count", 1),
                status=status,
                latency_ms=int(spec.get("latency_ms", 0)),
                should_retry=spec.get("should_retry"),
            )
            self.next_id += 1
            self.faults.append(fault)
            return fault

    def clear(self) -> None:
        with self.lock:
            self.faults = []

    def take(self, method: str, path: str, key: str | None) -> list[Fault]:
        """The faults that fire for this request (each counted once)."""
        fired = []
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, key):
                    fault.fired += 1
                    fired.append(fault)
        return fired

    def public(self) -> list[dict]:
        with self.lock:
            return [f.public() for f in self.faults]


def fault_error(fault: Fault) -> StripeError:
    headers = {}
    if fault.should_retry is not None:
        headers["Stripe-Should-Retry"] = "true" if fault.should_retry else "false"
    if fault.action == "rate_limit":
        error = rate_limit_error("global-rate")
        error.headers.update(headers)
        return error
    if fault.status == 503:
        message = "Stripe is temporarily unavailable. Please try again later."
    else:
        message = (
            "An unknown error occurred (emulated fault). Please retry; if the problem "
            "persists, contact support."
        )
    return StripeError(message, status=fault.status, type="api_error", headers=headers)


class RateLimiter:
    """A token bucket per (account, livemode): `rate` requests per second, burst of `rate`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buckets: dict[tuple, tuple[float, float]] = {}

    def allow(self, owner: tuple, rate: float) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(owner, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1:
                self.buckets[owner] = (tokens, now)
                return False
            self.buckets[owner] = (tokens - 1, now)
            return True

    def reset(self) -> None:
        with self.lock:
            self.buckets = {}
