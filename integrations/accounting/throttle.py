"""Stay under an accounting tool's rate limit per API key, across every worker.

Like ``integrations.stripe.throttle``: callers reserve evenly spaced slots from the schedule
every worker shares (integrations.slots). Lexware Office allows
2 requests per second per client over all endpoints together (token bucket; over it, 429 and
"the actual call will not be performed": API reference, "API Rate Limits"). The key in Redis
carries a hash of the API key, never the key.
"""

import hashlib
import time
from collections.abc import Callable

from integrations.slots import redis_client, reserve

# Aim a little below the limit: even spacing never bursts; the rest absorbs jitter.
SHARE = 0.98

_redis = redis_client


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
        return reserve(_redis(), self.key, self.interval, penalty, self.clock)

    def wait(self) -> float:
        """Block until this caller's slot comes; returns how long it waited (seconds)."""
        wait = self._reserve(0.0)
        if wait > 0:
            self.sleep(wait)
        return wait

    def rate_limited(self, retry_after: float | None = None) -> None:
        """The provider answered 429: everyone's next slot moves back."""
        self._reserve(max(retry_after or 0.0, self.interval))
