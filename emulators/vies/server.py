"""The VIES emulator on HTTP (the shared transport in emulators/_server.py).

    server = EmulatorServer(port=0)      # 0 picks a free port
    base_url = server.start()            # serves in a daemon thread
    ...
    server.stop()

A slow answer (a number's or a fault's delay) sleeps in its own request thread only.
"""

from __future__ import annotations

from .._server import EmulatorServer as _EmulatorServer
from .app import Emulator


class EmulatorServer(_EmulatorServer):
    name = "vies-emulator"
    logger_name = "emulators.vies"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        config: dict | None = None,
        numbers: dict | None = None,
        emulator: Emulator | None = None,
    ):
        super().__init__(emulator or Emulator(config, numbers), port=port, host=host)
