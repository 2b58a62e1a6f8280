"""MSPercury's VAT benchmark against the Stripe emulator: the extra Stripe calls a push makes
for tax rates (the first push of a treatment looks for the rate and creates it; later pushes
reuse it without a call), and the cents between the quotes' totals and Stripe's invoices.

    .venv/bin/python bench/vat.py [--quotes 20]
"""

import argparse
from decimal import Decimal

from _setup import setup_django

TREATMENTS = [  # customer country, VAT ID, language
    ("DE", "DE811569869", "de"),
    ("FR", "FR40303265045", "fr"),
    ("FR", "", "fr"),
    ("US", "", "en"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quotes", type=int, default=20, help="pushes per treatment")
    args = parser.parse_args()
    teardown = setup_django()
    try:
        run(args.quotes)
    finally:
        teardown()


def _setup(emulator):
    from tests import factories

    workspace = factories.german_msp(factories.workspace("Bench IT"))
    key = emulator.add_key(
        permissions=factories.VAT_PERMISSIONS, account=factories.EMULATOR_ACCOUNT
    )["key"]
    factories.stripe_connection(workspace, key)
    factories.with_mspercury_vat(workspace)
    return workspace


def _quote(workspace, i, country, vat_id, language):
    from quotes.actions import do_add_line, do_create_quote
    from tests import factories

    customer = factories.customer(
        workspace,
        country,
        company_name=f"Customer {i}",
        email=f"c{i}@example.org",
        tax_id_type="eu_vat" if vat_id else "none",
        tax_id=vat_id,
        language=language,
    )
    quote = do_create_quote(workspace, customer, currency="EUR")
    for n, (period, qty, price) in enumerate(
        [
            ("monthly", "3", "33.33"),
            ("monthly", "1.5", "9.99"),
            ("yearly", "1", "480"),
            ("one_time", "1", "0.05"),
        ]
    ):
        do_add_line(
            quote,
            service=None,
            description=f"Line {n}",
            quantity=Decimal(qty),
            unit="unit",
            unit_price=Decimal(price),
            billing_period=period,
        )
    factories.accept(quote, name="Bench")
    quote.refresh_from_db()
    return quote


def _cents_apart(quote, push, client) -> int:
    from django.utils import timezone

    from quotes.summary import summarize
    from rules.money import to_minor_units

    lines = list(quote.lines.order_by("position", "id"))
    first = summarize(quote, lines, quote.workspace, timezone.localdate()).tax.first_invoice
    ids = [s.extra["latest_invoice"] for s in push.steps.filter(kind="subscription")]
    ids += [s.stripe_id for s in push.steps.filter(kind="invoice")]
    total = sum(client.v1.invoices.retrieve(i).total for i in ids)
    return abs(total - to_minor_units(first.gross, "EUR"))


def run(per_treatment: int):
    from django.conf import settings

    from emulators.stripe import ControlClient, EmulatorServer
    from integrations.push.actions import do_start_push

    server = EmulatorServer(port=0, config={"rate_limit_enabled": False})
    base = server.start()
    settings.MSPERCURY_STRIPE_API_BASE = base
    emulator = ControlClient(base)
    try:
        workspace = _setup(emulator)
        client = emulator.client()
        print("MSPercury's VAT: tax-rate calls per push, cents between quote and Stripe")
        n = 0
        for country, vat_id, language in TREATMENTS:
            calls, apart = [], 0
            for _ in range(per_treatment):
                n += 1
                quote = _quote(workspace, n, country, vat_id, language)
                emulator.clear_requests()
                push, _created = do_start_push(None, quote)
                push.refresh_from_db()
                assert push.status == "succeeded", push.error
                calls.append(sum(1 for r in emulator.requests() if "tax_rates" in r["path"]))
                apart += _cents_apart(quote, push, client)
            print(
                f"  {country} {'with' if vat_id else 'without'} VAT ID: first push "
                f"{calls[0]} tax-rate calls, later pushes {sum(calls[1:])} in "
                f"{len(calls) - 1}; cents apart over {len(calls)} pushes: {apart}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
