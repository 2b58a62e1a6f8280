"""Quote arithmetic over plain data: line amounts, period totals, first invoice, MRR, margins,
the tax lines, package expansion and the quote number format.

Pure: no ORM, no settings, no clock. Views and actions convert models to the dataclasses below.

Money follows THE rounding rule of ``rules/money.py``:
- a line's net amount is rounded once (half up, to the currency's minor unit);
- every period total is the sum of the rounded line amounts it covers, so a displayed total
  equals the sum of the displayed lines to the cent;
- "first invoice" = one-time + monthly + yearly (the first invoice carries the setup fees and the
  first period of each subscription), i.e. the sum of three displayed totals;
- tax is computed per line on its rounded net amount and rounded half up, as Stripe's tax rates
  do, and a total's tax is the sum of its lines' taxes; so the quote's totals equal every
  Stripe invoice's totals to the cent however the push groups lines into invoices; and
  gross = net + tax, both as displayed.

MRR of a quote = monthly + yearly / 12. It is kept as an unrounded Decimal (computed as
(12 × monthly + yearly) / 12, one division) so that sums of MRR over many quotes stay exact;
it is rounded half up to the minor unit only for display, at the very end (``mrr_display``).
Margin = net − cost × quantity per line; cost is rounded like a net amount. Totals of margin
cover only lines that have a cost price (``costed_net`` is the net those lines add up to).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rules.money import line_net, round_money, tax_amount
from rules.tax import TaxDecision

# The values of quotes.models.BillingPeriod and QuantityRule (kept here so this module stays
# free of Django; a test checks they match).
ONE_TIME = "one_time"
MONTHLY = "monthly"
YEARLY = "yearly"
PERIODS = (ONE_TIME, MONTHLY, YEARLY)

FIXED = "fixed"
PER_WORKSTATION = "per_workstation"
PER_SERVER = "per_server"
PER_USER = "per_user"
RULES = (FIXED, PER_WORKSTATION, PER_SERVER, PER_USER)

ZERO = Decimal("0")
QUANTITY_QUANTUM = Decimal("0.01")
PERCENT_QUANTUM = Decimal("0.1")


def quote_number(year: int, sequence: int) -> str:
    """The human number of a quote: Q-<year>-<NNNN> (more digits once past 9999)."""
    return f"Q-{year}-{sequence:04d}"


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    billing_period: str
    discount_percent: Decimal | None = None
    cost_price: Decimal | None = None


@dataclass(frozen=True)
class LineAmounts:
    billing_period: str
    net: Decimal
    cost: Decimal | None  # cost price × quantity, rounded; None without a cost price
    margin: Decimal | None


@dataclass(frozen=True)
class PeriodTotals:
    net: Decimal
    costed_net: Decimal = ZERO
    cost: Decimal = ZERO

    @property
    def margin(self) -> Decimal:
        return self.costed_net - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin as a share of the net of the costed lines, one decimal; None if none."""
        if not self.costed_net:
            return None
        return (self.margin * 100 / self.costed_net).quantize(PERCENT_QUANTUM, ROUND_HALF_UP)

    def __add__(self, other: "PeriodTotals") -> "PeriodTotals":
        return PeriodTotals(
            self.net + other.net, self.costed_net + other.costed_net, self.cost + other.cost
        )


@dataclass(frozen=True)
class QuoteTotals:
    currency: str
    lines: tuple[LineAmounts, ...]
    one_time: PeriodTotals
    monthly: PeriodTotals
    yearly: PeriodTotals
    has_cost: bool

    @property
    def first_invoice(self) -> PeriodTotals:
        return self.one_time + self.monthly + self.yearly

    @property
    def mrr(self) -> Decimal:
        """Exact monthly recurring revenue; round only for display (``mrr_display``)."""
        return mrr(self.monthly.net, self.yearly.net)

    @property
    def mrr_display(self) -> Decimal:
        return round_money(self.mrr, self.currency)

    def period(self, billing_period: str) -> PeriodTotals:
        return {ONE_TIME: self.one_time, MONTHLY: self.monthly, YEARLY: self.yearly}[billing_period]


def mrr(monthly_net: Decimal, yearly_net: Decimal) -> Decimal:
    """monthly + yearly / 12, unrounded."""
    return (Decimal(monthly_net) * 12 + Decimal(yearly_net)) / 12


def line_amounts(line: LineInput, currency: str) -> LineAmounts:
    if line.billing_period not in PERIODS:
        raise ValueError(f"unknown billing period {line.billing_period!r}")
    net = line_net(line.quantity, line.unit_price, line.discount_percent, currency)
    if line.cost_price is None:
        return LineAmounts(line.billing_period, net, None, None)
    cost = round_money(Decimal(line.cost_price) * Decimal(line.quantity), currency)
    return LineAmounts(line.billing_period, net, cost, net - cost)


def quote_totals(lines: Iterable[LineInput], currency: str) -> QuoteTotals:
    amounts = tuple(line_amounts(line, currency) for line in lines)
    sums = {period: [ZERO, ZERO, ZERO] for period in PERIODS}
    for a in amounts:
        bucket = sums[a.billing_period]
        bucket[0] += a.net
        if a.cost is not None:
            bucket[1] += a.net
            bucket[2] += a.cost
    zero = round_money(ZERO, currency)
    totals = {
        period: PeriodTotals(net + zero, costed + zero, cost + zero)
        for period, (net, costed, cost) in sums.items()
    }
    return QuoteTotals(
        currency=currency,
        lines=amounts,
        one_time=totals[ONE_TIME],
        monthly=totals[MONTHLY],
        yearly=totals[YEARLY],
        has_cost=any(a.cost is not None for a in amounts),
    )


@dataclass(frozen=True)
class TaxedTotal:
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class TaxSummary:
    decision: TaxDecision
    one_time: TaxedTotal
    monthly: TaxedTotal
    yearly: TaxedTotal
    first_invoice: TaxedTotal


def taxed(net: Decimal, rate_percent: Decimal, currency: str) -> TaxedTotal:
    tax = tax_amount(net, rate_percent, currency)
    return TaxedTotal(net, tax, net + tax)


def _taxed_period(totals: QuoteTotals, period: str, rate: Decimal) -> TaxedTotal:
    c = totals.currency
    tax = round_money(ZERO, c)
    for line in totals.lines:
        if line.billing_period == period:
            tax += tax_amount(line.net, rate, c)
    net = totals.period(period).net
    return TaxedTotal(net, tax, net + tax)


def tax_summary(totals: QuoteTotals, decision: TaxDecision) -> TaxSummary:
    """Tax per period and on the first invoice, each the sum of its lines' rounded taxes."""
    by_period = {period: _taxed_period(totals, period, decision.rate) for period in PERIODS}
    parts = list(by_period.values())
    net = totals.first_invoice.net
    tax = parts[0].tax + parts[1].tax + parts[2].tax
    first = TaxedTotal(net, tax, net + tax)
    return TaxSummary(
        decision=decision,
        one_time=by_period[ONE_TIME],
        monthly=by_period[MONTHLY],
        yearly=by_period[YEARLY],
        first_invoice=first,
    )


# Package expansion


@dataclass(frozen=True)
class ProjectCounts:
    workstations: int = 0
    servers: int = 0
    users: int = 0


@dataclass(frozen=True)
class PackageItemInput:
    rule: str
    quantity: Decimal
    ref: Any = None  # whatever the caller needs to find the item again (e.g. the service)


@dataclass(frozen=True)
class ExpandedItem:
    item: PackageItemInput
    quantity: Decimal


def item_quantity(rule: str, quantity: Decimal, counts: ProjectCounts) -> Decimal:
    """Fixed rules use the quantity; per_* rules multiply the project's count by it."""
    if rule == FIXED:
        factor = 1
    elif rule == PER_WORKSTATION:
        factor = counts.workstations
    elif rule == PER_SERVER:
        factor = counts.servers
    elif rule == PER_USER:
        factor = counts.users
    else:
        raise ValueError(f"unknown quantity rule {rule!r}")
    return (Decimal(quantity) * factor).quantize(QUANTITY_QUANTUM, ROUND_HALF_UP)


def needs_project(items: Iterable[PackageItemInput]) -> bool:
    return any(item.rule != FIXED for item in items)


def expand_package(
    items: Sequence[PackageItemInput], counts: ProjectCounts
) -> tuple[list[ExpandedItem], list[PackageItemInput]]:
    """Quote-line quantities for a package, in item order.

    Returns (expanded, skipped): items whose quantity comes out as zero (e.g. per server for a
    project without servers) are skipped rather than added as empty lines.
    """
    expanded, skipped = [], []
    for item in items:
        quantity = item_quantity(item.rule, item.quantity, counts)
        if quantity > 0:
            expanded.append(ExpandedItem(item, quantity))
        else:
            skipped.append(item)
    return expanded, skipped
