"""A voided invoice through the Stripe emulator to the VAT return (real HTTP, signed webhooks):
the void is a correction of the period it happens in (§17 Abs. 1 S. 8 UStG; UStAE 18a.4 for the
EC Sales List), never a change of the period already filed. A German MSP (19 %) issues in month
M0 (the emulator's month), and voids in M1 what is still unpaid:

- A  Müller GmbH (DE): one-time "Onboarding" 299.00, 355.81 with VAT, performed at issue (M0).
- C  Dupont SARL (FR, valid VIES): one-time "Remote setup" 500.00, reverse charge (Kz 21, ZM).
- B  Schmidt KG (DE): one-time "Backup check" 100.00, 119.00 with VAT, paid in M0, not voided.
"""

from datetime import UTC, datetime, timedelta

import pytest

from billing.evidence.rules import Period
from billing.models import StripeInvoice
from mspercury.models import Workspace
from tests.evidence.test_quarter_end_to_end import (
    _bill,
    _customer,
    _fields,
    _local_month_start,
    _pay,
    _report,
)
from tests.factories import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _look(report):
    return (
        _fields(report),
        [(r.vat_id, r.kind, r.net) for r in report.sales_list],
        [(r.evidence, r.stripe) for r in report.reconciliation],
    )


def test_a_void_corrects_its_own_month_and_leaves_the_filed_one_alone(
    vies_emulator, wired, alpha, alice, stripe_api, client
):
    zone = alpha.zone
    now = datetime.fromtimestamp(stripe_api.now(), tz=UTC)
    a = _bill(
        alpha,
        alice,
        stripe_api,
        _customer(alpha, "Müller GmbH", "DE"),
        [("Onboarding", "one_time", "299.00", "1")],
    )
    fr = _customer(alpha, "Dupont SARL", "FR", "FR40303265045")
    c = _bill(alpha, alice, stripe_api, fr, [("Remote setup", "one_time", "500.00", "1")])
    b = _bill(
        alpha,
        alice,
        stripe_api,
        _customer(alpha, "Schmidt KG", "DE"),
        [("Backup check", "one_time", "100.00", "1")],
    )
    assert (a.total, a.tax, c.total, b.total) == (35581, 5681, 50000, 11900)
    _pay(stripe_api, b)
    m0_start = _local_month_start(now, zone)
    m1_start = _local_month_start(now, zone, 1)
    m0 = Period("month", m0_start.year, m0_start.month)
    m1 = Period("month", m1_start.year, m1_start.month)
    sign_in(client, alice)
    before = {}
    for method in ("agreed", "received"):
        Workspace.objects.filter(pk=alpha.pk).update(vat_taxation=method)
        before[method] = _look(_report(client, m0.code))

    # M1, one minute in: A and C are voided, unpaid.
    stripe_api.advance(
        (
            m1_start + timedelta(minutes=1) - datetime.fromtimestamp(stripe_api.now(), tz=UTC)
        ).total_seconds()
    )
    sk = stripe_api.client()
    for invoice in (a, c):
        sk.v1.invoices.void_invoice(invoice.stripe_id)
    stripe_api.flush_webhooks()
    for invoice in (a, c):
        invoice.refresh_from_db()
        voided = sk.v1.invoices.retrieve(invoice.stripe_id).status_transitions.voided_at
        assert invoice.status == StripeInvoice.Status.VOID
        assert invoice.voided_at == datetime.fromtimestamp(voided, tz=UTC)
        assert invoice.voided_at.astimezone(zone).date() in m1

    # Hand computation. M0 as filed: Soll 81 = 299.00 + 100.00 (56.81 + 19.00 VAT), 21 = 500.00
    # (C performed at issue); Ist 81 = B's 100.00 received, 21 = 500.00 (by performance,
    # §18b S. 3). M1: the voids lower what was still owed, all of A and C: 81 -299.00/-56.81
    # under Soll only (Ist: no money moved), 21 and the ZM -500.00 under both.
    soll_m0 = {"81": (399, 7581), "21": (500, None)}
    ist_m0 = {"81": (100, 1900), "21": (500, None)}
    soll_m1 = {"81": (-299, -5681), "21": (-500, None)}
    ist_m1 = {"21": (-500, None)}
    issued = 35581 + 50000 + 11900  # what Stripe invoiced in M0
    for method, (first, second) in (
        ("agreed", (soll_m0, soll_m1)),
        ("received", (ist_m0, ist_m1)),
    ):
        Workspace.objects.filter(pk=alpha.pk).update(vat_taxation=method)
        then, later = _report(client, m0.code), _report(client, m1.code)
        assert _look(then) == before[method], method  # the filed month is not reopened
        assert _fields(then) == first, method
        assert _fields(later) == second, method
        assert [(r.vat_id, r.kind, r.net) for r in then.sales_list] == [
            ("FR40303265045", "S", 50000)
        ]
        assert [(r.vat_id, r.kind, r.net) for r in later.sales_list] == [
            ("FR40303265045", "S", -50000)
        ]
        for report in (then, later):
            assert report.reconciled, method
            assert all(r.difference == 0 for r in report.reconciliation)
            assert report.unrecorded == []
        if method == "agreed":  # Stripe invoiced 975.81 in M0 and voided 855.81 in M1
            assert [(r.evidence, r.stripe) for r in then.reconciliation] == [(issued, issued)]
            assert [(r.evidence, r.stripe) for r in later.reconciliation] == [(-85581, -85581)]
        else:  # collected B's 119.00 in M0, nothing in M1
            assert [(r.evidence, r.stripe) for r in then.reconciliation] == [(11900, 11900)]
            assert [(r.evidence, r.stripe) for r in later.reconciliation] in ([], [(0, 0)])
    quarter = Period("quarter", m0.year, (m0.number - 1) // 3 + 1)
    if m1.start in quarter:  # issued and voided in one quarter: only B remains
        Workspace.objects.filter(pk=alpha.pk).update(vat_taxation="agreed")
        assert _fields(_report(client, quarter.code)) == {"81": (100, 1900)}
