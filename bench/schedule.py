"""Billing-schedule benchmark against the Lexware Office double (or sevDesk's with --provider).

1. A simulated year: ``--contracts`` contracts of the mixed quote pushed, then twelve month-start
   runs with the planner's "today" and the double's clock moved a month each time. Reports
   invoices in the double, duplicates (a reference twice), gaps (a contract whose periods are
   not twelve consecutive ones) and whether every invoice's total equals the planner's, which
   equals the quote's, to the cent. The double's rate limit is off here.
2. The month-start run's throughput under Lexware's limit: ``--throughput`` contracts issued
   with the double at 2 requests per second per key and the shared throttle at 2: requests per
   second as a share of the limit, and the 429s seen (0 expected).

    .venv/bin/python bench/schedule.py [--contracts 200] [--throughput 20] [--provider lexware]
"""

import argparse
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
    parser.add_argument("--provider", choices=["lexware", "sevdesk"], default="lexware")
    args = parser.parse_args()
    teardown = setup_django()
    try:
        year(args.contracts, args.provider)
        if args.provider == "lexware" and args.throughput:
            throughput(args.throughput)
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
    from billing.models import Contract
    from integrations.accounting.contracts import do_push_contract
    from tests import factories
    from tests.integrations.accounting.schedule_setup import bill_from, german_quote

    workspace = factories.workspace(name)
    bill_from(workspace, provider)
    contracts = []
    for _ in range(count):
        contract, _created = do_push_contract(german_quote(workspace))
        contracts.append(contract)
    Contract.objects.filter(workspace=workspace).update(starts_on=START)
    return workspace, contracts


def year(count, provider):
    from django.conf import settings

    from billing.models import ContractInvoice
    from billing.schedule import add_months
    from integrations.accounting.issue import period_invoice
    from integrations.accounting.runs import run_workspace
    from tests.integrations.accounting.schedule_setup import invoices_in

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
        held = invoices_in(provider, control)
    finally:
        server.stop()
    field = "remark" if provider == "lexware" else "customerInternalNote"
    refs = Counter((i.get(field) or "").splitlines()[-1] for i in held)
    gaps = 0
    for contract in contracts:
        starts = sorted(
            ContractInvoice.objects.filter(contract=contract, state="issued").values_list(
                "period_start", flat=True
            )
        )
        if starts != [add_months(START, k) for k in range(12)]:
            gaps += 1
    rows = ContractInvoice.objects.select_related("contract", "invoice").filter(state="issued")
    mismatched = sum(1 for row in rows if _cents(period_invoice(row).gross) != row.invoice.total)
    print(
        f"{provider}: {count} contracts × 12 months → {len(held)} invoices in the double "
        f"(expected {12 * count}), duplicates {sum(n - 1 for n in refs.values())}, "
        f"contracts with gaps {gaps}, totals off the planner's {mismatched}; {elapsed:.1f} s"
    )


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


if __name__ == "__main__":
    main()
