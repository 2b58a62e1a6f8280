"""What each Stripe invoice of a push plan comes to: net, VAT and total per invoice and period,
as Stripe will bill them. Pure (no ORM, no settings, no clock).

Stripe's exclusive tax rates tax each invoice line on its own amount and round it to the minor
unit; rules/money.py's rule 3 is the same (tax per line, half up, then summed), so the preview
and the Stripe invoice agree to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from integrations.push.planner import Operation, Plan, StripeLine
from mspercury.texts import Text
from rules.money import from_minor_units, tax_amount, to_minor_units

FIRST = "first"  # a subscription's first invoice: its recurring lines and its one-time riders
ONCE = "once"  # a standalone invoice of one-time lines
# Then every following invoice of a subscription, by its interval ("month", "year").


@dataclass(frozen=True)
class BilledInvoice:
    label: Text | str  # the step's label: which subscription or invoice
    period: str  # FIRST, ONCE, or the subscription's interval
    net: int  # minor units
    vat: int | None  # None: Stripe Tax computes it at Stripe
    currency: str

    @property
    def total(self) -> int | None:
        return None if self.vat is None else self.net + self.vat

    def major(self, minor: int | None) -> Decimal | None:
        return None if minor is None else from_minor_units(minor, self.currency)

    @property
    def net_amount(self) -> Decimal:
        return from_minor_units(self.net, self.currency)

    @property
    def vat_amount(self) -> Decimal | None:
        return self.major(self.vat)

    @property
    def total_amount(self) -> Decimal | None:
        return self.major(self.total)


def line_vat(line: StripeLine, percent: Decimal, currency: str) -> int:
    """One Stripe line's tax in minor units (money.py rule 3)."""
    net = from_minor_units(line.amount, currency)
    return to_minor_units(tax_amount(net, percent, currency), currency)


def _billed(op: Operation, period: str, lines: Sequence[StripeLine], plan: Plan) -> BilledInvoice:
    currency = plan.currency
    net = sum(line.amount for line in lines)
    vat = None
    if plan.vat_percent is not None:
        vat = sum(line_vat(line, plan.vat_percent, currency) for line in lines)
    return BilledInvoice(op.label, period, net, vat, currency)


def _interval(op: Operation) -> str:
    """ "subscription:month:1" → "month"."""
    parts = op.key.split(":")
    return parts[1] if len(parts) > 2 else ""


def billed_invoices(plan: Plan) -> list[BilledInvoice]:
    """Per subscription its first invoice and every following one; per standalone invoice its
    one-time lines."""
    billed: list[BilledInvoice] = []
    for op in plan.of_kind("subscription"):
        billed.append(_billed(op, FIRST, op.lines + op.one_time_lines, plan))
        billed.append(_billed(op, _interval(op), op.lines, plan))
    for op in plan.of_kind("invoice"):
        billed.append(_billed(op, ONCE, op.lines, plan))
    return billed
