"""Pytest fixtures for the Lexware Office and sevDesk emulators.

- `lexware_emulator` / `sevdesk_emulator`: the emulator (one server per test run, on a free
  port), reset before each test. Each is the emulator's `ControlClient` plus `base_url`,
  `server` and `emulator` (the in-process object); the sevDesk client's remembered user and
  country table are forgotten with it. Their rate limits are off (the tests that are
  about them turn them on); Lexware's callback retries wait milliseconds instead of seconds.
- Every other test: Lexware's and sevDesk's URLs point at a closed port (refused at once).
- `callback_receiver`: a local HTTP endpoint that records Lexware's event callbacks (body and
  `X-Lxo-Signature`) and the HEAD probe Lexware sends when a subscription is made, and answers
  with the statuses a test queues up (default 200).
"""

from __future__ import annotations

import pytest

from emulators import lexware, sevdesk
from integrations.sevdesk.client import forget_facts
from tests.stripe_emulator_fixtures import WebhookReceiver

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


# Port 9 (discard) on the loopback: nothing listens, connections are refused at once. Every
# test that does not set up a double talks to this, never to api.lexware.io or sevdesk.de.
OFFLINE_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _accounting_offline(settings):
    settings.MSPERCURY_LEXWARE_API_URL = OFFLINE_URL
    settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL = f"{OFFLINE_URL}/public_key.pub"
    settings.MSPERCURY_SEVDESK_API_URL = f"{OFFLINE_URL}/api/v1"


def point_at_doubles(settings, lexware_emulator, sevdesk_emulator) -> None:
    """The product's Lexware and sevDesk settings pointed at the doubles, our own throttles off
    (the tests about them switch them on)."""
    settings.MSPERCURY_LEXWARE_API_URL = lexware_emulator.base_url
    settings.MSPERCURY_SEVDESK_API_URL = sevdesk_emulator.api_url
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 0
    settings.MSPERCURY_SEVDESK_RATE_LIMIT = 0
    settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL = (
        f"{lexware_emulator.base_url}/webhookSignature/public/public_key.pub"
    )


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
    forget_facts()  # what the client remembers of the double's last test
    yield handle
    handle.reset()


@pytest.fixture
def callback_receiver():
    # Lexware's callbacks: signed in X-Lxo-Signature, probed with a HEAD first.
    receiver = WebhookReceiver(signature_header="X-Lxo-Signature", path="/lexware/events")
    yield receiver
    receiver.stop()
