"""Optional persistence: keep the emulator's state in a JSON file across restarts.

    state = StateFile(emulator, ".demo/stripe-emulator.json")
    state.load()      # at start; a missing file means "start fresh"
    state.start()     # saves (debounced) whenever the emulator reports a change
    ...
    state.stop()      # a last save

What is kept: every object with its owner and internal state (invoice lines, payment
behaviour, webhook secrets, search snapshots), accounts and keys (also those added at runtime),
the clock offset, the settings, the id generator's state and webhook deliveries still queued.
What is not: idempotency results, faults, the request log and the delivery log.

Saving writes a temporary file next to the target and renames it over the target
(`os.replace`), so a crash never leaves a half-written file. The file holds API keys and
webhook secrets of the emulated accounts and is created readable by its owner only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .keys import ApiKey
from .wire import _default

if TYPE_CHECKING:
    from .app import Emulator

logger = logging.getLogger("emulators.stripe")

FORMAT = "mspercury-stripe-emulator-state"
VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be loaded."""


def snapshot(emu: Emulator) -> dict:
    """Everything worth keeping, as JSON-ready data (call with the store lock held)."""
    store = emu.store
    objects = [
        {
            "kind": kind,
            "owner": list(store.owners[object_id]),
            "object": store.objects.peek(object_id),
            "internal": store.internal[object_id],
        }
        for kind, ids in store.by_kind.items()
        for object_id in ids
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "clock_offset": store.clock_offset,
        "config": dict(emu.config),
        "accounts": emu.keys.accounts,
        "keys": [dataclasses.asdict(key) for key in emu.keys.keys.values()],
        "objects": objects,
        "counters": dict(store.counters),
        "id_generator": store.rng.getstate(),
        "webhooks": {"pending": emu.webhooks.export_pending()},
    }


def restore(emu: Emulator, data: dict) -> None:
    """Replace the emulator's state by a snapshot. Raises ValueError, KeyError or TypeError
    when the snapshot is malformed (the emulator is then reset to its seeds)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("this is not a Stripe emulator state file")
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported state file version {data.get('version')!r}")
    from .app import DEFAULT_CONFIG

    store = emu.store
    with store.lock:
        emu.reset()
        try:
            _restore(emu, data, DEFAULT_CONFIG)
        except BaseException:
            emu.reset()
            raise


def _restore(emu: Emulator, data: dict, known_settings: dict) -> None:
    store = emu.store
    saved = {k: v for k, v in data["config"].items() if k in known_settings}
    # Settings given to the constructor (the command line) win over the saved ones.
    emu.config = {**emu.defaults, **saved, **emu.explicit_config}
    store.clock_offset = float(data["clock_offset"])
    emu.keys.accounts.update(data["accounts"])
    for spec in data["keys"]:
        emu.keys.add(ApiKey(**spec))
    for entry in data["objects"]:
        internal = entry["internal"]
        if not isinstance(entry["object"], dict) or not isinstance(internal, dict):
            raise TypeError(f"malformed object entry {entry.get('object')!r}")
        if "search" in internal:
            internal["search"] = [tuple(version) for version in internal["search"]]
        account, livemode = entry["owner"]
        store.add(entry["kind"], entry["object"], (account, bool(livemode)), internal)
    store.counters.update(data.get("counters") or {})
    generator = data.get("id_generator")
    if generator:
        version, internal_state, gauss = generator
        store.rng.setstate((version, tuple(internal_state), gauss))
    emu.webhooks.import_pending(data.get("webhooks", {}).get("pending", []))


class StateFile:
    """Loads the emulator's state from `path` and saves it after changes, at most once per
    `interval` seconds (plus once on `stop()`)."""

    def __init__(self, emu: Emulator, path: str | os.PathLike, interval: float = 1.0):
        self.emu = emu
        self.path = Path(path)
        self.interval = interval
        self.cond = threading.Condition()
        self.dirty = False
        self.stopping = False
        self.last_save = 0.0
        self.last_text: str | None = None
        self.write_lock = threading.Lock()
        self.thread: threading.Thread | None = None

    # -- loading -------------------------------------------------------------------------------
    def load(self) -> bool:
        """Restore the saved state; False if there is no file yet (the emulator starts fresh).
        Raises StateFileError naming the file when it can't be read or understood."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(str(exc)) from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise self._error(f"invalid JSON ({exc})") from exc
        try:
            restore(self.emu, data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise self._error(reason) from exc
        self.last_text = self._serialize()
        return True

    def _error(self, reason: str) -> StateFileError:
        return StateFileError(
            f"Cannot load the Stripe emulator state from {self.path}: {reason}. "
            "Fix the file or delete it to start with a fresh emulator."
        )

    # -- saving --------------------------------------------------------------------------------
    def _serialize(self) -> str:
        with self.emu.store.lock:
            return json.dumps(snapshot(self.emu), default=_default, ensure_ascii=False)

    def save(self) -> bool:
        """Write the state now if it changed since the last save; True if it wrote."""
        with self.write_lock:
            text = self._serialize()
            if text == self.last_text:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self.last_text = text
            self.last_save = time.monotonic()
            return True

    def changed(self) -> None:
        """Note that the state may have changed; the saver thread writes it soon."""
        with self.cond:
            self.dirty = True
            self.cond.notify_all()

    # -- the saver thread ----------------------------------------------------------------------
    def start(self) -> None:
        with self.cond:
            if self.thread and self.thread.is_alive():
                return
            self.stopping = False
            self.thread = threading.Thread(
                target=self._run, name="stripe-emulator-state", daemon=True
            )
            self.thread.start()

    def stop(self) -> None:
        """Stop the saver thread and save a last time."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread:
            self.thread.join(timeout=5)
            self.thread = None
        self.save()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.dirty and not self.stopping:
                    self.cond.wait()
                # Debounce: at most one write per interval; changes meanwhile join this one.
                while not self.stopping:
                    wait = self.last_save + self.interval - time.monotonic()
                    if wait <= 0:
                        break
                    self.cond.wait(wait)
                if self.stopping:
                    return
                self.dirty = False
            try:
                self.save()
            except OSError:
                logger.exception("could not save the Stripe emulator state to %s", self.path)
