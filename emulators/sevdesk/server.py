"""The sevDesk emulator on HTTP (the shared transport in emulators/_server.py).

server = EmulatorServer(port=0)      # 0 picks a free port
base_url = server.start()            # the API is at base_url + "/api/v1"
...
server.stop()
"""

from __future__ import annotations

from .._server import EmulatorServer as _EmulatorServer
from .._state import StateFile
from .app import Emulator


class EmulatorServer(_EmulatorServer):
    name = "sevdesk-emulator"
    logger_name = "emulators.sevdesk"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        config: dict | None = None,
        emulator: Emulator | None = None,
        state_file: str | None = None,
    ):
        emulator = emulator or Emulator(config)
        if state_file:  # load before binding the port: a broken file fails cleanly
            StateFile(emulator, state_file).attach()
        super().__init__(emulator, port=port, host=host)
