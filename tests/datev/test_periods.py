"""Fiscal-year split: one file per fiscal year, whatever month the year starts in."""

from datetime import date

import pytest

from billing.datev.periods import Slice, fiscal_year_start, split


@pytest.mark.parametrize(
    ("day", "month", "start"),
    [
        (date(2026, 1, 1), 1, date(2026, 1, 1)),
        (date(2026, 12, 31), 1, date(2026, 1, 1)),
        (date(2026, 6, 30), 7, date(2025, 7, 1)),
        (date(2026, 7, 1), 7, date(2026, 7, 1)),
    ],
)
def test_it_finds_the_fiscal_year(day, month, start):
    assert fiscal_year_start(day, month) == start


def test_a_period_inside_one_year_is_one_slice():
    assert split(date(2026, 3, 1), date(2026, 3, 31), 1) == [
        Slice(date(2026, 1, 1), date(2026, 3, 1), date(2026, 3, 31))
    ]


def test_it_splits_at_the_calendar_year():
    assert split(date(2025, 12, 1), date(2026, 1, 31), 1) == [
        Slice(date(2025, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
        Slice(date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 31)),
    ]


def test_it_splits_at_a_fiscal_year_starting_in_july():
    assert split(date(2025, 12, 1), date(2026, 8, 15), 7) == [
        Slice(date(2025, 7, 1), date(2025, 12, 1), date(2026, 6, 30)),
        Slice(date(2026, 7, 1), date(2026, 7, 1), date(2026, 8, 15)),
    ]


def test_it_refuses_a_period_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        split(date(2026, 2, 1), date(2026, 1, 1), 1)
