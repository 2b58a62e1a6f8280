"""Pytest fixtures for the Stripe emulator.

- `stripe_emulator`: the emulator (one server per test run, on a free port), reset before each
  test. It is a `ControlClient` plus `base_url`, `emulator` (the in-process object) and
  `client(key=...)`, which returns a `stripe.StripeClient` pointed at the emulator.
- `webhook_receiver`: a local HTTP endpoint that records webhook deliveries and answers with
  the statuses a test queues up (default 200).

The global rate limit is off in tests (test_faults turns it on where it is the subject), and
webhook retries back off in tens of milliseconds instead of seconds.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from emulators.stripe import ControlClient, EmulatorServer

TEST_CONFIG = {
    "rate_limit_enabled": False,
    "webhook_retry_base": 0.05,
    "webhook_max_attempts": 4,
    "webhook_timeout": 2.0,
}


class EmulatorHandle(ControlClient):
    def __init__(self, server: EmulatorServer):
        super().__init__(server.base_url)
        self.server = server
        self.emulator = server.emulator


@pytest.fixture(scope="session")
def _stripe_emulator_server():
    server = EmulatorServer(port=0, config=TEST_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_emulator(_stripe_emulator_server):
    handle = EmulatorHandle(_stripe_emulator_server)
    handle.reset()
    yield handle
    handle.reset()


class WebhookReceiver:
    """A real HTTP endpoint that records what a double delivers to it (its path, body and the
    signature in ``signature_header``) and answers the queued statuses, then 200; a HEAD (a
    subscription's reachability check) is counted and answered 200."""

    def __init__(self, signature_header="Stripe-Signature", path="/stripe/webhooks"):
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
                            "signature": self.headers.get(signature_header),
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
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, *statuses: int) -> None:
        """Queue the statuses the next deliveries get (then 200 again)."""
        with self.lock:
            self.statuses.extend(statuses)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
