"""The HTTP transport both emulators share: a ThreadingHTTPServer in front of an emulator object.

An emulator answers `handle(method, target, headers, body)` with a `Response` and never sees a
socket; this module writes that answer, waits first when it says so, or drops the connection.

    server = EmulatorServer(emulator, port=0)  # 0 picks a free port
    base_url = server.start()                  # serves in a daemon thread
    ...
    server.stop()

`serve_forever()` runs in the foreground instead (the `python -m emulators.*` entry points).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol


@dataclass
class Response:
    """An emulator's answer; a fault may drop it or make it late."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # the effect happened, the answer is lost: close without a byte
    delay: float = 0.0  # seconds the server waits before answering (or dropping)


class Emulator(Protocol):
    """What the server needs of an emulator (the Stripe and the VIES `Emulator` both are one)."""

    base_url: str

    def handle(self, method: str, target: str, headers: dict, body: bytes) -> Response: ...

    def reset(self) -> None: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Answers go out as header and body writes; without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.emulator.handle(self.command, self.path, headers, body)
        if response.delay > 0:
            time.sleep(response.delay)  # in this request's thread only
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
            # The client gave up (its timeout) before a slow answer was written.
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def version_string(self) -> str:
        return self.server.name

    def log_message(self, format, *args):
        logging.getLogger(self.server.logger_name).debug(
            "%s - %s", self.address_string(), format % args
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator: Emulator, name: str, logger_name: str):
        self.emulator = emulator
        self.name = name
        self.logger_name = logger_name
        super().__init__(address, _Handler)


class EmulatorServer:
    """Serves one emulator on a port; a subclass names it and starts what runs beside it."""

    name = "emulator"  # the Server header and the thread's name
    logger_name = "emulators"

    def __init__(
        self,
        emulator: Emulator,
        port: int = 0,
        host: str = "127.0.0.1",
        public_url: str | None = None,
    ):
        self.emulator = emulator
        self.httpd = _Server((host, port), emulator, self.name, self.logger_name)
        self.host, self.port = self.httpd.server_address[:2]
        self.base_url = public_url or f"http://{host}:{self.port}"
        self.emulator.base_url = self.base_url
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a background thread; return the base URL."""
        self._start_workers()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.1,), name=self.name, daemon=True
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

    def stop(self) -> None:
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(timeout=5)
            self.thread = None
        with contextlib.suppress(OSError):
            self.httpd.server_close()
        self._stop_workers()

    def reset(self) -> None:
        self.emulator.reset()

    def _start_workers(self) -> None:
        """Start what runs beside the HTTP server (webhook delivery, saving the state)."""

    def _stop_workers(self) -> None:
        """Stop them again, after the last request was answered."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def foreground_parser(package: str, port: int, description: str) -> argparse.ArgumentParser:
    """The command line of `python -m <package>`: --port and --host, the emulator adds the rest."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}", description=description)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve_in_foreground(server: EmulatorServer, banner: str, farewell: str) -> None:
    """Print the banner, serve until Ctrl-C or SIGTERM (stopping the server), print the farewell.

    SIGTERM stops it like Ctrl-C (so the Stripe emulator saves its state when scripts/demo.sh's
    exit trap kills it), and so does SIGINT when a shell started it in the background (`&`),
    which would otherwise ignore it.
    """
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    print(banner + "\n(Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(farewell, flush=True)
