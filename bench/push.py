"""Push benchmark against the Stripe emulator with added latency per call.

Reports Stripe calls per push (first push for a customer, and a repeat customer), the overhead per
push beyond calls × latency, and a bulk run of many quotes under test mode's rate limit (25
requests per second), counting 429 answers.

    .venv/bin/python bench/push.py [--latency-ms 50] [--bulk 200]
"""

import argparse
import time
from decimal import Decimal

from _setup import setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--bulk", type=int, default=200)
    args = parser.parse_args()
    teardown = setup_django()
    try:
        run(args.latency_ms, args.bulk)
    finally:
        teardown()


def _fixtures():
    from customers.models import Customer
    from integrations.models import StripeConnection
    from mspercury.models import Workspace
    from quotes.models import Service

    workspace = Workspace.objects.create(
        name="Bench IT", country="DE", tax_id_type="eu_vat", tax_id="DE136695976"
    )
    conn = StripeConnection(
        workspace=workspace,
        key_prefix="rk_test_",
        key_last4="ator",
        key_kind="restricted",
        mode="test",
    )
    conn.api_key = "rk_test_emulator"
    conn.save()
    services = [
        Service.objects.create(
            workspace=workspace, name=name, billing_period=period, unit_price=Decimal(price)
        )
        for name, period, price in (
            ("RMM agent", "monthly", "4.50"),
            ("EDR seat", "monthly", "6.90"),
            ("Backup seat", "monthly", "9.00"),
            ("M365 support", "monthly", "3.20"),
            ("Patch management", "monthly", "2.10"),
            ("Monitoring", "monthly", "19.00"),
            ("Backup licence", "yearly", "480.00"),
            ("Onboarding", "one_time", "299.00"),
            ("On-site work", "one_time", "95.00"),
        )
    ]

    def customer(i):
        return Customer.objects.create(
            workspace=workspace,
            company_name=f"Customer {i} SARL",
            email=f"c{i}@example.org",
            country="FR",
            tax_id_type="eu_vat",
            tax_id="FR40303265045",
            city="Paris",
            postal_code="75002",
            street="1 rue de la Paix",
        )

    return workspace, services, customer


def _accepted_quote(workspace, services, customer):
    from quotes.actions import do_add_line, do_create_quote
    from quotes.models import QuoteAcceptance
    from quotes.sharing import do_accept_quote

    quote = do_create_quote(workspace, customer, currency="EUR")
    for svc in services:
        qty = Decimal("1.5") if svc.name == "On-site work" else Decimal("3")
        do_add_line(
            quote,
            service=svc,
            description=svc.name,
            quantity=qty,
            unit="unit",
            unit_price=svc.unit_price,
            billing_period=svc.billing_period,
        )
    quote.refresh_from_db()
    do_accept_quote(
        quote, via=QuoteAcceptance.Via.MANUAL, name="Bench", revision=quote.revision, sha256=None
    )
    quote.refresh_from_db()
    return quote


def _push(quote):
    from integrations.push.actions import do_start_push
    from integrations.push.executor import execute_push

    started = time.perf_counter()
    push, _ = do_start_push(None, quote)  # with in-process Celery this already runs the push
    result = execute_push(push.pk)
    elapsed = time.perf_counter() - started
    assert result == "succeeded", push.error
    return elapsed


def run(latency_ms: int, bulk: int):
    from django.conf import settings

    from integrations.stripe.emulator import ControlClient, EmulatorServer

    server = EmulatorServer(port=0, config={"rate_limit_enabled": False})
    base = server.start()
    settings.MSPERCURY_STRIPE_API_BASE = base
    emulator = ControlClient(base)
    try:
        workspace, services, new_customer = _fixtures()
        emulator.fault("latency", path="/v1/*", count=None, latency_ms=latency_ms)
        print(f"Push benchmark: emulator latency {latency_ms} ms per call")
        for label, customer in (("first push (new customer)", new_customer(0)),):
            quote = _accepted_quote(workspace, services, customer)
            emulator.clear_requests()
            elapsed = _push(quote)
            calls = len(emulator.requests())
            overhead = elapsed - calls * latency_ms / 1000
            print(
                f"  {label}: {calls} Stripe calls, {elapsed:.2f} s, "
                f"overhead beyond calls × latency {overhead * 1000:.0f} ms"
            )
            repeat = _accepted_quote(workspace, services, customer)
            emulator.clear_requests()
            elapsed = _push(repeat)
            calls = len(emulator.requests())
            overhead = elapsed - calls * latency_ms / 1000
            print(
                f"  repeat customer: {calls} Stripe calls, {elapsed:.2f} s, "
                f"overhead beyond calls × latency {overhead * 1000:.0f} ms"
            )

        emulator.clear_faults()
        if not bulk:
            return
        emulator.config(rate_limit_enabled=True, rate_limit_test=25)
        emulator.clear_requests()
        quotes = [_accepted_quote(workspace, services, new_customer(i + 1)) for i in range(bulk)]
        started = time.perf_counter()
        for quote in quotes:
            _push(quote)
        elapsed = time.perf_counter() - started
        requests = emulator.requests()
        limited = sum(1 for r in requests if r.get("status") == 429)
        print(
            f"  bulk: {bulk} quotes (new customers) in {elapsed:.1f} s, {len(requests)} calls "
            f"({len(requests) / elapsed:.1f}/s), 429 answers: {limited}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
