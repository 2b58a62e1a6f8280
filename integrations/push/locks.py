"""Cross-process locks for pushes: PostgreSQL advisory locks (released if a worker dies)."""

import contextlib
import hashlib

from django.db import connection


def _lock_id(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


@contextlib.contextmanager
def advisory_lock(name: str, *, wait: bool = True):
    """Hold a session-level advisory lock; yields whether it was acquired.

    Session-level, so it survives the short transactions a push commits step by step, and the
    database drops it when a killed worker's connection goes away. SQLite (the demo, one
    process) has no such locks and needs none.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_id(name)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            acquired = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def advisory_xact_lock(name: str) -> None:
    """Lock ``name`` until the current transaction ends (PostgreSQL; nothing on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(name)])


def try_advisory_xact_lock(name: str) -> bool:
    """Lock ``name`` until the current transaction ends if nobody holds it; whether it was
    taken (PostgreSQL; always True on SQLite)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_id(name)])
        return bool(cursor.fetchone()[0])
