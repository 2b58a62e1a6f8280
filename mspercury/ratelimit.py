"""Fixed-window rate limits kept in the cache (Redis in production and tests)."""

import threading
import time

from django.core.cache import cache


def hit(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; return False once more than ``limit`` attempts fall in the window."""
    cache_key = f"rl:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit


def is_limited(scope: str, key: str, limit: int) -> bool:
    """True when the window already holds ``limit`` or more attempts (does not count one)."""
    return (cache.get(f"rl:{scope}:{key}") or 0) >= limit


def reset(scope: str, key: str) -> None:
    cache.delete(f"rl:{scope}:{key}")


class _Reserve:
    """This process's share of one key's window: how many more hits it may count on its own."""

    __slots__ = ("last", "left", "window")

    def __init__(self, window: int):
        self.window = window
        self.left = 0
        self.last = False  # the shared count reached the limit: no more shares this window


_reserves: dict[str, _Reserve] = {}
_reserves_lock = threading.Lock()
MAX_RESERVES = 4096


def _share_size(limit: int) -> int:
    # Big enough that the cache is asked about once per 1 % of the limit, small enough that the
    # shares other processes hold unspent (at most one each) cost little of the limit.
    return max(1, min(100, limit // 100))


def hit_shared(scope: str, key: str, limit: int, window_seconds: int, now: float | None = None):
    """Like ``hit`` for endpoints that take many requests a second: each process takes shares
    of the window's ``limit`` from the cache (one cache trip per share) and counts hits against
    its share in memory. Never more than ``limit`` hits per fixed window across processes; a
    process may answer False up to (processes - 1) × share hits early, while the others still
    hold unspent shares."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    cache_key = f"rl:{scope}:{key}:{window}"
    with _reserves_lock:
        reserve = _reserves.get(cache_key)
        if reserve is None:
            if len(_reserves) >= MAX_RESERVES:
                _drop_old_reserves(window)
            reserve = _reserves[cache_key] = _Reserve(window)
        if reserve.left > 0:
            reserve.left -= 1
            return True
        if reserve.last:
            return False
        share = _share_size(limit)
        # The window is in the key, so every process counts the same window; it expires with
        # the next one.
        cache.add(cache_key, 0, timeout=2 * window_seconds)
        try:
            counted = cache.incr(cache_key, share)
        except ValueError:  # evicted between add and incr: count afresh
            cache.add(cache_key, share, timeout=2 * window_seconds)
            counted = share
        granted = max(0, min(share, limit - (counted - share)))
        reserve.last = counted >= limit
        if granted == 0:
            return False
        reserve.left = granted - 1
        return True


def _drop_old_reserves(window: int) -> None:
    for cache_key in [k for k, r in _reserves.items() if r.window < window] or list(_reserves):
        del _reserves[cache_key]


def forget_shares() -> None:
    """Drop this process's shares (tests start each case with a clean cache)."""
    with _reserves_lock:
        _reserves.clear()
