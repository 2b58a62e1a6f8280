"""A schedule of evenly spaced request slots shared by every worker (a generic cell rate
algorithm), for the outside services' rate limits (integrations.stripe.throttle,
integrations.accounting.throttle).

The next free slot of a key is one Redis value, moved forward atomically by a script that reads
Redis' own clock, so workers on several machines share one schedule and never burst. Without
Redis (the demo, one process) the schedule lives in the process.
"""

import threading
from collections.abc import Callable

from django.core.cache import cache

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


class LocalSchedule:
    """The schedule within one process (no Redis)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next_slot: dict[str, float] = {}

    def reserve(
        self, key: str, interval: float, penalty: float, clock: Callable[[], float]
    ) -> float:
        """Seconds until the caller's slot (0 for a penalty, which moves the next slot back)."""
        with self.lock:
            now = clock()
            tat = self.next_slot.get(key, 0.0)
            if penalty:
                self.next_slot[key] = max(tat, now) + penalty
                return 0.0
            slot = max(tat, now)
            self.next_slot[key] = slot + interval
            return slot - now


LOCAL = LocalSchedule()


def redis_client():
    """The cache's Redis client, or None when the cache is not Redis."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client else None


def reserve(client, key: str, interval: float, penalty: float, clock: Callable[[], float]) -> float:
    """Reserve the next slot of ``key`` in Redis through ``client``, or in this process when
    ``client`` is None; with a ``penalty``, move the next slot back by it instead."""
    if client is None:
        return LOCAL.reserve(key, interval, penalty, clock)
    full_key = cache.make_and_validate_key(key)
    return float(client.eval(_RESERVE, 1, full_key, interval, penalty))
