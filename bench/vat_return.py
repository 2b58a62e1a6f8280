"""The quarter of tests/evidence/test_quarter_end_to_end.py outside pytest, against the Stripe and
VIES emulators: per month and for the quarter, under Soll (agreed) and Ist (received), the UStVA
Kennzahlen (base in whole euros, VAT with cents), the EC Sales List, the reconciliation with
Stripe and the time a report takes, each Kennzahl checked against the test's hand computation.

    .venv/bin/python bench/vat_return.py

Stripe's events reach MSPercury through its own reconciliation
(integrations.webhooks.reconcile: list the events, store and process each as a webhook
would) after each step, instead of signed webhooks to a live server. Exits 1 when a figure
differs from the hand computation.
"""

import sys
import time
from datetime import UTC, datetime, timedelta

from _setup import setup_django

# What evidence reads of Stripe, beside what MSPercury's VAT writes.
READS = ("refunds", "payment_intents", "charges", "credit_notes", "events")
# The test's hand computation (cents): A's 200.00 split by gross over its lines, 42.13 + 8.00 on
# the monthly line and 125.94 + 23.93 on the one-time line.
A_MONTH, A_ONCE = (4213, 800), (12594, 2393)
EXPECTED = {
    "agreed": (
        {"81": (29900 + A_MONTH[0] + 120000, 5681 + A_MONTH[1] + 22800), "45": (80000, None)},
        {"81": (10000 - A_MONTH[0] - 10000, 1900 - A_MONTH[1] - 1900), "21": (5400, None)},
        ([(275681, 275681)], [(-11900, -11900)]),
    ),
    "received": (
        {"81": (A_MONTH[0] + A_ONCE[0] + 120000, A_MONTH[1] + A_ONCE[1] + 22800)},
        {"81": (-10000, -1900), "21": (5400, None)},
        ([(168200, 168200)], [(-11900, -11900)]),
    ),
}
SALES_LIST = ([], [("FR40303265045", "S", 5400)])  # C is performed in M1


def main():
    teardown = setup_django()
    try:
        ok = run()
    finally:
        teardown()
    sys.exit(0 if ok else 1)


def _workspace(stripe):
    from mspercury.models import Role
    from tests import factories

    alpha = factories.german_msp(factories.workspace("Alpha IT"))
    alice = factories.member(alpha, "alice@example.org", "Alice Owner", Role.OWNER)
    permissions = {**factories.VAT_PERMISSIONS, **dict.fromkeys(READS, "read")}
    key = stripe.add_key(permissions=permissions, account=factories.EMULATOR_ACCOUNT)["key"]
    conn = factories.stripe_connection(alpha, key)
    factories.with_mspercury_vat(alpha)
    return alpha, alice, conn


def _events(stripe, conn):
    """What the webhooks deliver in the test: the events since the last look, processed."""
    from integrations.webhooks.reconcile import reconcile

    conn.refresh_from_db()
    reconcile(conn, now=datetime.fromtimestamp(stripe.now(), tz=UTC))


def _bill(ctx, customer, lines):
    """Push a quote of ``lines`` (name, period, price, quantity) and finalize its invoice."""
    from billing.models import StripeInvoice
    from integrations.push.actions import do_start_push
    from integrations.push.executor import execute_push
    from quotes.actions import do_create_quote
    from tests.factories import accept, add_line, service

    alpha, alice, conn, stripe = ctx
    quote = do_create_quote(alpha, customer, user=alice, currency="EUR")
    for name, period, price, quantity in lines:
        add_line(quote, service(alpha, name, period, price, "unit"), quantity)
    accept(quote, alice)
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe.client()
    for found in sk.v1.invoices.list({"limit": 100}).data:
        if found.status == "draft" and found.total > 0:
            sk.v1.invoices.finalize_invoice(found.id)
    _events(stripe, conn)
    return StripeInvoice.objects.get(customer=customer, status__in=["open", "paid"])


def _month_start(moment, zone, ahead=0):
    local = moment.astimezone(zone)
    index = local.year * 12 + local.month - 1 + ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def _quarter(ctx):
    """The test's business facts: bill A–D in M0, pay part of A and all of B and C, then a
    credit note of 119.00 on B refunded one minute into M1. Returns (M0, M1)."""
    from billing.evidence.rules import Period
    from tests.evidence.test_quarter_end_to_end import _customer
    from tests.factories import pay_part_on_stripes_page

    alpha, _alice, conn, stripe = ctx
    now = datetime.fromtimestamp(stripe.now(), tz=UTC)
    if now.astimezone(alpha.zone) - _month_start(now, alpha.zone) < timedelta(minutes=10):
        stripe.advance(600)  # renewals must come after the refund of M1's first minute
    a = _bill(
        ctx,
        _customer(alpha, "Müller GmbH", "DE"),
        [
            ("Managed workplace", "monthly", "100.00", "1"),
            ("Onboarding", "one_time", "299.00", "1"),
        ],
    )
    b = _bill(
        ctx, _customer(alpha, "Schmidt KG", "DE"), [("Backup licence", "yearly", "1200.00", "1")]
    )
    fr = _customer(alpha, "Dupont SARL", "FR", "FR40303265045")
    c = _bill(ctx, fr, [("RMM agent", "monthly", "4.50", "12")])
    d = _bill(
        ctx, _customer(alpha, "Acme Inc.", "US"), [("Remote audit", "one_time", "800.00", "1")]
    )
    assert (a.total, a.tax, b.total, c.total, d.total) == (47481, 7581, 142800, 5400, 80000)
    pay_part_on_stripes_page(a, 20000)
    for paid in (b, c):
        stripe.client().v1.invoices.pay(paid.stripe_id)
    _events(stripe, conn)
    a.refresh_from_db()
    assert (a.payment_status, a.amount_settled) == ("partially_paid", 20000)
    m0_start, m1_start = (_month_start(now, alpha.zone, n) for n in (0, 1))
    stripe.advance(
        (
            m1_start + timedelta(minutes=1) - datetime.fromtimestamp(stripe.now(), tz=UTC)
        ).total_seconds()
    )
    stripe.client().v1.credit_notes.create(
        {"invoice": b.stripe_id, "amount": 11900, "refund_amount": 11900}
    )
    _events(stripe, conn)
    return tuple(Period("month", m.year, m.month) for m in (m0_start, m1_start))


def _verdict(ours, hand, out) -> str:
    out.append(ours == hand)
    return f"by hand {hand}: {'matches' if ours == hand else 'DIFFERS'}"


def _kz(base, tax) -> str:
    if base is None:
        return "none"
    return f"base {base:,} EUR" + ("" if tax is None else f", VAT {tax / 100:,.2f} EUR")


def _show(workspace, period, hand, want_sales, want_rec, out):
    from billing.evidence import report

    started = time.perf_counter()
    built = report.build(workspace, period)
    took = (time.perf_counter() - started) * 1000
    print(f"    {period.code}: {len(built.contributions)} contributions, built in {took:.0f} ms")
    ours = {f.code: (f.base_euros, f.tax) for f in built.fields}
    for code in sorted(ours.keys() | hand.keys()):
        got, want = ours.get(code, (None, None)), hand.get(code, (None, None))
        print(f"      Kz {code}: {_kz(*got)}; {_verdict(_kz(*got), _kz(*want), out)}")
    if want_sales is not None:
        rows = [f"{r.vat_id} {r.kind} {r.net / 100:,.2f}" for r in built.sales_list]
        want = [f"{v} {k} {n / 100:,.2f}" for v, k, n in want_sales]
        print(f"      EC Sales List: {rows}; {_verdict(rows, want, out)}")
    for r in built.reconciliation:
        print(f"      ours {r.evidence} vs Stripe {r.stripe} {r.currency}: {r.difference} cents")
    if want_rec is not None:
        got = [(r.evidence, r.stripe) for r in built.reconciliation]
        print(f"      reconciliation: {_verdict(got, want_rec, out)}")
        n = len(built.unrecorded)
        print(f"      invoices without records: {n}; {_verdict(n, 0, out)}")


def _report(alpha, months, out):
    from billing.evidence.rules import Period
    from mspercury.models import Workspace
    from tests.evidence.test_quarter_end_to_end import _sum_fields as sum_fields

    for method, label in (
        ("agreed", "Soll (agreed amounts)"),
        ("received", "Ist (amounts received)"),
    ):
        Workspace.objects.filter(pk=alpha.pk).update(vat_taxation=method)
        alpha.refresh_from_db()
        first, second, recs = EXPECTED[method]
        print(f"  {label}")
        for month, want, sales, rec in zip(months, (first, second), SALES_LIST, recs, strict=True):
            _show(alpha, month, sum_fields(want), sales, rec, out)
        quarter = Period("quarter", months[0].year, (months[0].number - 1) // 3 + 1)
        inside = [w for m, w in zip(months, (first, second), strict=True) if m.start in quarter]
        print(f"    {quarter.code} holds {len(inside)} of the 2 months")
        _show(alpha, quarter, sum_fields(*inside), None, None, out)


def run() -> bool:
    from django.conf import settings

    from emulators.stripe import ControlClient, EmulatorServer
    from emulators.vies.server import EmulatorServer as ViesServer

    server, vies = EmulatorServer(port=0, config={"rate_limit_enabled": False}), ViesServer(port=0)
    settings.MSPERCURY_STRIPE_API_BASE = server.start()
    settings.MSPERCURY_VIES_URL = vies.start()
    settings.MSPERCURY_PUSH_BACKOFF, settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0.001, 0
    stripe = ControlClient(settings.MSPERCURY_STRIPE_API_BASE)
    try:
        alpha, alice, conn = _workspace(stripe)
        started = time.perf_counter()
        months = _quarter((alpha, alice, conn, stripe))
        print(f"MSPercury's VAT return: the test's quarter (A–D billed in {months[0].code})")
        print(f"  scenario through the emulators: {time.perf_counter() - started:.1f} s")
        out = []
        _report(alpha, months, out)
    finally:
        server.stop()
        vies.stop()
    print(f"  {sum(out)} of {len(out)} figures match the hand computation")
    return all(out)


if __name__ == "__main__":
    main()
