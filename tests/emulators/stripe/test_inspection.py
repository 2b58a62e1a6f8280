"""Inspection (state dump, received requests), reset, shapes, and the ways to start it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import stripe
from stripe._customer import Customer
from stripe._invoice import Invoice
from stripe._invoice_item import InvoiceItem
from stripe._invoice_line_item import InvoiceLineItem
from stripe._price import Price
from stripe._product import Product
from stripe._subscription import Subscription
from stripe._subscription_item import SubscriptionItem
from stripe._tax_id import TaxId
from stripe._tax_rate import TaxRate
from stripe._webhook_endpoint import WebhookEndpoint
from stripe.checkout._session import Session

from emulators.stripe import ControlClient, EmulatorServer

from .helpers import customer_and_product, monthly, one_time

ROOT = Path(__file__).resolve().parents[3]


def _fields(cls) -> set:
    names = set()
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
    return names


def test_it_dumps_state_lists_requests_and_resets(stripe_emulator):
    """The state dump shows objects by kind; received requests carry method, path, params,
    masked key and status; reset forgets objects, requests and runtime keys."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Dumped", "metadata": {"k": "v"}})
    stripe_emulator.add_key(key="sk_test_extra_key_123")
    state = stripe_emulator.state()
    assert [c["id"] for c in state["objects"]["customer"]] == [customer.id]
    assert "sk_test_emulator" not in json.dumps(state)
    [request] = stripe_emulator.requests(method="POST", path="/v1/customers")
    assert request["params"] == {"name": "Dumped", "metadata": {"k": "v"}}
    assert request["status"] == 200
    assert request["key"].startswith("sk_test_") and "emulator" not in request["key"]
    assert request["stripe_version"] == stripe.api_version
    stripe_emulator.reset()
    assert stripe_emulator.state()["objects"] == {}
    assert stripe_emulator.requests() == []
    try:
        stripe_emulator.client("sk_test_extra_key_123").v1.customers.list()
    except stripe.AuthenticationError:
        pass
    else:
        raise AssertionError("runtime keys must not survive a reset")


def test_rendered_objects_only_use_fields_of_the_pinned_sdk(stripe_emulator, webhook_receiver):
    """Every field the emulator returns exists on the SDK class of the pinned API version
    (so no removed fields like invoice.subscription sneak in)."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    rate = client.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    tax_id = client.v1.customers.tax_ids.create(
        customer.id, {"type": "eu_vat", "value": "DE123456789"}
    )
    price = client.v1.prices.create(monthly(product.id, 100))
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id, "tax_rates": [rate.id]}],
            "add_invoice_items": [{"price_data": one_time(product.id, 50)}],
        }
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    item = client.v1.invoice_items.list({"customer": customer.id}).data[0]
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {"price": client.v1.prices.create(one_time(product.id, 5)).id, "quantity": 1}
            ],
        }
    )
    endpoint = client.v1.webhook_endpoints.create(
        {"url": webhook_receiver.url, "enabled_events": ["*"]}
    )
    checks = [
        (customer, Customer),
        (product, Product),
        (price, Price),
        (rate, TaxRate),
        (tax_id, TaxId),
        (subscription, Subscription),
        (subscription["items"].data[0], SubscriptionItem),
        (invoice, Invoice),
        (invoice.lines.data[0], InvoiceLineItem),
        (item, InvoiceItem),
        (session, Session),
        (endpoint, WebhookEndpoint),
    ]
    for obj, cls in checks:
        extra = set(obj.to_dict()) - _fields(cls) - {"object", "id"}
        assert not extra, f"{cls.__name__} has fields the pinned SDK doesn't know: {extra}"


def test_the_server_runs_in_a_thread_and_stops():
    """EmulatorServer(port=0).start() serves on a free port and stop() frees it."""
    server = EmulatorServer(port=0)
    base_url = server.start()
    try:
        assert ControlClient(base_url).client().v1.customers.list().data == []
    finally:
        server.stop()
    try:
        urllib.request.urlopen(base_url + "/_emulator/health", timeout=1)
    except OSError:
        pass
    else:
        raise AssertionError("the server still answers after stop()")


def test_python_m_emulators_stripe_serves_in_the_foreground():
    """`python -m emulators.stripe --port N` serves until interrupted with Ctrl-C (SIGINT)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.stripe", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health") as answer:
                    assert json.loads(answer.read())["ok"] is True
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the emulator did not come up"
                time.sleep(0.1)
        client = ControlClient(f"http://127.0.0.1:{port}").client()
        assert client.v1.accounts.retrieve_current().object == "account"
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()  # a loaded machine is slow
        assert f"listening on http://127.0.0.1:{port}" in output
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_ids_are_fresh_after_a_reset_unless_seeded():
    """Ids never repeat across resets by default (a restarted demo must not reuse a cus_ id);
    with id_seed they are reproducible."""

    def first_id(server):
        return server_client(server).v1.customers.create({"name": "x"}).id

    def server_client(server):
        return ControlClient(server.base_url).client()

    random_server = EmulatorServer(port=0)
    seeded_server = EmulatorServer(port=0, config={"id_seed": 42})
    random_server.start()
    seeded_server.start()
    try:
        before = first_id(random_server)
        random_server.reset()
        assert first_id(random_server) != before
        seeded = first_id(seeded_server)
        seeded_server.reset()
        assert first_id(seeded_server) == seeded
    finally:
        random_server.stop()
        seeded_server.stop()


def test_requests_carry_a_precise_receive_time_and_ids_list_by_kind(stripe_emulator):
    """Benchmarks measure request rates from `received`; `object_ids` counts what a run made."""
    client = stripe_emulator.client()
    stripe_emulator.clear_requests()
    before = time.time()
    first = client.v1.customers.create({"name": "One"})
    second = client.v1.customers.create({"name": "Two"})
    received = [r["received"] for r in stripe_emulator.requests(path="/v1/customers")]
    assert len(received) == 2 and before - 1 <= received[0] <= received[1] <= time.time() + 1
    assert isinstance(received[0], float)
    assert stripe_emulator.object_ids()["customer"] == {first.id, second.id}
