"""The billing schedule of a contract MSPercury runs itself (Lexware Office, sevDesk). Pure.

Plain data in (the contract's lines, its start, its end and "today"), plain data out (the due
periods and each period invoice's lines): no ORM, no settings, no clock.

- Periods are months anchored on the start date; a later month without that day ends on its
  last day and the next period goes back to the anchor (31 Jan → 28/29 Feb → 31 Mar), as
  Stripe's subscriptions do. Each period ends the day before the next starts: no gaps, no
  overlaps.
- Billing is in advance: a period is due on its first day.
- Monthly lines are on every period's invoice; a yearly line on the invoice of the period its
  year starts in, with its own yearly service period; one-time lines on the first invoice
  they are part of.
- A contract ends at a period's end or on a date (``ends_on``, the last day of service). A
  period cut by that date is prorated by days: the line's whole net × days served / days of
  its period, rounded half up once (``rules.money``). A prorated line goes out as quantity 1 at
  that amount, so the provider computes exactly our cents; the others keep the quote's
  quantity (decimals as they are), price and discount.
- Revisions: a line bills from ``effective_from`` to ``effective_until`` (both by period start).
- Totals as both providers compute them: each line's net rounded (Lexware ``lineItemAmount``,
  sevDesk position net), tax per rate on the rate's summed net (rules.money.tax_amount).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from rules.money import line_net, round_money, tax_amount

ONCE = "once"
MONTH = "month"
YEAR = "year"
INTERVALS = (ONCE, MONTH, YEAR)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ContractLine:
    ref: str
    description: str
    quantity: Decimal
    unit_price: Decimal  # net, in the currency's units
    interval: str  # ONCE, MONTH or YEAR
    tax_rate: Decimal = ZERO  # percent, as the quote decided it
    discount_percent: Decimal | None = None
    effective_from: date | None = None  # None: from the contract's start
    effective_until: date | None = None  # None: open-ended


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date  # the last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class InvoiceLine:
    ref: str
    description: str
    interval: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal | None
    tax_rate: Decimal
    service_start: date
    service_end: date
    net: Decimal
    served_days: int = 0  # prorated lines: days served of ``period_days``
    period_days: int = 0

    @property
    def prorated(self) -> bool:
        return self.period_days > 0


@dataclass(frozen=True)
class PeriodInvoice:
    period: Period
    service_start: date
    service_end: date  # the period's end, or the contract's end date within it
    currency: str
    lines: tuple[InvoiceLine, ...]

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines), round_money(ZERO, self.currency))

    @property
    def tax_by_rate(self) -> dict[Decimal, Decimal]:
        nets: dict[Decimal, Decimal] = {}
        for line in self.lines:
            nets[line.tax_rate] = nets.get(line.tax_rate, ZERO) + line.net
        return {rate: tax_amount(net, rate, self.currency) for rate, net in sorted(nets.items())}

    @property
    def tax(self) -> Decimal:
        return sum(self.tax_by_rate.values(), round_money(ZERO, self.currency))

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by whole months, its day clamped to the month's last day."""
    month0 = anchor.month - 1 + months
    year, month = anchor.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period(start: date, index: int) -> Period:
    begin = add_months(start, index)
    return Period(index, begin, add_months(start, index + 1) - timedelta(days=1))


def period_of(start: date, day: date) -> Period:
    """The period ``day`` falls in (``day`` on or after ``start``)."""
    if day < start:
        raise ValueError(f"{day} is before the contract's start {start}")
    index = (day.year - start.year) * 12 + day.month - start.month
    index = max(index - 1, 0)
    while period(start, index).end < day:
        index += 1
    return period(start, index)


def periods(start: date, ends_on: date | None, until: date) -> list[Period]:
    """Every period that starts on or before ``until`` (and on or before ``ends_on``)."""
    last = until if ends_on is None else min(until, ends_on)
    found: list[Period] = []
    index = 0
    while (current := period(start, index)).start <= last:
        found.append(current)
        index += 1
    return found


def first_index(start: date, line: ContractLine) -> int:
    """The index of the first period whose start is on or after the line's effective date."""
    if line.effective_from is None or line.effective_from <= start:
        return 0
    index = period_of(start, line.effective_from).index
    return index if period(start, index).start >= line.effective_from else index + 1


def _active(start: date, line: ContractLine, current: Period) -> bool:
    if current.index < first_index(start, line):
        return False
    return line.effective_until is None or current.start <= line.effective_until


def _prorated(line: ContractLine, begin: date, end: date, cut: date, currency: str) -> InvoiceLine:
    """The line for ``begin``–``cut`` of its service period ``begin``–``end``."""
    whole = line_net(line.quantity, line.unit_price, line.discount_percent, currency)
    served, days = (cut - begin).days + 1, (end - begin).days + 1
    net = round_money(whole * served / days, currency)
    return InvoiceLine(
        line.ref, line.description, line.interval, Decimal(1), net, None, line.tax_rate,
        begin, cut, net, served, days,
    )  # fmt: skip


def _whole(line: ContractLine, begin: date, end: date, currency: str) -> InvoiceLine:
    net = line_net(line.quantity, line.unit_price, line.discount_percent, currency)
    return InvoiceLine(
        line.ref, line.description, line.interval, line.quantity, line.unit_price,
        line.discount_percent, line.tax_rate, begin, end, net,
    )  # fmt: skip


def _line_for(
    start: date, line: ContractLine, current: Period, ends_on: date | None, currency: str
) -> InvoiceLine | None:
    if not _active(start, line, current):
        return None
    first = first_index(start, line)
    if line.interval == ONCE:
        return (
            _whole(line, current.start, current.end, currency) if current.index == first else None
        )
    if line.interval == MONTH:
        begin, end = current.start, current.end
    elif line.interval == YEAR:
        if (current.index - first) % 12:
            return None
        begin, end = current.start, period(start, current.index + 12).start - timedelta(days=1)
    else:
        raise ValueError(f"unknown interval {line.interval!r}")
    if ends_on is not None and ends_on < end:
        return _prorated(line, begin, end, ends_on, currency)
    return _whole(line, begin, end, currency)


def invoice_for(
    lines: Sequence[ContractLine],
    start: date,
    ends_on: date | None,
    current: Period,
    currency: str,
) -> PeriodInvoice | None:
    """The invoice of one period, or None when no line bills in it."""
    if ends_on is not None and current.start > ends_on:
        return None
    made = (_line_for(start, line, current, ends_on, currency) for line in lines)
    found = tuple(line for line in made if line is not None)
    if not found:
        return None
    end = current.end if ends_on is None else min(current.end, ends_on)
    return PeriodInvoice(current, current.start, end, currency, found)


def due_invoices(
    lines: Sequence[ContractLine],
    start: date,
    ends_on: date | None,
    today: date,
    currency: str,
) -> list[PeriodInvoice]:
    """Every period invoice due on ``today`` (billing in advance: due on the period's start)."""
    due = (invoice_for(lines, start, ends_on, p, currency) for p in periods(start, ends_on, today))
    return [invoice for invoice in due if invoice is not None]


def next_period(start: date, ends_on: date | None, today: date) -> Period | None:
    """The first period that starts after ``today``; None when the contract ends before."""
    upcoming = period(start, len(periods(start, None, today)))
    if ends_on is not None and upcoming.start > ends_on:
        return None
    return upcoming


def quote_interval(billing_period: str) -> str:
    """A quote line's billing period (quotes.models.BillingPeriod) as the schedule's interval."""
    return {"one_time": ONCE, "monthly": MONTH, "yearly": YEAR}[billing_period]


def total_net(invoices: Iterable[PeriodInvoice]) -> Decimal:
    return sum((invoice.net for invoice in invoices), ZERO)


# -- contract changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """What a re-accepted revision changes: lines closed (ref, last day), lines added (with the
    day they bill from), and the one-off prorated invoice for the rest of the current period
    (increases only: neither provider takes a negative line; a reduction applies from the next
    period)."""

    boundary: date  # the next period's first day
    close: tuple[tuple[str, date], ...]
    add: tuple[ContractLine, ...]
    one_off: PeriodInvoice | None


def _same(a: ContractLine, b: ContractLine) -> bool:
    keys = ("description", "quantity", "unit_price", "interval", "tax_rate", "discount_percent")
    return all(getattr(a, key) == getattr(b, key) for key in keys)


def _year_end(start: date, line: ContractLine, current: Period) -> date:
    """The last day of the yearly service period ``current`` falls in."""
    first = first_index(start, line)
    years = (current.index - first) // 12 + 1
    return period(start, first + 12 * years).start - timedelta(days=1)


def _net(line: ContractLine, currency: str) -> Decimal:
    return line_net(line.quantity, line.unit_price, line.discount_percent, currency)


def _charge(
    line: ContractLine, net: Decimal, today: date, current: Period, served: int
) -> InvoiceLine:
    return InvoiceLine(
        line.ref, line.description, line.interval, Decimal(1), net, None, line.tax_rate,
        today, current.end, net, served, current.days,
    )  # fmt: skip


def _one_off(
    changes: list[tuple[ContractLine | None, ContractLine]],
    current: Period,
    today: date,
    currency: str,
) -> PeriodInvoice | None:
    served = (current.end - today).days + 1
    lines = []
    for old, new in changes:
        if new.interval != MONTH:
            continue
        before = _net(old, currency) if old else ZERO
        net = round_money((_net(new, currency) - before) * served / current.days, currency)
        if net > 0:
            lines.append(_charge(new, net, today, current, served))
    if not lines:
        return None
    return PeriodInvoice(current, today, current.end, currency, tuple(lines))


def revise(
    current: Sequence[ContractLine],
    revised: Sequence[ContractLine],
    start: date,
    today: date,
    currency: str,
) -> Revision:
    """How the revised lines replace the current ones, matched by ``ref`` (the quote line):
    unchanged lines stay; monthly changes apply from the next period, yearly ones from the
    next year of their service period; new one-time lines go on the next invoice."""
    now = period_of(start, max(today, start))
    boundary = now.end + timedelta(days=1)
    by_ref = {line.ref: line for line in revised}
    open_lines = [line for line in current if line.effective_until is None]
    close: list[tuple[str, date]] = []
    add: list[ContractLine] = []
    changes: list[tuple[ContractLine | None, ContractLine]] = []
    for old in open_lines:
        new = by_ref.get(old.ref)
        if old.interval == ONCE or (new is not None and _same(old, new)):
            continue
        until = _year_end(start, old, now) if old.interval == YEAR else boundary - timedelta(days=1)
        close.append((old.ref, until))
        if new is not None:
            add.append(_from(new, until + timedelta(days=1)))
            changes.append((old, new))
    known = {line.ref for line in current}
    for new in revised:
        if new.ref not in known:
            add.append(_from(new, boundary))
            changes.append((None, new))
    return Revision(boundary, tuple(close), tuple(add), _one_off(changes, now, today, currency))


def _from(line: ContractLine, day: date) -> ContractLine:
    return ContractLine(
        line.ref, line.description, line.quantity, line.unit_price, line.interval,
        line.tax_rate, line.discount_percent, day, None,
    )  # fmt: skip
