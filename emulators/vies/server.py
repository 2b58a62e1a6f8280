"""HTTP transport: a ThreadingHTTPServer in front of an `Emulator`.

    server = EmulatorServer(port=0)      # 0 picks a free port
    base_url = server.start()            # serves in a daemon thread
    ...
    server.stop()

`serve_forever()` runs in the foreground instead (the management command uses it). A slow
answer (a number's or a fault's delay) sleeps in its own request thread only.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import Emulator

logger = logging.getLogger("emulators.vies")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vies-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        emulator: Emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = emulator.handle(self.command, self.path, headers, body)
        if response.delay > 0:
            time.sleep(response.delay)
        try:
            if response.drop:
                self.close_connection = True
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
        except OSError:
            # The client gave up waiting (its timeout) before a slow answer was written.
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = _handle

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
        numbers: dict | None = None,
        emulator: Emulator | None = None,
    ):
        self.emulator = emulator or Emulator(config, numbers)
        self.httpd = _Server((host, port), self.emulator)
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = f"http://{host}:{self.port}"
        self.emulator.base_url = self.base_url
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a background thread; return the base URL."""
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.1,), name="vies-emulator", daemon=True
        )
        self.thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        try:
            self.httpd.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(timeout=5)
            self.thread = None
        with contextlib.suppress(OSError):
            self.httpd.server_close()

    def reset(self) -> None:
        self.emulator.reset()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
