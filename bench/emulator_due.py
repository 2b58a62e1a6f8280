"""How the Stripe emulator's cost grows with the objects it holds (issue 25, point 4).

    .venv/bin/python bench/emulator_due.py                 # sizes 10 and 2000
    .venv/bin/python bench/emulator_due.py 10 2000 20000   # any sizes, smallest first

For each size N it starts a fresh in-process emulator (`EmulatorServer` on a free port, the
way tests/stripe_emulator_fixtures.py does, rate limit off, no webhook endpoints) and, over
HTTP with the official `stripe` SDK, creates one monthly price and N customers each with a
monthly subscription (every subscription has a paid first invoice, so N customers make about
3N objects plus their events). Then it measures:

- a cheap request: the median of 200 retrievals of one customer over HTTP, and of 200 more
  handed to `Emulator.handle` directly (the emulator's own cost, without the SDK and socket
  noise of a shared machine);
- advancing the clock by 31 days through the control API, which renews every subscription
  (N draft invoices, finalized an hour later, then charged) -- only for sizes up to 2,000
  unless `--advance-all` is given, since that is the figure the issue asks for.

It prints each figure and, for the largest size against the smallest, the ratio of the cheap
request. The emulator used to scan every invoice and subscription on every request and after
every due action; with the due-time index both figures should stay flat in N (the advance
grows with the renewals it runs, not with the objects already stored).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulators.stripe import ControlClient, EmulatorServer

CONFIG = {"rate_limit_enabled": False}
RETRIEVALS = 200
ADVANCE_LIMIT = 2000


def populate(client, n: int) -> str:
    """N customers with a monthly subscription each; returns one customer's id."""
    product = client.v1.products.create({"name": "Managed workstation"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
        }
    )
    first = None
    for i in range(n):
        customer = client.v1.customers.create({"name": f"Customer {i}"})
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
        first = first or customer.id
    return first


def cheap_request(client, customer_id: str) -> float:
    """Median seconds of one customer retrieval."""
    times = []
    for _ in range(RETRIEVALS):
        start = time.perf_counter()
        client.v1.customers.retrieve(customer_id)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(emulator, customer_id: str) -> float:
    """Median seconds the emulator itself spends on one retrieval (no HTTP, no SDK): the
    figure that shows what the store's size costs, on a machine other jobs share."""
    headers = {"authorization": "Bearer sk_test_emulator"}
    times = []
    for _ in range(RETRIEVALS):
        start = time.perf_counter()
        emulator.handle("GET", f"/v1/customers/{customer_id}", headers, b"")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n: int, advance: bool) -> dict:
    server = EmulatorServer(port=0, config=CONFIG)
    server.start()
    try:
        control = ControlClient(server.base_url)
        control.timeout = 3600.0  # before the index, a month over 2,000 took minutes
        client = control.client()
        start = time.perf_counter()
        customer_id = populate(client, n)
        built = time.perf_counter() - start
        objects = sum(len(ids) for ids in server.emulator.store.by_kind.values())
        figures = {"n": n, "objects": objects, "build_s": built}
        figures["request_ms"] = cheap_request(client, customer_id) * 1000
        figures["handle_ms"] = in_process(server.emulator, customer_id) * 1000
        if advance:
            invoices = len(server.emulator.store.by_kind["invoice"])
            start = time.perf_counter()
            control.advance(days=31)
            figures["advance_s"] = time.perf_counter() - start
            figures["renewal_invoices"] = len(server.emulator.store.by_kind["invoice"]) - invoices
        return figures
    finally:
        server.stop()


def main(argv: list[str]) -> None:
    advance_all = "--advance-all" in argv
    sizes = [int(a) for a in argv if not a.startswith("--")] or [10, 2000]
    results = []
    for n in sizes:
        figures = measure(n, advance_all or n <= ADVANCE_LIMIT)
        results.append(figures)
        line = (
            f"N={n:>6}  objects={figures['objects']:>7}  built in {figures['build_s']:7.1f} s  "
            f"retrieve customer {figures['request_ms']:6.2f} ms over HTTP, "
            f"{figures['handle_ms']:6.3f} ms in the emulator"
        )
        if "advance_s" in figures:
            line += (
                f"  advance 31 days {figures['advance_s']:7.2f} s"
                f" ({figures['renewal_invoices']} renewal invoices)"
            )
        print(line, flush=True)
    small, large = results[0], results[-1]
    print(
        f"cheap request ratio N={large['n']} / N={small['n']}: "
        f"{large['request_ms'] / small['request_ms']:.2f}x over HTTP, "
        f"{large['handle_ms'] / small['handle_ms']:.2f}x in the emulator"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
