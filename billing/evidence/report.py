"""The VAT report of a period, read from the evidence records only (DESIGN.md): supplies dated
in the period count in full, refunds and credit notes dated in it count negative (§17 UStG:
the correction belongs to the period it happens in). Every total is reconciled against the
Stripe invoices and payments it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from billing.evidence import rules
from billing.evidence.models import Reduction, Supply
from billing.evidence.services import BOOKS_TZ
from billing.models import Ownership, PaymentStatus, StripeInvoice
from billing.tax import TaxTreatment

# Treatments whose VAT the MSP owes at home (its own rate on the invoice).
OUTPUT_VAT = frozenset({TaxTreatment.DOMESTIC, TaxTreatment.EU_NO_VAT_ID})
# What goes into the EC Sales List, with BZSt's kind of supply.
SALES_LIST_KINDS = {TaxTreatment.REVERSE_CHARGE: "S", TaxTreatment.INTRA_EU_GOODS: "L"}


@dataclass(frozen=True)
class Reconciliation:
    currency: str
    evidence: int  # what the records add up to (gross, minor units)
    stripe: int  # what the Stripe invoices (or payments) they came from add up to

    @property
    def difference(self) -> int:
        return self.evidence - self.stripe


@dataclass
class Report:
    period: rules.Period
    totals: list[rules.Total] = field(default_factory=list)
    sales_list: list[rules.SalesListRow] = field(default_factory=list)
    flagged: list[Supply] = field(default_factory=list)
    invoices: list[Reconciliation] = field(default_factory=list)
    corrections: list[Reconciliation] = field(default_factory=list)
    unrecorded: list[StripeInvoice] = field(default_factory=list)
    supplies: list[Supply] = field(default_factory=list)  # dated in the period
    reductions: list[Reduction] = field(default_factory=list)  # dated in it, counting

    @property
    def output_vat(self) -> list[rules.Total]:
        return [t for t in self.totals if t.treatment in OUTPUT_VAT]

    @property
    def exports(self) -> list[rules.Total]:
        return [t for t in self.totals if t.treatment == TaxTreatment.EXPORT]

    @property
    def reconciled(self) -> bool:
        return all(r.difference == 0 for r in self.invoices + self.corrections)


def _row(supply: Supply, sign: int, net: int, tax: int) -> rules.Row:
    return rules.Row(
        treatment=supply.treatment,
        country=supply.place_of_supply,
        rate=format(supply.rate.normalize(), "f"),
        currency=supply.currency,
        net=sign * net,
        tax=sign * tax,
        vat_id=supply.customer_vat_id,
        customer=supply.customer.company_name if supply.customer else "",
    )


def _by_currency(pairs) -> dict[str, int]:
    sums: dict[str, int] = {}
    for currency, amount in pairs:
        sums[currency] = sums.get(currency, 0) + amount
    return sums


def _reconcile(ours: dict[str, int], theirs: dict[str, int]) -> list[Reconciliation]:
    currencies = sorted(set(ours) | set(theirs))
    return [Reconciliation(c, ours.get(c, 0), theirs.get(c, 0)) for c in currencies]


def _invoice_totals(supplies: list[Supply]) -> dict[str, int]:
    ids = {s.invoice_id for s in supplies}
    rows = StripeInvoice.objects.filter(pk__in=ids).values_list("currency", "total")
    return _by_currency((c.upper(), t) for c, t in rows)


def _payment_totals(reductions: list[Reduction]) -> dict[str, int]:
    payments = {r.payment_id: r.payment for r in reductions}
    return _by_currency((p.currency.upper(), -p.amount) for p in payments.values())


def bounds(period: rules.Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time.min, BOOKS_TZ),
        datetime.combine(period.end, time.min, BOOKS_TZ),
    )


def build(workspace, period: rules.Period) -> Report:
    supplies = list(
        Supply.objects.filter(
            workspace=workspace, supplied_on__gte=period.start, supplied_on__lt=period.end
        ).select_related("customer", "invoice", "vat_validation", "evidence")
    )
    reductions = list(
        Reduction.objects.filter(
            workspace=workspace,
            reduced_on__gte=period.start,
            reduced_on__lt=period.end,
            superseded=False,
            payment__voided_at__isnull=True,  # a voided credit note lowers nothing
        ).select_related(
            "supply__customer",
            "supply__invoice",
            "supply__vat_validation",
            "supply__evidence",
            "payment",
        )
    )
    dated = [(s.supplied_on, _row(s, 1, s.net, s.tax)) for s in supplies]
    dated += [(r.reduced_on, _row(r.supply, -1, r.net, r.tax)) for r in reductions]
    start, end = bounds(period)
    unrecorded = StripeInvoice.objects.filter(
        workspace=workspace,
        ownership=Ownership.OURS,
        payment_status=PaymentStatus.PAID,
        created__gte=start,
        created__lt=end,
        supplies__isnull=True,
    )
    return Report(
        period=period,
        totals=rules.aggregate(row for _day, row in dated),
        sales_list=rules.ec_sales_list(dated, SALES_LIST_KINDS),
        flagged=[s for s in supplies if s.flagged],
        invoices=_reconcile(
            _by_currency((s.currency, s.gross) for s in supplies), _invoice_totals(supplies)
        ),
        corrections=_reconcile(
            _by_currency((r.supply.currency, r.net + r.tax) for r in reductions),
            _payment_totals(reductions),
        ),
        unrecorded=list(unrecorded.only("public_id", "number", "stripe_id", "total", "currency")),
        supplies=supplies,
        reductions=reductions,
    )
