"""The due-time index: what the emulator's clock has to do next, without scanning the store.

Invoices finalize an hour after creation and are then charged, subscriptions renew, end or
expire, Checkout sessions expire. Each of those is a function of the object's own fields
(`DUE_ENTRIES` in resources/__init__.py), so the index keeps one heap entry per object that
will come due: (moment, kind rank, creation order, id). Ties therefore resolve the way the old
full scan resolved them: invoices before subscriptions before Checkout sessions, older first.

The index learns about changes from `Store.touched` (every object added, removed or read from
the store since the last look; anything that changes an object reads it first) and re-reads
only those, so a request costs the same with 10 objects as with 100,000 and a month of
renewals costs the renewals, not renewals x objects. A heap entry whose object has since moved
is skipped when it reaches the top. Loading a state file adds every object, which marks them
all touched, so the index is rebuilt on the next look.
"""

from __future__ import annotations

import heapq

from .router import Context


def clock_context(emu, object_id: str) -> Context:
    """The request context a clock-driven action runs in: the object's owner, no API key."""
    return Context(emu=emu, key=None, owner=emu.store.owner_of(object_id), params={}, path={})


class DueIndex:
    def __init__(self, emu, entries: dict):
        self.emu = emu
        self.entries = entries
        self.rank = {kind: position for position, kind in enumerate(entries)}
        self.reset()

    def reset(self) -> None:
        """Forget everything (the store was reset; what it adds next is touched anew)."""
        self.heap: list[tuple] = []
        self.current: dict[str, tuple] = {}

    def refresh(self) -> None:
        """Re-read every object touched since the last look and file its next due moment."""
        store = self.emu.store
        touched = store.touched
        while touched:
            object_id = touched.pop()
            try:
                self._file(store, object_id)
            except BaseException:
                touched.add(object_id)  # look again next time, as the old scan would have
                raise
        if len(self.heap) > 2 * len(self.current) + 1024:
            self.heap = list(self.current.values())
            heapq.heapify(self.heap)

    def _file(self, store, object_id: str) -> None:
        kind = store.kinds.get(object_id)
        due_entry = self.entries.get(kind)
        entry = due_entry(store.objects.peek(object_id)) if due_entry else None
        key = None
        if entry is not None:
            key = (entry[0], self.rank[kind], store.order[object_id], object_id)
        if key == self.current.get(object_id):
            return
        if key is None:
            del self.current[object_id]
        else:
            self.current[object_id] = key
            heapq.heappush(self.heap, key)

    def next_action(self, now: int):
        """The first action due at or before `now` (a callable), or None when nothing is due.
        Its object counts as touched, so what the action changes is filed again."""
        self.refresh()
        heap, store = self.heap, self.emu.store
        while heap and heap[0][0] <= now:
            key = heapq.heappop(heap)
            object_id = key[3]
            if self.current.get(object_id) != key:
                continue  # the object moved on since this entry was filed
            del self.current[object_id]
            store.touched.add(object_id)
            obj = store.objects.peek(object_id)
            make = self.entries[store.kinds[object_id]](obj)[1]
            return make(clock_context(self.emu, object_id), obj)
        return None
