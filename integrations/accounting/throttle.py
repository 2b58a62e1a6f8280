"""Stay under an accounting tool's rate limit per API key, across every worker.

The shape of ``integrations.stripe.throttle``: callers reserve evenly spaced slots (a generic
cell rate algorithm); the next free slot is one Redis key, moved forward atomically by a script
that reads Redis' own clock, so workers on several machines share one schedule and never burst.
Without Redis (the demo, one process) the schedule lives in the process. Lexware Office allows
2 requests per second per client over all endpoints together (token bucket; over it, 429 and
"the actual call will not be performed": API reference, "API Rate Limits"). The key in Redis
carries a hash of the API key, never the key.
"""

import hashlib
import threading
import time
from collections.abc import Callable

from django.core.cache import cache

# Aim a little below the limit: even spacing never bursts; the rest absorbs jitter.
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

_lock = threading.Lock()
_local_slots: dict[str, float] = {}


def _redis():
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client else None


def key_ref(api_key: str) -> str:
    """What names a key in Redis: a short hash, so the key itself is never stored."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class Throttle:
    """Evenly spaced slots at ``rate`` requests per second for one provider and key."""

    def __init__(
        self,
        provider: str,
        api_key: str,
        rate: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.key = f"{provider}-rate-slot:{key_ref(api_key)}"
        self.interval = 1.0 / (rate * SHARE)
        self.sleep = sleep
        self.clock = clock

    def _reserve(self, penalty: float) -> float:
        client = _redis()
        if client is None:
            return self._reserve_locally(penalty)
        full_key = cache.make_and_validate_key(self.key)
        return float(client.eval(_RESERVE, 1, full_key, self.interval, penalty))

    def _reserve_locally(self, penalty: float) -> float:
        with _lock:
            now = self.clock()
            tat = _local_slots.get(self.key, 0.0)
            if penalty:
                _local_slots[self.key] = max(tat, now) + penalty
                return 0.0
            slot = max(tat, now)
            _local_slots[self.key] = slot + self.interval
            return slot - now

    def wait(self) -> float:
        """Block until this caller's slot comes; returns how long it waited (seconds)."""
        wait = self._reserve(0.0)
        if wait > 0:
            self.sleep(wait)
        return wait

    def rate_limited(self, retry_after: float | None = None) -> None:
        """The provider answered 429: everyone's next slot moves back."""
        self._reserve(max(retry_after or 0.0, self.interval))
