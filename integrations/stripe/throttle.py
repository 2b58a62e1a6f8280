"""Stay at Stripe's rate limit per account and mode, across every worker (a shared schedule).

Stripe allows 25 requests per second per account in test mode and 100 in live mode
(MSPERCURY_STRIPE_RATE_LIMITS overrides them). Callers reserve evenly spaced slots from the schedule
that every worker shares (integrations.slots), so a bulk push runs at the limit instead of a
fixed second-window below it.

A 429 still happens when something else uses the same account: the caller backs off (see the
executor) and ``rate_limited`` pushes everyone's next slot back by one interval.
"""

import time

from django.conf import settings

from integrations.slots import LocalSchedule, redis_client, reserve

LIMITS = {"test": 25, "live": 100}
# Aim this close to the limit: even spacing never bursts, and jitter is absorbed by Stripe's
# bucket; the remainder leaves room for a retry now and then.
SHARE = 0.98


def limit_for(mode: str) -> float:
    limits = {**LIMITS, **getattr(settings, "MSPERCURY_STRIPE_RATE_LIMITS", {})}
    return float(limits.get(mode, LIMITS["test"]))


def interval_for(mode: str) -> float:
    return 1.0 / (limit_for(mode) * SHARE)


# The process's own schedule without Redis (kept under this name for its tests).
_LocalSchedule = LocalSchedule
_redis = redis_client


def _reserve(account_ref: str, mode: str, penalty: float, clock) -> float:
    key = f"stripe-rate-slot:{account_ref}:{mode}"
    return reserve(_redis(), key, interval_for(mode), penalty, clock)


def wait_for_slot(account_ref: str, mode: str, *, sleep=time.sleep, clock=time.time) -> float:
    """Block until this caller's slot comes; returns how long it waited (seconds)."""
    wait = _reserve(account_ref, mode, 0.0, clock)
    if wait > 0:
        sleep(wait)
    return wait


def rate_limited(account_ref: str, mode: str, *, clock=time.time) -> None:
    """Stripe answered 429: everyone's next slot moves back by one interval."""
    _reserve(account_ref, mode, interval_for(mode), clock)
