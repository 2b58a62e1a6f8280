"""HTTP transport: a ThreadingHTTPServer in front of an `Emulator`.

    server = EmulatorServer(port=0)      # 0 picks a free port
    base_url = server.start()            # serves in a daemon thread
    ...
    server.stop()

`serve_forever()` runs in the foreground instead (the management command uses it).

With `state_file=...` the state is loaded from that JSON file at construction (a missing file
starts fresh; a broken one raises `StateFileError`) and saved after changes, at most once per
`save_interval` seconds, and on `stop()` (see persistence.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import Emulator
from .persistence import StateFile

logger = logging.getLogger("emulators.stripe")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Answers go out as header and body writes; without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        emulator: Emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = emulator.handle(self.command, self.path, headers, body)
        if response.drop:
            # The effect happened; the answer is lost. Close without a byte of response.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def log_message(self, format, *args):
        logger.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator: Emulator):
        self.emulator = emulator
        super().__init__(address, _Handler)


class EmulatorServer:
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
        self.emulator = emulator or Emulator(config)
        self.state: StateFile | None = None
        if state_file is not None:
            # Load before binding the port: a broken file fails without leaving a socket open.
            self.state = StateFile(self.emulator, state_file, interval=save_interval)
            self.state.load()
            self.emulator.listeners.append(self.state.changed)
        self.httpd = _Server((host, port), self.emulator)
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = public_url or f"http://{host}:{self.port}"
        self.emulator.base_url = self.base_url
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a background thread; return the base URL."""
        self._start_workers()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.1,), name="stripe-emulator", daemon=True
        )
        self.thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._start_workers()
        try:
            self.httpd.serve_forever()
        finally:
            self.stop()

    def _start_workers(self) -> None:
        self.emulator.webhooks.start()
        if self.state is not None:
            self.state.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(timeout=5)
            self.thread = None
        self.httpd.server_close()
        self.emulator.webhooks.stop()
        if self.state is not None:
            self.state.stop()

    def reset(self) -> None:
        self.emulator.reset()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
