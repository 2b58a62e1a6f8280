"""Pytest fixtures for the Lexware Office and sevDesk emulators.

- `lexware_emulator` / `sevdesk_emulator`: the emulator (one server per test run, on a free
  port), reset before each test. Each is the emulator's `ControlClient` plus `base_url`,
  `server` and `emulator` (the in-process object). Their rate limits are off (the tests that are
  about them turn them on); Lexware's callback retries wait milliseconds instead of seconds.
- `callback_receiver`: a local HTTP endpoint that records Lexware's event callbacks (body and
  `X-Lxo-Signature`) and the HEAD probe Lexware sends when a subscription is made, and answers
  with the statuses a test queues up (default 200).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from emulators import lexware, sevdesk

LEXWARE_TEST_CONFIG = {"rate_limit": 0, "webhook_retry_scale": 0.002, "webhook_timeout": 2.0}
SEVDESK_TEST_CONFIG = {"rate_limit": 0}


class _Handle:
    def __init__(self, server):
        super().__init__(server.base_url)
        self.server = server
        self.emulator = server.emulator


class LexwareHandle(_Handle, lexware.ControlClient):
    pass


class SevdeskHandle(_Handle, sevdesk.ControlClient):
    pass


@pytest.fixture(scope="session")
def _lexware_emulator_server():
    server = lexware.EmulatorServer(port=0, config=LEXWARE_TEST_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lexware_emulator(_lexware_emulator_server):
    handle = LexwareHandle(_lexware_emulator_server)
    handle.reset()
    yield handle
    handle.reset()


@pytest.fixture(scope="session")
def _sevdesk_emulator_server():
    server = sevdesk.EmulatorServer(port=0, config=SEVDESK_TEST_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sevdesk_emulator(_sevdesk_emulator_server):
    handle = SevdeskHandle(_sevdesk_emulator_server)
    handle.reset()
    yield handle
    handle.reset()


class CallbackReceiver:
    def __init__(self):
        self.received: list[dict] = []
        self.heads = 0
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                with receiver.lock:
                    receiver.heads += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        {
                            "path": self.path,
                            "body": body,
                            "signature": self.headers.get("X-Lxo-Signature"),
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/lexware/events"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, *statuses: int) -> None:
        """Queue the statuses the next callbacks get (then 200 again)."""
        with self.lock:
            self.statuses.extend(statuses)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def callback_receiver():
    receiver = CallbackReceiver()
    yield receiver
    receiver.stop()
