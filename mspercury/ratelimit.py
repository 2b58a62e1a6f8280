"""Fixed-window rate limits kept in the cache (Redis in production and tests)."""

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
