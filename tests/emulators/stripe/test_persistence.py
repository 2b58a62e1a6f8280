"""The optional state file: a restarted emulator finds the objects the app already references."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import stripe

from emulators.stripe import ControlClient, EmulatorServer, StateFileError
from emulators.stripe.__main__ import main
from tests.stripe_emulator_fixtures import TEST_CONFIG

from .helpers import customer_and_product, monthly

ROOT = Path(__file__).resolve().parents[3]


def _server(state_file, **config):
    server = EmulatorServer(port=0, config={**TEST_CONFIG, **config}, state_file=state_file)
    server.start()
    return server, ControlClient(server.base_url)


def test_it_keeps_objects_keys_clock_and_webhooks_across_a_restart(tmp_path, webhook_receiver):
    """Objects created before a stop are retrieved unchanged by a new server on the same state
    file, together with runtime keys, the clock, runtime settings, customers' payment
    behaviour, search and webhook endpoints (deliveries still signed with the old secret,
    queued ones delivered after the restart)."""
    state_file = tmp_path / "demo" / "stripe-emulator.json"
    first, control = _server(state_file)
    try:
        client = control.client()
        endpoint = client.v1.webhook_endpoints.create(
            {"url": webhook_receiver.url, "enabled_events": ["customer.created"]}
        )
        rate = client.v1.tax_rates.create(
            {"display_name": "VAT", "inclusive": False, "percentage": 19}
        )
        customer, product = customer_and_product(client, metadata={"mspercury_customer_id": "c1"})
        tax_id = client.v1.customers.tax_ids.create(
            customer.id, {"type": "eu_vat", "value": "DE123456789"}
        )
        subscription = client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": monthly(product.id, 1000), "quantity": 2}],
                "default_tax_rates": [rate.id],
                "metadata": {"mspercury_quote_number": "Q-1"},
            }
        )
        invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
        key = control.add_key(account="acct_1PersistedAcct", display_name="Second")["key"]
        other = control.client(key).v1.customers.create({"name": "Other account"})
        control.set_payment_behavior(customer.id, "fail")
        control.config(search_index_delay=0)
        control.advance(days=3)
        control.flush_webhooks()
        control.pause_webhooks()
        queued = client.v1.customers.create({"name": "Queued while paused"})
        clock = control.now()
        before = control.state()
    finally:
        first.stop()
    assert not list(state_file.parent.glob("*.tmp"))
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600

    second, control = _server(state_file)
    try:
        client = control.client()
        after = control.state()
        # (Events only differ in pending_webhooks: the queued delivery may be done by now.)
        kinds = set(before["objects"]) - {"event"}
        assert {k: after["objects"][k] for k in kinds} == {k: before["objects"][k] for k in kinds}
        assert [e["id"] for e in after["objects"]["event"]] == [
            e["id"] for e in before["objects"]["event"]
        ]
        assert after["accounts"] == before["accounts"]
        assert after["config"]["search_index_delay"] == 0
        assert 0 <= control.now() - clock <= 5
        assert client.v1.customers.retrieve(customer.id).metadata["mspercury_customer_id"] == "c1"
        assert client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id).value == "DE123456789"
        assert client.v1.products.retrieve(product.id).name == "Service"
        restored = client.v1.subscriptions.retrieve(subscription.id)
        assert restored.metadata["mspercury_quote_number"] == "Q-1"
        assert restored["items"].data[0].quantity == 2
        restored_invoice = client.v1.invoices.retrieve(invoice.id)
        assert (restored_invoice.number, restored_invoice.total) == (invoice.number, 2380)
        assert restored_invoice.lines.data[0].amount == 2000
        assert control.client(key).v1.customers.retrieve(other.id).name == "Other account"
        found = client.v1.customers.search({"query": "metadata['mspercury_customer_id']:'c1'"})
        assert [c.id for c in found.data] == [customer.id]
        late = client.v1.invoices.create({"customer": customer.id, "auto_advance": False})
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": late.id, "amount": 500, "currency": "eur"}
        )
        client.v1.invoices.finalize_invoice(late.id)
        with pytest.raises(stripe.CardError):  # the customer's payments still fail
            client.v1.invoices.pay(late.id)
        fresh = client.v1.customers.create({"name": "After the restart"})
        assert fresh.id not in {c["id"] for c in before["objects"]["customer"]}
        control.flush_webhooks()
        events = [
            stripe.Webhook.construct_event(d["body"], d["signature"], endpoint.secret)
            for d in webhook_receiver.received
        ]
        names = [e.data.object.name for e in events]
        assert names == ["Acme GmbH", "Queued while paused", "After the restart"]
        assert events[1].data.object.id == queued.id
    finally:
        second.stop()


def test_it_saves_soon_after_a_change_while_running(tmp_path):
    """Changes reach the file without a stop (debounced), written atomically (no temporary
    file left behind)."""
    state_file = tmp_path / "state.json"
    server = EmulatorServer(port=0, config=TEST_CONFIG, state_file=state_file, save_interval=0.05)
    server.start()
    try:
        customer = ControlClient(server.base_url).client().v1.customers.create({"name": "Soon"})
        deadline = time.monotonic() + 5
        while not (state_file.exists() and customer.id in state_file.read_text()):
            assert time.monotonic() < deadline, "the state file was not written"
            time.sleep(0.02)
        assert not list(tmp_path.glob("*.tmp"))
        assert json.loads(state_file.read_text())["format"] == "mspercury-stripe-emulator-state"
    finally:
        server.stop()


def test_seeded_ids_do_not_repeat_after_a_restart(tmp_path):
    """With id_seed, the id generator continues where it stopped instead of starting over (a
    restarted demo must not hand out a cus_ id that already exists)."""
    state_file = tmp_path / "state.json"
    first, control = _server(state_file, id_seed=42)
    try:
        old = control.client().v1.customers.create({"name": "First"}).id
    finally:
        first.stop()
    second, control = _server(state_file, id_seed=42)
    try:
        new = control.client().v1.customers.create({"name": "Second"}).id
        assert new != old
        assert [c.id for c in control.client().v1.customers.list().data] == [new, old]
    finally:
        second.stop()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        '{"format": "something else"}',
        '{"format": "mspercury-stripe-emulator-state", "version": 1}',
    ],
)
def test_a_broken_state_file_is_a_clear_error_naming_the_file(tmp_path, content):
    """A state file that can't be loaded stops the start with an error naming the file (from
    EmulatorServer and from `python -m emulators.stripe`) instead of silently starting empty."""
    state_file = tmp_path / "broken-state.json"
    state_file.write_text(content)

    with pytest.raises(StateFileError, match=r"broken-state\.json"):
        EmulatorServer(port=0, state_file=state_file)
    with pytest.raises(SystemExit, match=r"Cannot load the Stripe emulator state from .*broken"):
        main(["--port", "0", "--state-file", str(state_file)])
    assert state_file.read_text() == content


def test_the_command_saves_the_state_when_terminated(tmp_path):
    """`python -m emulators.stripe --state-file F` saves F when stopped with SIGTERM (as
    scripts/demo.sh's exit trap does)."""
    state_file = tmp_path / "stripe-emulator.json"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.stripe",
            "--port",
            str(port),
            "--state-file",
            str(state_file),
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/_emulator/health").close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the emulator did not come up"
                time.sleep(0.1)
        customer = ControlClient(base_url).client().v1.customers.create({"name": "Kept"})
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=10)[0].decode()
        assert process.returncode == 0, output
        assert f"state saved to {state_file}" in output
        assert customer.id in state_file.read_text()
    finally:
        if process.poll() is None:
            process.kill()
