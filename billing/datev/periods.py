"""Fiscal years: a DATEV batch lies inside one, so an export is split at their borders. Pure."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Slice:
    fiscal_year_start: date
    date_from: date
    date_to: date


def fiscal_year_start(day: date, start_month: int) -> date:
    """The first day of the fiscal year ``day`` lies in (years start on ``start_month`` 1st)."""
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def next_fiscal_year(start: date) -> date:
    return date(start.year + 1, start.month, 1)


def split(date_from: date, date_to: date, start_month: int) -> list[Slice]:
    """The period cut at fiscal-year borders, oldest first; each slice is one file."""
    if date_to < date_from:
        raise ValueError("the period ends before it starts")
    slices = []
    start = fiscal_year_start(date_from, start_month)
    while start <= date_to:
        end = next_fiscal_year(start) - timedelta(days=1)
        slices.append(Slice(start, max(start, date_from), min(end, date_to)))
        start = next_fiscal_year(start)
    return slices
