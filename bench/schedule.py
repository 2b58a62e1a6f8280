"""Billing-schedule benchmark against the Lexware Office double (or sevDesk's with --provider).

1. A simulated year: ``--contracts`` contracts of the mixed quote pushed, then twelve month-start
   runs with the planner's "today" and the double's clock moved a month each time. Reports
   invoices in the double, duplicates (a reference twice), gaps (a contract whose periods are
   not twelve consecutive ones), whether every invoice's total equals the planner's, which
   equals the quote's, to the cent, and the requests per invoice the double saw. The double's
   rate limit is off here.
   Each invoice's total is also checked against the quote's accepted totals (first invoice,
   then monthly), not only the planner's.
2. The month-start run's throughput under Lexware's limit: ``--throughput`` contracts issued
   with the double at 2 requests per second per key and the shared throttle at 2: requests per
   second as a share of the limit, and the 429s seen (0 expected).
3. The fault matrix of ``tests/integrations/accounting/test_billing_schedule.py`` over HTTP
   against both doubles (the same helpers): each fault (error, timeout_after_write,
   drop_after_write, rate_limit) once at each create and read the issuing makes, then the push
   and two periods' runs; a table of whether the fault fired, invoices per period in the
   double (1 expected each), duplicates, gaps and totals equal to the quote's to the cent.

    .venv/bin/python bench/schedule.py [--part year|throughput|faults|all] [--contracts 200]
        [--throughput 20] [--provider lexware|sevdesk|both]
"""

import argparse
import logging
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from _setup import setup_django

START = date(2027, 1, 31)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--throughput", type=int, default=20)
    parser.add_argument("--provider", choices=["lexware", "sevdesk", "both"], default="both")
    parser.add_argument("--part", choices=["year", "throughput", "faults", "all"], default="all")
    args = parser.parse_args()
    providers = ["lexware", "sevdesk"] if args.provider == "both" else [args.provider]
    teardown = setup_django()
    # Eager Celery tasks (quote PDFs, invoice emails) log each success; the tables are the output.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    try:
        if args.part in ("year", "all"):
            for provider in providers:
                year(args.contracts, provider)
        if args.part in ("throughput", "all") and "lexware" in providers and args.throughput:
            throughput(args.throughput)
        if args.part in ("faults", "all"):
            faults(providers)
    finally:
        teardown()


def _double(provider, rate_limit=0):
    from django.conf import settings

    from emulators import lexware, sevdesk

    module = lexware if provider == "lexware" else sevdesk
    server = module.EmulatorServer(
        port=0, config={"rate_limit": rate_limit, "request_log_size": 200000}
    )
    server.start()
    control = module.ControlClient(server.base_url)
    if provider == "lexware":
        settings.MSPERCURY_LEXWARE_API_URL = server.base_url
    else:
        settings.MSPERCURY_SEVDESK_API_URL = control.api_url
    return server, control


def _contracts(name, provider, count):
    """``count`` contracts of ``german_quote`` pushed for a new workspace: (workspace, pairs of
    contract and quote)."""
    from billing.models import Contract
    from integrations.accounting.contracts import do_push_contract
    from tests import factories
    from tests.integrations.accounting.schedule_setup import bill_from, german_quote

    workspace = factories.workspace(name)
    bill_from(workspace, provider)
    contracts = []
    for _ in range(count):
        quote = german_quote(workspace)
        contract, _created = do_push_contract(quote)
        contracts.append((contract, quote))
    Contract.objects.filter(workspace=workspace).update(starts_on=START)
    return workspace, contracts


def year(count, provider):
    from django.conf import settings

    from billing.models import ContractInvoice
    from billing.schedule import add_months
    from integrations.accounting.issue import period_invoice
    from integrations.accounting.runs import run_workspace
    from tests.integrations.accounting.schedule_setup import invoices_in, reference_of

    settings.MSPERCURY_LEXWARE_RATE_LIMIT = settings.MSPERCURY_SEVDESK_RATE_LIMIT = 0
    server, control = _double(provider)
    try:
        workspace, contracts = _contracts("Year IT", provider, count)
        began = time.monotonic()
        for month in range(12):
            if month:
                control.advance(0, days=31)
            run_workspace(workspace, add_months(START, month))
        elapsed = time.monotonic() - began
        requests = len(control.requests())
        held = invoices_in(provider, control)
    finally:
        server.stop()
    refs = Counter(reference_of(provider, i) for i in held)
    gaps = sum(1 for contract, _quote in contracts if not _twelve_periods(contract))
    rows = ContractInvoice.objects.select_related("contract", "invoice").filter(state="issued")
    mismatched = sum(1 for row in rows if _cents(period_invoice(row).gross) != row.invoice.total)
    off_quote = _off_the_quote(provider, held, contracts)
    print(
        f"{provider}: {count} contracts × 12 months → {len(held)} invoices in the double "
        f"(expected {12 * count}), duplicates {sum(n - 1 for n in refs.values())}, "
        f"contracts with gaps {gaps}, totals off the planner's {mismatched}, "
        f"totals off the quote's {off_quote}; {requests / max(len(held), 1):.2f} requests per "
        f"invoice (the push's included); {elapsed:.1f} s"
    )


def _twelve_periods(contract) -> bool:
    from billing.models import ContractInvoice
    from billing.schedule import add_months

    starts = sorted(
        ContractInvoice.objects.filter(contract=contract, state="issued").values_list(
            "period_start", flat=True
        )
    )
    return starts == [add_months(START, k) for k in range(12)]


def _off_the_quote(provider, held, contracts) -> int:
    """Invoices in the double whose gross is not the quote's accepted total for that period
    (the first invoice's, then the monthly one), or that no contract's period names."""
    from billing.schedule import add_months
    from tests.integrations.accounting.schedule_setup import expected_gross, gross, reference_of

    wanted = {}
    for contract, quote in contracts:
        for k in range(12):
            ref = f"MSP-{contract.public_id.hex[:12]}-{add_months(START, k):%Y%m%d}"
            wanted[ref] = expected_gross(quote, k)
    return sum(1 for i in held if wanted.get(reference_of(provider, i)) != gross(provider, i))


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


def throughput(count):
    from django.conf import settings

    from integrations.accounting.runs import run_workspace

    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 2
    server, control = _double("lexware", rate_limit=2)
    try:
        workspace, _contracts_made = _contracts("Throughput IT", "lexware", count)
        control.clear_requests()
        began = time.monotonic()
        run = run_workspace(workspace, START + timedelta(days=0))
        elapsed = time.monotonic() - began
        log = control.requests()
    finally:
        server.stop()
    limited = sum(1 for r in log if r.get("outcome") == "rate_limited")
    rate = len(log) / elapsed
    print(
        f"month-start run: {run.done}/{run.total} invoices, {len(log)} requests in {elapsed:.1f} s "
        f"= {rate:.2f} req/s ({rate / 2:.0%} of Lexware's 2 req/s), 429 answers {limited}"
    )


def faults(providers):
    """The fault matrix, one fresh workspace and a reset double per case."""
    from django.conf import settings

    from tests.integrations.accounting.schedule_setup import MATRIX

    settings.MSPERCURY_LEXWARE_RATE_LIMIT = settings.MSPERCURY_SEVDESK_RATE_LIMIT = 0
    doubles = {provider: _double(provider) for provider in providers}
    head = "fired  per period  dup  gaps  totals  contacts"
    print(f"{'provider':<8} {'place':<15} {'fault':<20} {head}")
    failed = 0
    try:
        for number, (provider, kind, where) in enumerate(MATRIX):
            if provider in doubles:
                failed += _fault_case(number, doubles[provider], provider, kind, where)
    finally:
        for server, _control in doubles.values():
            server.stop()
    print(f"fault cases off exactly-once: {failed}")


def _fault_case(number, double, provider, kind, where) -> int:
    from django.conf import settings

    from tests import factories
    from tests.integrations.accounting.schedule_setup import (
        bill_from,
        german_quote,
        issue_through_fault,
        outcome,
    )

    server, control = double
    control.reset()
    if provider == "lexware":
        settings.MSPERCURY_LEXWARE_API_URL = server.base_url
    else:
        settings.MSPERCURY_SEVDESK_API_URL = control.api_url
    workspace = factories.workspace(f"Faults {number} IT")
    bill_from(workspace, provider)
    quote = german_quote(workspace)
    contract = issue_through_fault(quote, control, provider, kind, where)
    found = outcome(quote, contract, control, provider)
    print(
        f"{provider:<8} {where:<15} {kind:<20} {'yes' if found.fired else 'NO':<6} "
        f"{'/'.join(map(str, found.per_period)):<11} {found.duplicates:<4} {found.gaps:<5} "
        f"{'equal' if found.totals_equal else 'OFF':<7} {found.contacts}"
    )
    exact = found.fired and found.per_period == [1, 1] and found.totals_equal
    exact = exact and found.contacts == 1
    return 0 if exact and not found.duplicates else 1


if __name__ == "__main__":
    main()
