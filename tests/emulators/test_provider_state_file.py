"""The provider doubles keep what they store across restarts with a state file (the demo's
database holds their ids, so a restarted double must still know them)."""

import pytest

from emulators._state import StateFileError
from emulators.lexware.server import EmulatorServer as LexwareServer
from emulators.sevdesk.server import EmulatorServer as SevdeskServer
from tests.emulators.lexware.helpers import create_contact as lexware_contact
from tests.emulators.lexware.helpers import lx
from tests.emulators.sevdesk.helpers import create_contact as sevdesk_contact
from tests.emulators.sevdesk.helpers import sd
from tests.emulators.wire import call


def _started(server_class, path):
    server = server_class(port=0, state_file=str(path))
    server.start()
    return server


def test_lexware_double_keeps_contacts_clock_and_signing_key(tmp_path):
    path = tmp_path / "lexware.state"
    first = _started(LexwareServer, path)
    try:
        contact_id = lexware_contact(first)
        call(first.base_url, "POST", "/_emulator/clock/advance", {"seconds": 86400 * 31}, {})
        key = call(first.base_url, "GET", "/webhookSignature/public/public_key.pub", None, {})
    finally:
        first.stop()
    second = _started(LexwareServer, path)
    try:
        answer = lx(second, "GET", f"/v1/contacts/{contact_id}")
        assert answer.status == 200
        assert answer.json["company"]["name"] == "Kunde GmbH"
        assert second.emulator.clock.offset == pytest.approx(86400 * 31)
        again = call(second.base_url, "GET", "/webhookSignature/public/public_key.pub", None, {})
        assert again.raw == key.raw and b"PUBLIC KEY" in key.raw
    finally:
        second.stop()


def test_sevdesk_double_keeps_contacts_and_its_id_counter(tmp_path):
    path = tmp_path / "sevdesk.state"
    first = _started(SevdeskServer, path)
    try:
        contact_id = sevdesk_contact(first)
    finally:
        first.stop()
    second = _started(SevdeskServer, path)
    try:
        assert sd(second, "GET", f"/Contact/{contact_id}").status == 200
        assert int(sevdesk_contact(second, name="Zweite GmbH")) > int(contact_id)
    finally:
        second.stop()


def test_without_a_file_nothing_is_written_and_a_broken_file_is_named(tmp_path):
    broken = tmp_path / "broken.state"
    broken.write_bytes(b"not a pickle")
    with pytest.raises(StateFileError, match=r"broken\.state"):
        LexwareServer(port=0, state_file=str(broken))
    server = LexwareServer(port=0)
    server.start()
    try:
        lexware_contact(server)
    finally:
        server.stop()
    assert [p.name for p in tmp_path.iterdir()] == ["broken.state"]


def test_one_double_refuses_the_others_file(tmp_path):
    path = tmp_path / "shared.state"
    first = _started(SevdeskServer, path)
    try:
        sevdesk_contact(first)
    finally:
        first.stop()
    with pytest.raises(StateFileError, match="not this double"):
        LexwareServer(port=0, state_file=str(path))
