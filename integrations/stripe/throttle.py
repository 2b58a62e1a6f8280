"""Stay under Stripe's rate limit per account, across all workers (a window per second in Redis).

Test mode allows 25 requests per second per account; we aim a little lower so bulk pushes never
provoke a storm of 429s. Live mode allows 100.
"""

import time

from django.core.cache import cache

LIMITS = {"test": 20, "live": 80}


def wait_for_slot(account_ref: str, mode: str, *, sleep=time.sleep, clock=time.time) -> None:
    limit = LIMITS.get(mode, 20)
    while True:
        now = clock()
        second = int(now)
        key = f"stripe-rate:{account_ref}:{mode}:{second}"
        if cache.add(key, 1, timeout=5):
            return
        try:
            count = cache.incr(key)
        except ValueError:
            continue
        if count <= limit:
            return
        sleep(max(0.01, second + 1 - now))
