"""The dashboard's MRR movements as a bar chart, drawn on the server as SVG (no JavaScript).

Pure geometry over the report's months: new MRR rises above the zero line, churned MRR hangs
below it, a tick marks each month's net. Coordinates are in the SVG's own units (its viewBox);
the page scales the picture to its column.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

WIDTH, HEIGHT = 480, 240
TOP, BOTTOM, LEFT, RIGHT = 20, 28, 8, 8  # room for the scale label above, months below
BAR_SHARE = Decimal("0.6")  # of each month's slot
MIN_MONTHS = 6  # a chart spans at least half a year, so one month is not one huge bar


@dataclass(frozen=True)
class QuietMonth:
    """A month without movements, drawn as an empty slot."""

    month: object
    new: Decimal = Decimal(0)
    churned: Decimal = Decimal(0)
    expansion: Decimal = Decimal(0)
    contraction: Decimal = Decimal(0)
    gained: Decimal = Decimal(0)
    lost: Decimal = Decimal(0)
    net: Decimal = Decimal(0)


def _previous(month: date) -> date:
    return (
        month.replace(year=month.year - 1, month=12)
        if month.month == 1
        else month.replace(month=month.month - 1)
    )


def contiguous_months(months: list[Any], minimum: int = MIN_MONTHS) -> list[Any]:
    """Every month from the first (or ``minimum`` months back) to the last, gaps filled."""
    if not months:
        return []
    by_month = {m.month: m for m in months}
    first, current = months[0].month, months[-1].month
    filled: list[Any] = []
    while current >= first or len(filled) < minimum:
        filled.append(by_month.get(current) or QuietMonth(current))
        current = _previous(current)
    return filled[::-1]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "new" or "churn"
    amount: Decimal


@dataclass(frozen=True)
class MonthColumn:
    month: object  # a date, the month's first day
    label_x: float
    new: Bar
    churn: Bar
    net: Decimal
    net_y: float
    net_x1: float
    net_x2: float
    quiet: bool = False  # no movements: a labelled, empty slot
    expansion: Decimal = Decimal(0)  # part of the new bar
    contraction: Decimal = Decimal(0)  # part of the churn bar


@dataclass(frozen=True)
class MrrChart:
    currency: str
    columns: list[MonthColumn]
    zero_y: float
    top_amount: Decimal  # the largest new MRR, written at the top of the scale
    bottom_amount: Decimal  # the largest churn, as a negative amount
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    top: int = TOP
    bottom_y: int = HEIGHT - BOTTOM


def _r(value: Decimal | float) -> float:
    return round(float(value), 1)


def mrr_chart(currency: str, months: list[Any]) -> MrrChart:
    """The chart of one currency's months (objects with month, gained >= 0 (new and
    expansion), lost <= 0 (churn and contraction) and net), sorted by month; months without
    movements are drawn as empty slots."""
    months = contiguous_months(months)
    up = max((m.gained for m in months), default=Decimal(0))
    down = max((-m.lost for m in months), default=Decimal(0))
    plot_height = Decimal(HEIGHT - TOP - BOTTOM)
    span = up + down
    scale = plot_height / span if span > 0 else Decimal(0)
    zero_y = TOP + up * scale if span > 0 else Decimal(HEIGHT - BOTTOM)
    slot = Decimal(WIDTH - LEFT - RIGHT) / max(len(months), 1)
    bar_width = slot * BAR_SHARE
    columns = []
    for index, m in enumerate(months):
        x = LEFT + slot * index + (slot - bar_width) / 2
        new_height = m.gained * scale
        churn_height = -m.lost * scale
        columns.append(
            MonthColumn(
                month=m.month,
                label_x=_r(LEFT + slot * index + slot / 2),
                new=Bar(
                    _r(x), _r(zero_y - new_height), _r(bar_width), _r(new_height), "new", m.gained
                ),
                churn=Bar(_r(x), _r(zero_y), _r(bar_width), _r(churn_height), "churn", m.lost),
                expansion=m.expansion,
                contraction=m.contraction,
                net=m.net,
                net_y=_r(zero_y - m.net * scale),
                net_x1=_r(x - bar_width * Decimal("0.1")),
                net_x2=_r(x + bar_width * Decimal("1.1")),
                quiet=isinstance(m, QuietMonth),
            )
        )
    return MrrChart(currency, columns, _r(zero_y), up, -down)


def mrr_charts(history: list[Any]) -> list[MrrChart]:
    """One chart per currency, in the order of the history (sorted by month, then currency)."""
    by_currency = sorted(history, key=lambda m: (m.currency, m.month))
    return [
        mrr_chart(currency, list(months))
        for currency, months in groupby(by_currency, key=lambda m: m.currency)
    ]
