"""The Lexware Office emulator on HTTP (the shared transport in emulators/_server.py).

server = EmulatorServer(port=0)      # 0 picks a free port
base_url = server.start()            # serves in a daemon thread; callbacks in another
...
server.stop()
"""

from __future__ import annotations

from .._server import EmulatorServer as _EmulatorServer
from .._state import StateFile
from .app import Emulator


class EmulatorServer(_EmulatorServer):
    name = "lexware-emulator"
    logger_name = "emulators.lexware"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        config: dict | None = None,
        emulator: Emulator | None = None,
        public_url: str | None = None,
        state_file: str | None = None,
    ):
        emulator = emulator or Emulator(config)
        if state_file:  # load before binding the port: a broken file fails cleanly
            StateFile(emulator, state_file).attach()
        super().__init__(emulator, port=port, host=host, public_url=public_url)

    def _start_workers(self) -> None:
        self.emulator.webhooks.start()

    def _stop_workers(self) -> None:
        self.emulator.webhooks.stop()
