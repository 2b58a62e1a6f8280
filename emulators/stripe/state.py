"""The emulator's in-memory store: objects, owners, a clock and deterministic ids.

Objects are stored as the API dicts Stripe would return (money in integer minor units); state
that Stripe does not expose (invoice lines, subscription items, search snapshots, payment
behaviour) lives beside them in `internal[id]`. Every object belongs to one (account, livemode)
pair, like on Stripe, and is invisible to keys of another account or mode.

All access goes through `Store.lock` (an RLock held for a whole request).
"""

from __future__ import annotations

import copy
import os
import random
import string
import threading
import time
from collections import defaultdict

_ALPHABET = string.ascii_letters + string.digits

# Stripe-like lengths of the random part of ids by prefix (cus_QXg1o8vcGmoR32 has 14).
_ID_LENGTHS = {
    "cus": 14,
    "prod": 14,
    "si": 14,
    "acct": 16,
    "cs_test": 58,
    "cs_live": 58,
}
_DEFAULT_ID_LENGTH = 24

Owner = tuple[str, bool]
"""(account id, livemode)"""


class _Objects(dict):
    """Objects by id that note every id read through `[]` or `get` in `touched`.

    Anything that changes a stored object first reads it from here (directly, or through
    `Store.get` and `Store.all`), so `touched` holds every object that may have changed since
    the due-time index last looked (see due.py): the index re-reads those, not the store.
    `peek` reads without noting (for snapshots, which never change an object).
    """

    __slots__ = ("touched",)

    def __init__(self):
        super().__init__()
        self.touched: set[str] = set()

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        self.touched.add(key)
        return value

    def get(self, key, default=None):
        value = dict.get(self, key, default)
        if value is not default:
            self.touched.add(key)
        return value

    peek = dict.__getitem__


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        """Forget everything. Ids come from `seed` when given (reproducible runs); otherwise
        they are random, so ids never repeat across resets or restarts (a restarted demo
        emulator must not hand out a cus_ id the app already stores for another customer)."""
        with self.lock:
            self.objects = _Objects()
            self.touched = self.objects.touched
            # Creation order of every object (ties between due actions go to the older one).
            self.order: dict[str, int] = {}
            self._added = 0
            self.internal: dict[str, dict] = {}
            self.owners: dict[str, Owner] = {}
            self.kinds: dict[str, str] = {}
            self.by_kind: dict[str, list[str]] = defaultdict(list)
            self.clock_offset = 0.0
            self.rng = random.Random(seed if seed is not None else os.urandom(16))
            self.counters: dict[str, int] = defaultdict(int)
            self.journal: list[str] | None = None

    # -- time ----------------------------------------------------------------------------------
    def now(self) -> int:
        """The emulator clock: real time plus everything `advance` has added."""
        return int(time.time() + self.clock_offset)

    def precise_now(self) -> float:
        """The emulator clock with sub-second precision (for the search index delay)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds

    # -- ids -----------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        with self.lock:
            length = _ID_LENGTHS.get(prefix, _DEFAULT_ID_LENGTH)
            body = "".join(self.rng.choice(_ALPHABET) for _ in range(length - 1))
            return f"{prefix}_1{body}" if not prefix.startswith("cs_") else f"{prefix}_a1{body}"

    def token(self, length: int = 24) -> str:
        with self.lock:
            return "".join(self.rng.choice(_ALPHABET) for _ in range(length))

    def next_number(self, name: str) -> int:
        with self.lock:
            self.counters[name] += 1
            return self.counters[name]

    # -- objects -------------------------------------------------------------------------------
    def add(self, kind: str, obj: dict, owner: Owner, internal: dict | None = None) -> dict:
        object_id = obj["id"]
        self.objects[object_id] = obj
        self.owners[object_id] = owner
        self.kinds[object_id] = kind
        self.internal[object_id] = internal if internal is not None else {}
        self.by_kind[kind].append(object_id)
        self._added += 1
        self.order[object_id] = self._added
        self.touched.add(object_id)
        if self.journal is not None:
            self.journal.append(object_id)
        return obj

    def get(self, kind: str, object_id: str, owner: Owner) -> dict | None:
        if not isinstance(object_id, str):
            return None
        if self.kinds.get(object_id) != kind or self.owners.get(object_id) != owner:
            return None
        return self.objects[object_id]

    def remove(self, object_id: str) -> None:
        kind = self.kinds.pop(object_id, None)
        self.objects.pop(object_id, None)
        self.owners.pop(object_id, None)
        self.internal.pop(object_id, None)
        self.order.pop(object_id, None)
        self.touched.add(object_id)
        if kind:
            self.by_kind[kind].remove(object_id)

    def all(self, kind: str, owner: Owner | None = None) -> list[dict]:
        """Objects of a kind, oldest first."""
        return [
            self.objects[i]
            for i in self.by_kind.get(kind, [])
            if owner is None or self.owners[i] == owner
        ]

    def owner_of(self, object_id: str) -> Owner | None:
        return self.owners.get(object_id)

    def kind_of(self, object_id: str) -> str | None:
        return self.kinds.get(object_id)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                kind: [copy.deepcopy(self.objects.peek(i)) for i in ids]
                for kind, ids in self.by_kind.items()
                if ids
            }
