"""One quarter from Stripe to the VAT return (real HTTP to the Stripe and VIES emulators, signed
webhooks), checked against a hand computation under both methods and reconciled with Stripe to
0 cents. A German MSP (19 %) bills, in month M0 (the emulator's month):

- A  Müller GmbH (DE): monthly "Managed workplace" 100.00 (period M0→M1, performed in M1) and
     one-time "Onboarding" 299.00 (performed at issue, M0); 474.81 with VAT; 200.00 paid in M0.
- B  Schmidt KG (DE): yearly "Backup licence" 1,200.00, 1,428.00 with VAT, paid in full in M0
     (an Anzahlung: the year is performed in 12 months); in M1 a credit note of 119.00 on the
     paid invoice, refunded in M1.
- C  Dupont SARL (FR, valid VIES): monthly "RMM agent" 12 × 4.50 = 54.00, reverse charge,
     performed in M1 (Kz 21 and the EC Sales List), paid in M0.
- D  Acme Inc. (US): one-time "Remote audit" 800.00, export of a service (Kz 45), unpaid.
"""

from datetime import UTC, datetime, timedelta

import pytest

from billing.evidence.models import Supply
from billing.evidence.rules import Period
from billing.models import Payment, StripeInvoice
from customers.models import Customer
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.stripe.client import make_client
from mspercury.models import Workspace
from quotes.actions import do_create_quote
from tests.factories import accept, add_line, pay_part_on_stripes_page, service, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _customer(alpha, name, country, vat_id=""):
    return Customer.objects.create(
        workspace=alpha,
        company_name=name,
        email=f"billing@{name.split()[0].lower()}.example",
        street="Street 1",
        postal_code="10115",
        city="City",
        country=country,
        tax_id_type="eu_vat" if vat_id else "",
        tax_id=vat_id,
        collection_method="send_invoice",
        days_until_due=14,
    )


def _bill(alpha, alice, stripe_api, customer, lines) -> StripeInvoice:
    """Push a quote of ``lines`` (name, period, price, quantity) and finalize its invoice."""
    quote = do_create_quote(alpha, customer, user=alice, currency="EUR")
    for name, period, price, quantity in lines:
        add_line(quote, service(alpha, name, period, price, "unit"), quantity)
    accept(quote, alice)
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    for found in sk.v1.invoices.list({"limit": 100}).data:
        if found.status == "draft" and found.total > 0:
            sk.v1.invoices.finalize_invoice(found.id)
    stripe_api.flush_webhooks()
    return StripeInvoice.objects.get(customer=customer, status__in=["open", "paid"])


def _pay(stripe_api, invoice):
    stripe_api.client().v1.invoices.pay(invoice.stripe_id)
    stripe_api.flush_webhooks()


def _report(client, period: str):
    response = client.get("/billing/vat-report/", {"period": period})
    assert response.status_code == 200
    return response.context["report"]


def _fields(report):
    return {f.code: (f.base_euros, f.tax) for f in report.fields}


def _sum_fields(*parts):
    """Kennzahlen of a quarter from its months' hand computations (bases in cents first)."""
    total = {}
    for part in parts:
        for code, (cents, tax) in part.items():
            net, vat = total.get(code, (0, None))
            total[code] = (net + cents, None if tax is None else (vat or 0) + tax)
    return {c: (n // 100 if n >= 0 else -(-n // 100), t) for c, (n, t) in total.items() if n}


def _local_month_start(moment, zone, months_ahead=0):
    local = moment.astimezone(zone)
    index = local.year * 12 + local.month - 1 + months_ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def test_a_quarter_under_both_methods_matches_the_hand_computation(
    vies_emulator, wired, alpha, alice, stripe_api, client
):
    zone = alpha.zone
    now = datetime.fromtimestamp(stripe_api.now(), tz=UTC)
    if now.astimezone(zone) - _local_month_start(now, zone) < timedelta(minutes=10):
        stripe_api.advance(600)  # renewals must come after the refund of M1's first minute
    a = _bill(
        alpha,
        alice,
        stripe_api,
        _customer(alpha, "Müller GmbH", "DE"),
        [
            ("Managed workplace", "monthly", "100.00", "1"),
            ("Onboarding", "one_time", "299.00", "1"),
        ],
    )
    b = _bill(
        alpha,
        alice,
        stripe_api,
        _customer(alpha, "Schmidt KG", "DE"),
        [("Backup licence", "yearly", "1200.00", "1")],
    )
    fr = _customer(alpha, "Dupont SARL", "FR", "FR40303265045")
    c = _bill(alpha, alice, stripe_api, fr, [("RMM agent", "monthly", "4.50", "12")])
    d = _bill(
        alpha,
        alice,
        stripe_api,
        _customer(alpha, "Acme Inc.", "US"),
        [("Remote audit", "one_time", "800.00", "1")],
    )
    assert (a.total, a.tax, b.total, c.total, d.total) == (47481, 7581, 142800, 5400, 80000)
    # Part payment of A on Stripe's page; B and C paid in full.
    pay_part_on_stripes_page(a, 20000)
    stripe_api.flush_webhooks()
    if not Payment.objects.filter(invoice=a, source="stripe").exists():
        from integrations.mirror.payments import sync_and_collect
        from integrations.models import StripeConnection

        connection = StripeConnection.objects.for_workspace(alpha)
        sync_and_collect(connection, a.stripe_id, make_client(connection.api_key))
    _pay(stripe_api, b)
    _pay(stripe_api, c)
    a.refresh_from_db()
    assert (a.payment_status, a.amount_settled) == ("partially_paid", 20000)

    m0 = Period("month", *_ym(_local_month_start(now, zone)))
    m1_start = _local_month_start(now, zone, 1)
    m1 = Period("month", m1_start.year, m1_start.month)
    # M1, one minute in: a credit note of 119.00 on B, paid, refunded at once.
    stripe_api.advance(
        (
            m1_start + timedelta(minutes=1) - datetime.fromtimestamp(stripe_api.now(), tz=UTC)
        ).total_seconds()
    )
    stripe_api.client().v1.credit_notes.create(
        {"invoice": b.stripe_id, "amount": 11900, "refund_amount": 11900}
    )
    stripe_api.flush_webhooks()

    supplies = {_name(s): s for s in Supply.objects.all()}
    assert supplies["Managed workplace"].performed_on in m1
    assert supplies["RMM agent"].performed_on in m1
    assert supplies["Onboarding"].performed_on == a.issued_on in m0
    assert supplies["Backup licence"].performed_on.year == m0.year + 1 or (
        supplies["Backup licence"].performed_on in Period("year", m0.year + 1)
    )

    # Hand computation. A's 200.00 over its lines by gross (119.00 : 355.81):
    # 200 × 119/474.81 = 50.125… → 50.13 (larger remainder), 200 × 355.81/474.81 = 149.87.
    # 50.13 → net 50.13 × 100/119 = 42.126… → 42.13, VAT 8.00; 149.87 → net × 299/355.81 =
    # 125.941… → 125.94, VAT 23.928… → 23.93.
    a_month_net, a_month_tax = 4213, 800
    a_once_net, a_once_tax = 12594, 2393
    soll_m0 = {
        # Onboarding performed (299.00 + 56.81), the monthly line's Anzahlung (42.13 + 8.00),
        # B's yearly plan received in advance (1,200.00 + 228.00).
        "81": (29900 + a_month_net + 120000, 5681 + a_month_tax + 22800),
        "45": (80000, None),  # D performed (issued), paid or not
    }
    soll_m1 = {
        # A's monthly line performed: the unpaid rest (100.00 − 42.13, 19.00 − 8.00); B's refund.
        "81": (10000 - a_month_net - 10000, 1900 - a_month_tax - 1900),
        "21": (5400, None),  # C performed in M1, whatever the method
    }
    ist_m0 = {"81": (a_month_net + a_once_net + 120000, a_month_tax + a_once_tax + 22800)}
    ist_m1 = {"81": (-10000, -1900), "21": (5400, None)}

    sign_in(client, alice)
    for method, months in (("agreed", (soll_m0, soll_m1)), ("received", (ist_m0, ist_m1))):
        Workspace.objects.filter(pk=alpha.pk).update(vat_taxation=method)
        first, second = (_report(client, m.code) for m in (m0, m1))
        assert _fields(first) == _sum_fields(months[0]), method
        assert _fields(second) == _sum_fields(months[1]), method
        assert first.sales_list == []  # C is performed in M1: by service period
        assert [(r.vat_id, r.kind, r.net) for r in second.sales_list] == [
            ("FR40303265045", "S", 5400)
        ]
        quarter = Period("quarter", m0.year, (m0.number - 1) // 3 + 1)
        in_quarter = [part for m, part in zip((m0, m1), months, strict=True) if m.start in quarter]
        assert _fields(_report(client, quarter.code)) == _sum_fields(*in_quarter), method
        for report in (first, second):
            assert report.reconciled and report.reconciliation, method
            assert report.unrecorded == []
        # The emulator's card is American: the German customers' evidence disagrees (flagged);
        # C's reverse charge is placed by its valid VAT ID whatever the card says (not flagged).
        assert {_name(s) for s in first.flagged} == {
            "Managed workplace",
            "Onboarding",
            "Backup licence",
        }
        in_m1 = {"Backup licence"} | ({"Managed workplace"} if method == "agreed" else set())
        assert {_name(s) for s in second.flagged} == in_m1
        assert supplies["RMM agent"].conflict and not supplies["RMM agent"].flagged
        if method == "agreed":  # Stripe invoiced in M0: 474.81 + 1,428.00 + 54.00 + 800.00
            assert [(r.evidence, r.stripe) for r in first.reconciliation] == [(275681, 275681)]
            assert [(r.evidence, r.stripe) for r in second.reconciliation] == [(-11900, -11900)]
        else:  # collected in M0: 200.00 + 1,428.00 + 54.00; paid back in M1: 119.00
            assert [(r.evidence, r.stripe) for r in first.reconciliation] == [(168200, 168200)]
            assert [(r.evidence, r.stripe) for r in second.reconciliation] == [(-11900, -11900)]


def _ym(moment):
    return moment.year, moment.month


def _name(supply):
    names = ("Managed workplace", "RMM agent", "Onboarding", "Backup licence", "Remote audit")
    return next(n for n in names if n in supply.description)
