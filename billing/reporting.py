"""Revenue figures of accepted quotes: MRR, ARR, one-time revenue of the month, per customer.

Every figure follows the quote's live lines (an accepted quote edited later counts as it is now)
and uses the line rule of ``quotes.domain``: each line's net is rounded once, MRR = monthly +
yearly / 12 is kept exact and rounded only for display. Amounts are summed per currency; EUR is
never added to USD.

Each report runs a fixed number of queries. The dashboard's sums are made by PostgreSQL in one
statement (``billing.revenue_sql``), so it costs the same with 10 quotes as with thousands; the
SQLite demo and one customer's report fetch the lines with ``values()`` and sum them in Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.utils import timezone

from billing.mirror import REVENUE_STATUSES, brings_revenue, monthly_amount
from billing.revenue_sql import revenue_rows
from customers.models import Customer
from mspercury.models import Workspace
from quotes import domain
from quotes.models import Quote, QuoteLine, QuoteStatus
from rules.money import exponent, round_money

TOP_CUSTOMERS = 5
CUSTOMER_QUOTES = 20
ZERO = Decimal("0")
LINE_VALUES = ("quantity", "unit_price", "discount_percent", "billing_period")


def line_net(row: dict, currency: str) -> Decimal:
    """The net of a line given as a ``values()`` row, by the domain's rounding rule."""
    line = domain.LineInput(
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        billing_period=row["billing_period"],
        discount_percent=row["discount_percent"],
    )
    return domain.line_amounts(line, currency).net


@dataclass
class Recurring:
    """Monthly and yearly net sums of one currency; MRR derives from them exactly."""

    currency: str
    monthly: Decimal = ZERO
    yearly: Decimal = ZERO
    one_time: Decimal = ZERO

    def add(self, billing_period: str, net: Decimal) -> None:
        if billing_period == domain.MONTHLY:
            self.monthly += net
        elif billing_period == domain.YEARLY:
            self.yearly += net
        else:
            self.one_time += net

    @property
    def mrr(self) -> Decimal:
        return domain.mrr(self.monthly, self.yearly)

    @property
    def mrr_display(self) -> Decimal:
        return round_money(self.mrr, self.currency)

    @property
    def arr_display(self) -> Decimal:
        return round_money(self.mrr * 12, self.currency)


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    mrr: Decimal
    arr: Decimal
    one_time_this_month: Decimal
    scheduled_churn: Decimal = ZERO  # MRR of subscriptions set to cancel at period end


@dataclass(frozen=True)
class MrrMonth:
    month: date
    currency: str
    new: Decimal
    churned: Decimal
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO  # <= 0, like churned

    @property
    def gained(self) -> Decimal:
        return self.new + self.expansion

    @property
    def lost(self) -> Decimal:
        return self.churned + self.contraction

    @property
    def net(self) -> Decimal:
        return self.gained + self.lost


@dataclass(frozen=True)
class CustomerMrr:
    public_id: object
    name: str
    currency: str
    mrr: Decimal


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class WorkspaceReport:
    figures: list[CurrencyFigures]
    top_customers: list[tuple[str, list[CustomerMrr]]]  # per currency
    statuses: list[StatusCount]
    month_start: datetime
    history: list[MrrMonth] = field(default_factory=list)

    @property
    def quote_count(self) -> int:
        return sum(s.count for s in self.statuses)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of this month and of the next, in the active zone (the workspace's in requests)."""
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start, end


def _accepted_lines(*extra: str, **filters):
    """Lines of accepted quotes as ``values()`` rows, with their quote's currency."""
    return (
        QuoteLine.objects.filter(quote__status=QuoteStatus.ACCEPTED, **filters)
        .order_by()
        .values(*LINE_VALUES, "quote__currency", *extra)
    )


def workspace_report(workspace: Workspace, *, now: datetime | None = None) -> WorkspaceReport:
    """The dashboard's figures. A fixed number of queries, whatever the number of quotes.

    Quotes pushed to Stripe count with their mirrored subscriptions (which follow cancellations
    and ends reported by Stripe); other accepted quotes count with their lines. On PostgreSQL
    the sums are made in the database (``billing.revenue_sql``), elsewhere (the SQLite demo)
    in Python over the lines; both give the same figures.
    """
    start, end = month_bounds(now or timezone.now())
    if connection.vendor == "postgresql":
        figures, top = _revenue_in_sql(workspace, start, end)
    else:
        figures, top = _revenue_in_python(workspace, start, end)
    return WorkspaceReport(
        figures=figures,
        top_customers=top,
        statuses=status_counts(workspace),
        month_start=start,
        history=mrr_history(workspace),
    )


Revenue = tuple[list[CurrencyFigures], list[tuple[str, list[CustomerMrr]]]]


def _figures(
    totals: dict[str, Recurring], this_month: dict[str, Decimal], scheduled: dict[str, Decimal]
) -> list[CurrencyFigures]:
    return [
        CurrencyFigures(
            currency=currency,
            mrr=r.mrr_display,
            arr=r.arr_display,
            one_time_this_month=round_money(this_month.get(currency, ZERO), currency),
            scheduled_churn=round_money(scheduled.get(currency, ZERO), currency),
        )
        for currency, r in sorted(totals.items())
    ]


def _revenue_in_sql(workspace: Workspace, start: datetime, end: datetime) -> Revenue:
    """One statement: totals per currency and the top customers, summed in PostgreSQL."""
    lines = (
        QuoteLine.objects.filter(quote__status=QuoteStatus.ACCEPTED, workspace=workspace)
        .order_by()
        .values(
            *LINE_VALUES,
            "quote_id",
            currency=F("quote__currency"),
            accepted_at=F("quote__accepted_at"),
            quote_customer=F("quote__customer_id"),
        )
    )
    mirrored = _mirrored(workspace).values(
        "quote_id",
        "currency",
        "status",
        "ended_at",
        "items",
        "cancel_at_period_end",
        "cancel_at",
        quote_customer=F("quote__customer_id"),
    )
    rows = revenue_rows(
        lines,
        mirrored,
        _billed_elsewhere(workspace),
        start=start,
        end=end,
        revenue_statuses=REVENUE_STATUSES,
        top=TOP_CUSTOMERS,
    )
    totals: dict[str, Recurring] = {}
    this_month: dict[str, Decimal] = {}
    scheduled: dict[str, Decimal] = {}
    top: dict[str, list[CustomerMrr]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: row.rank):
        currency = row.currency
        recurring = Recurring(
            currency,
            monthly=row.monthly + row.subscriptions_minor.scaleb(-exponent(currency)),
            yearly=row.yearly,
        )
        if row.public_id is None:
            totals[currency] = recurring
            this_month[currency] = row.one_time_this_month
            scheduled[currency] = row.scheduled_minor.scaleb(-exponent(currency))
        else:
            top[currency].append(
                CustomerMrr(row.public_id, row.name, currency, recurring.mrr_display)
            )
    return _figures(totals, this_month, scheduled), sorted(top.items())


def _revenue_in_python(workspace: Workspace, start: datetime, end: datetime) -> Revenue:
    """The same figures summed in Python over every accepted line and subscription."""
    totals: dict[str, Recurring] = {}
    this_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    per_customer: dict[tuple, Recurring] = {}
    scheduled: dict[str, Decimal] = defaultdict(lambda: ZERO)
    mirrored = _mirrored_subscriptions(workspace)
    pushed_quotes = set(_billed_elsewhere(workspace).values_list("quote_id", flat=True))
    rows = _accepted_lines(
        "quote_id",
        "quote__accepted_at",
        "quote__customer__public_id",
        "quote__customer__company_name",
        workspace=workspace,
    )
    for row in rows:
        currency = row["quote__currency"]
        net = line_net(row, currency)
        period = row["billing_period"]
        accepted_at = row["quote__accepted_at"]
        if period == domain.ONE_TIME and accepted_at and start <= accepted_at < end:
            this_month[currency] += net
        if period != domain.ONE_TIME and row["quote_id"] in pushed_quotes:
            continue  # Stripe's subscriptions stand for these lines
        totals.setdefault(currency, Recurring(currency)).add(period, net)
        key = (row["quote__customer__public_id"], row["quote__customer__company_name"], currency)
        per_customer.setdefault(key, Recurring(currency)).add(period, net)
    for sub in mirrored:
        if not brings_revenue(sub["status"], sub["ended_at"] is not None):
            continue
        currency = sub["currency"]
        monthly = _subscription_monthly(sub)
        totals.setdefault(currency, Recurring(currency)).monthly += monthly
        key = (sub["quote__customer__public_id"], sub["quote__customer__company_name"], currency)
        per_customer.setdefault(key, Recurring(currency)).monthly += monthly
        if sub["cancel_at_period_end"] or sub["cancel_at"]:
            scheduled[currency] += monthly
    return _figures(totals, this_month, scheduled), _top_customers(per_customer)


def _top_customers(per_customer: dict[tuple, Recurring]) -> list[tuple[str, list[CustomerMrr]]]:
    ranked: dict[str, list[CustomerMrr]] = defaultdict(list)
    for (public_id, name, currency), r in per_customer.items():
        if r.mrr > 0:
            ranked[currency].append(CustomerMrr(public_id, name, currency, r.mrr))
    return [
        (
            currency,
            [
                CustomerMrr(c.public_id, c.name, c.currency, round_money(c.mrr, currency))
                for c in sorted(ranked[currency], key=lambda c: (-c.mrr, c.name.lower()))[
                    :TOP_CUSTOMERS
                ]
            ],
        )
        for currency in sorted(ranked)
    ]


def _mirrored(workspace: Workspace, **filters) -> QuerySet:
    """Subscriptions of the connected mode only: test-mode pushes (onboarding, the demo) never
    count as real revenue once the workspace is live, nor twice beside the live push. Without
    a connection only live ones count."""
    from billing.models import StripeSubscription

    # The connection is the edge's (integrations): asked through its relation, not imported.
    in_test_mode = Exists(Workspace.objects.filter(pk=workspace.pk, stripe_connection__mode="test"))
    return StripeSubscription.objects.filter(
        workspace=workspace, quote__isnull=False, livemode=~in_test_mode, **filters
    ).order_by()


def _contract_ended():
    from billing.models import Contract

    ended = Contract.objects.filter(quote=OuterRef("quote_id"), status=Contract.Status.ENDED)
    return Exists(ended)


def _billed_elsewhere(workspace: Workspace) -> QuerySet:
    """The quotes whose recurring lines no longer stand for their revenue (``quote_id``
    values): pushed to Stripe (its subscriptions count instead), or billed by MSPercury's own
    schedule (Lexware Office, sevDesk) under a contract that has ended."""
    from billing.models import Contract

    ended = Contract.objects.filter(workspace=workspace, status=Contract.Status.ENDED)
    return (
        _mirrored(workspace).values("quote_id").union(ended.order_by().values("quote_id"), all=True)
    )


def _mirrored_subscriptions(workspace: Workspace, **filters) -> list[dict]:
    return list(
        _mirrored(workspace, **filters).values(
            "quote_id",
            "status",
            "ended_at",
            "currency",
            "items",
            "cancel_at_period_end",
            "cancel_at",
            "quote__customer__public_id",
            "quote__customer__company_name",
        )
    )


def _subscription_monthly(sub: dict) -> Decimal:
    """Monthly equivalent in major units, exact (no rounding until display)."""
    minor = sum(
        (
            monthly_amount(
                item.get("interval", ""),
                int(item.get("interval_count", 1)),
                int(item["quantity"]) * int(item["unit_amount"]),
            )
            for item in sub["items"]
        ),
        ZERO,
    )
    return minor.scaleb(-exponent(sub["currency"]))


def mrr_history(workspace: Workspace, months: int = 12) -> list[MrrMonth]:
    """New, expanded, contracted and churned MRR per month and currency, from Stripe's
    subscription lifecycle; each month's net is the change of MRR in it."""
    from billing.models import MrrMovement

    sums: dict[tuple, dict] = {}
    for row in (
        MrrMovement.objects.filter(workspace=workspace)
        .order_by()
        .values("month", "currency", "kind")
        .annotate(total=Sum("amount"))
    ):
        entry = sums.setdefault(
            (row["month"], row["currency"]), dict.fromkeys(MrrMovement.Kind.values, ZERO)
        )
        entry[row["kind"]] += row["total"]
    result = [
        MrrMonth(
            month,
            currency,
            new=round_money(v["new"], currency),
            churned=round_money(v["churn"], currency),
            expansion=round_money(v["expansion"], currency),
            contraction=round_money(v["contraction"], currency),
        )
        for (month, currency), v in sorted(sums.items())
    ]
    return result[-months:]


def status_counts(workspace: Workspace) -> list[StatusCount]:
    """Quotes per status, every status listed (zero included), in the lifecycle's order."""
    counts = dict(
        Quote.objects.filter(workspace=workspace)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return [StatusCount(s.value, s.label, counts.get(s.value, 0)) for s in QuoteStatus]


# One customer


@dataclass(frozen=True)
class QuoteRow:
    quote: Quote
    totals: domain.QuoteTotals


@dataclass(frozen=True)
class CustomerReport:
    quotes: list[QuoteRow]
    quote_count: int
    mrr: list[tuple[str, Decimal]] = field(default_factory=list)  # (currency, display MRR)

    @property
    def has_more(self) -> bool:
        return self.quote_count > len(self.quotes)


def customer_report(customer: Customer, *, limit: int = CUSTOMER_QUOTES) -> CustomerReport:
    """The customer's latest quotes with their totals, and the customer's MRR per currency.

    Five queries, whatever the number of quotes and lines.
    """
    quotes_qs = Quote.objects.filter(workspace_id=customer.workspace_id, customer=customer)
    quote_count = quotes_qs.count()
    quotes = list(quotes_qs.select_related("project").order_by("-created_at", "-id")[:limit])
    lines: dict[int, list[domain.LineInput]] = defaultdict(list)
    line_rows = (
        QuoteLine.objects.filter(quote__in=[q.pk for q in quotes])
        .order_by("position", "id")
        .values("quote_id", *LINE_VALUES)
    )
    for row in line_rows:
        lines[row["quote_id"]].append(
            domain.LineInput(
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                billing_period=row["billing_period"],
                discount_percent=row["discount_percent"],
            )
        )
    rows = [QuoteRow(q, domain.quote_totals(lines[q.pk], q.currency)) for q in quotes]

    recurring: dict[str, Recurring] = {}
    mirrored = [
        sub for sub in _mirrored_subscriptions(customer.workspace, quote__customer=customer)
    ]
    pushed_quotes = {sub["quote_id"] for sub in mirrored}
    lines = _accepted_lines(
        "quote_id", workspace_id=customer.workspace_id, quote__customer=customer
    ).annotate(contract_ended=_contract_ended())
    for row in lines:
        billed_elsewhere = row["quote_id"] in pushed_quotes or row["contract_ended"]
        if row["billing_period"] != domain.ONE_TIME and billed_elsewhere:
            continue  # as Stripe bills it, or no longer billed (see workspace_report)
        currency = row["quote__currency"]
        recurring.setdefault(currency, Recurring(currency)).add(
            row["billing_period"], line_net(row, currency)
        )
    for sub in mirrored:
        if brings_revenue(sub["status"], sub["ended_at"] is not None):
            currency = sub["currency"]
            recurring.setdefault(currency, Recurring(currency)).monthly += _subscription_monthly(
                sub
            )
    mrr = [(currency, r.mrr_display) for currency, r in sorted(recurring.items())]
    return CustomerReport(quotes=rows, quote_count=quote_count, mrr=mrr)
