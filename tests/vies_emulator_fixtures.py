"""Pytest fixtures for the VIES emulator.

- `vies_emulator`: the emulator (one server per test run, on a free port), reset before each
  test, with MSPERCURY_VIES_URL pointing at it for the test. It is a `ControlClient` plus
  `base_url`, `server` and `emulator` (the in-process object).
- Every other test gets MSPERCURY_VIES_URL pointing at a closed local port, so nothing in the
  suite ever reaches the real VIES: a check there comes back unconfirmed (NETWORK_ERROR) at once.
"""

from __future__ import annotations

import pytest

from emulators.vies import ControlClient, EmulatorServer

# Port 9 (discard) on the loopback: nothing listens, connections are refused at once.
OFFLINE_VIES_URL = "http://127.0.0.1:9"


class ViesEmulatorHandle(ControlClient):
    def __init__(self, server: EmulatorServer):
        super().__init__(server.base_url)
        self.server = server
        self.emulator = server.emulator


@pytest.fixture(scope="session")
def _vies_emulator_server():
    server = EmulatorServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _vies_offline(settings):
    settings.MSPERCURY_VIES_URL = OFFLINE_VIES_URL
    settings.MSPERCURY_VIES_TIMEOUT = 2


@pytest.fixture
def vies_emulator(_vies_emulator_server, _vies_offline, settings):
    handle = ViesEmulatorHandle(_vies_emulator_server)
    handle.reset()
    settings.MSPERCURY_VIES_URL = handle.base_url
    yield handle
    handle.reset()
