"""Mirror benchmark: how long the mirror takes to read Stripe's largest invoice (250 lines, each
with a tax and a service period) and how many Stripe calls it makes.

The invoice is made in the Stripe emulator; each run re-reads it as an event would
(`sync_invoice`: the retrieve with 10 embedded lines, then pages of 100), with the emulator
answering at once and with added latency per call.

    .venv/bin/python bench/mirror.py [--lines 250] [--latency-ms 50] [--runs 5]
"""

import argparse
import statistics
import time

from _setup import setup_django

PERIOD = {"start": 1_798_761_600, "end": 1_801_440_000}  # January 2027


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=250)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    teardown = setup_django()
    try:
        run(args.lines, args.latency_ms, args.runs)
    finally:
        teardown()


def _connection():
    from tests import factories

    return factories.stripe_connection(factories.german_msp(factories.workspace("Bench IT")))


def _invoice(sk, workspace, lines: int) -> str:
    rate = sk.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    customer = sk.v1.customers.create(
        {
            "name": "Muster GmbH",
            "address": {"country": "DE"},
            "metadata": {"mspercury_workspace": str(workspace.public_id)},
        }
    )
    invoice = sk.v1.invoices.create({"customer": customer.id})
    for n in range(1, lines + 1):
        sk.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": 1000 + n,
                "currency": "eur",
                "description": f"Seat {n}",
                "period": PERIOD,
                "tax_rates": [rate.id],
            }
        )
    sk.v1.invoices.finalize_invoice(invoice.id)
    return invoice.id


def _measure(emulator, connection, invoice_id: str, lines: int, runs: int):
    from integrations.mirror.sync import sync_invoice

    times, calls = [], []
    for _ in range(runs):
        emulator.clear_requests()
        started = time.perf_counter()
        mirror = sync_invoice(connection, invoice_id)
        times.append(time.perf_counter() - started)
        calls.append(len(emulator.requests()))
        assert len(mirror.lines) == lines, len(mirror.lines)
        assert all(line["taxes"] and line["period_end"] for line in mirror.lines)
    return statistics.median(times), max(calls)


def run(lines: int, latency_ms: int, runs: int):
    from django.conf import settings

    from emulators.stripe import ControlClient, EmulatorServer

    server = EmulatorServer(port=0, config={"rate_limit_enabled": False})
    base = server.start()
    settings.MSPERCURY_STRIPE_API_BASE = base
    emulator = ControlClient(base)
    try:
        connection = _connection()
        invoice_id = _invoice(emulator.client(), connection.workspace, lines)
        print(f"Mirror benchmark: one invoice of {lines} lines, median of {runs} runs")
        for latency in (0, latency_ms):
            emulator.clear_faults()
            if latency:
                emulator.fault("latency", path="/v1/*", count=None, latency_ms=latency)
            elapsed, calls = _measure(emulator, connection, invoice_id, lines, runs)
            overhead = elapsed - calls * latency / 1000
            print(
                f"  latency {latency} ms per call: {calls} Stripe calls, {elapsed * 1000:.0f} ms, "
                f"beyond calls × latency {overhead * 1000:.0f} ms"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
