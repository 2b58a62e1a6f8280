"""Stay at Stripe's rate limit per account and mode, across every worker (a shared schedule).

Stripe allows 25 requests per second per account in test mode and 100 in live mode
(MSPERCURY_STRIPE_RATE_LIMITS overrides them). Callers reserve evenly spaced slots (a generic cell
rate algorithm): the next free slot is one key in Redis, moved forward atomically by a script
that reads Redis' own clock, so workers on several machines share one schedule without bursts,
and a bulk push runs at the limit instead of a fixed second-window below it. Without Redis (the
demo, one process) the schedule lives in the process.

A 429 still happens when something else uses the same account: the caller backs off (see the
executor) and ``rate_limited`` pushes everyone's next slot back by one interval.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache

LIMITS = {"test": 25, "live": 100}
# Aim this close to the limit: even spacing never bursts, and jitter is absorbed by Stripe's
# bucket; the remainder leaves room for a retry now and then.
SHARE = 0.98

_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = tonumber(ARGV[1])
local penalty = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if penalty > 0 then
  redis.call('SET', KEYS[1], tostring(math.max(tat, now) + penalty), 'PX', 60000)
  return '0'
end
local slot = math.max(tat, now)
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', 60000)
return tostring(slot - now)
"""


def limit_for(mode: str) -> float:
    limits = {**LIMITS, **getattr(settings, "MSPERCURY_STRIPE_RATE_LIMITS", {})}
    return float(limits.get(mode, LIMITS["test"]))


def interval_for(mode: str) -> float:
    return 1.0 / (limit_for(mode) * SHARE)


class _LocalSchedule:
    def __init__(self):
        self.lock = threading.Lock()
        self.next_slot: dict[str, float] = {}

    def reserve(self, key: str, interval: float, penalty: float, clock) -> float:
        with self.lock:
            now = clock()
            tat = self.next_slot.get(key, 0.0)
            if penalty:
                self.next_slot[key] = max(tat, now) + penalty
                return 0.0
            slot = max(tat, now)
            self.next_slot[key] = slot + interval
            return slot - now


_local = _LocalSchedule()


def _redis():
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client else None


def _reserve(account_ref: str, mode: str, penalty: float, clock) -> float:
    key = f"stripe-rate-slot:{account_ref}:{mode}"
    interval = interval_for(mode)
    client = _redis()
    if client is None:
        return _local.reserve(key, interval, penalty, clock)
    full_key = cache.make_and_validate_key(key)
    return float(client.eval(_RESERVE, 1, full_key, interval, penalty))


def wait_for_slot(account_ref: str, mode: str, *, sleep=time.sleep, clock=time.time) -> float:
    """Block until this caller's slot comes; returns how long it waited (seconds)."""
    wait = _reserve(account_ref, mode, 0.0, clock)
    if wait > 0:
        sleep(wait)
    return wait


def rate_limited(account_ref: str, mode: str, *, clock=time.time) -> None:
    """Stripe answered 429: everyone's next slot moves back by one interval."""
    _reserve(account_ref, mode, interval_for(mode), clock)
