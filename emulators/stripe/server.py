"""The Stripe emulator on HTTP (the shared transport in emulators/_server.py).

    server = EmulatorServer(port=0)      # 0 picks a free port
    base_url = server.start()            # serves in a daemon thread
    ...
    server.stop()

With `state_file=...` the state is loaded from that JSON file at construction (a missing file
starts fresh; a broken one raises `StateFileError`) and saved after changes, at most once per
`save_interval` seconds, and on `stop()` (see persistence.py).
"""

from __future__ import annotations

import os

from .._server import EmulatorServer as _EmulatorServer
from .app import Emulator
from .persistence import StateFile


class EmulatorServer(_EmulatorServer):
    name = "stripe-emulator"
    logger_name = "emulators.stripe"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        config: dict | None = None,
        emulator: Emulator | None = None,
        public_url: str | None = None,
        state_file: str | os.PathLike | None = None,
        save_interval: float = 1.0,
    ):
        emulator = emulator or Emulator(config)
        self.state: StateFile | None = None
        if state_file is not None:
            # Load before binding the port: a broken file fails without leaving a socket open.
            self.state = StateFile(emulator, state_file, interval=save_interval)
            self.state.load()
            emulator.listeners.append(self.state.changed)
        super().__init__(emulator, port=port, host=host, public_url=public_url)

    def _start_workers(self) -> None:
        self.emulator.webhooks.start()
        if self.state is not None:
            self.state.start()

    def _stop_workers(self) -> None:
        self.emulator.webhooks.stop()
        if self.state is not None:
            self.state.stop()
