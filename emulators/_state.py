"""A state file for the provider doubles (Lexware Office, sevDesk): what they store survives a
restart, so the demo's database and the doubles' objects stay in step (the Stripe emulator has
its own JSON format, emulators/stripe/persistence.py).

The file is a pickle of the emulator's ``persisted`` attributes and its clock, written
atomically (temporary file, then rename) after every request that changed something. It is the
double's own file on the user's machine, read only by the double that wrote it.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from pathlib import Path

FORMAT = "mspercury-provider-double"
VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be loaded."""


class StateFile:
    def __init__(self, emulator, path: str | os.PathLike):
        self.emulator = emulator
        self.path = Path(path)
        self.lock = threading.Lock()

    def load(self) -> bool:
        """Restore the saved state; False when there is no file yet (the double starts fresh)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StateFileError(f"{self.path}: {exc}") from exc
        try:
            data = pickle.loads(raw)  # noqa: S301 - the double's own file
            if data.get("format") != FORMAT or data.get("label") != self.emulator.label:
                raise ValueError("not this double's state file")
            if data.get("version") != VERSION:
                raise ValueError(f"unsupported version {data.get('version')!r}")
            self.emulator.import_state(data)
        except Exception as exc:  # a broken file names itself, the double does not start
            raise StateFileError(f"{self.path}: {exc}") from exc
        return True

    def save(self) -> None:
        data = {"format": FORMAT, "version": VERSION, "label": self.emulator.label}
        data.update(self.emulator.export_state())
        with self.emulator.lock:
            raw = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            with os.fdopen(handle, "wb") as out:
                out.write(raw)
            os.replace(temporary, self.path)

    def attach(self) -> None:
        """Load the file, then save after every change."""
        self.load()
        self.emulator.listeners.append(self.save)
