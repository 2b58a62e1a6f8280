"""The billing schedule's planner (billing.schedule): periods, what each invoice bills, the end
of a contract, revisions; properties checked with hypothesis."""

import itertools
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.schedule import (
    MONTH,
    ONCE,
    YEAR,
    ContractLine,
    add_months,
    due_invoices,
    invoice_for,
    next_period,
    period,
    period_of,
    periods,
    quote_interval,
    revise,
)

MONTHLY = ContractLine("m", "Managed Workplace", D("12.5"), D("19.90"), MONTH, D(19))
YEARLY = ContractLine("y", "Backup licence", D("1"), D("480.00"), YEAR, D(19))
SETUP = ContractLine("o", "Onboarding", D("1.5"), D("95.00"), ONCE, D(19))


def test_month_end_anchors_clamp_and_come_back():
    """31 Jan → 28 Feb → 31 Mar → 30 Apr (and 29 Feb in a leap year)."""
    start = date(2027, 1, 31)
    assert [add_months(start, k) for k in range(4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert period(start, 0).end == date(2027, 2, 27)
    assert period(start, 1).start == date(2027, 2, 28)
    assert period(start, 1).end == date(2027, 3, 30)


def test_periods_are_due_on_their_first_day():
    start = date(2027, 1, 15)
    assert [p.start for p in periods(start, None, date(2027, 3, 14))] == [
        date(2027, 1, 15),
        date(2027, 2, 15),
    ]
    assert len(periods(start, None, date(2027, 3, 15))) == 3
    assert periods(start, None, date(2027, 1, 14)) == []


def test_the_first_invoice_has_the_one_time_the_monthly_and_the_yearly_lines():
    start = date(2027, 1, 1)
    first, second = due_invoices([MONTHLY, YEARLY, SETUP], start, None, date(2027, 2, 1), "EUR")
    assert [line.ref for line in first.lines] == ["m", "y", "o"]
    assert [line.ref for line in second.lines] == ["m"]
    monthly, yearly, setup = first.lines
    assert (monthly.quantity, monthly.net) == (D("12.5"), D("248.75"))
    assert (monthly.service_start, monthly.service_end) == (date(2027, 1, 1), date(2027, 1, 31))
    assert (yearly.service_start, yearly.service_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert setup.net == D("142.50")
    assert first.net == D("871.25")
    assert first.tax == D("165.54")  # 19 % of the rate's summed net, rounded once
    assert first.gross == D("1036.79")


def test_a_yearly_line_bills_again_in_the_thirteenth_period():
    start = date(2027, 3, 31)
    invoices = due_invoices([MONTHLY, YEARLY], start, None, date(2028, 3, 31), "EUR")
    assert len(invoices) == 13
    yearly = [(i.period.index, line) for i in invoices for line in i.lines if line.ref == "y"]
    assert [index for index, _ in yearly] == [0, 12]
    assert yearly[0][1].service_end == date(2028, 3, 30)
    assert yearly[1][1].service_start == date(2028, 3, 31)


def test_a_year_of_monthly_periods_is_twelve_invoices_without_gaps():
    start = date(2027, 1, 31)
    invoices = due_invoices([MONTHLY], start, None, date(2027, 12, 31), "EUR")
    assert len(invoices) == 12
    for before, after in itertools.pairwise(invoices):
        assert after.service_start == before.service_end + timedelta(days=1)
    assert invoices[-1].service_end == date(2028, 1, 30)
    assert sum(i.net for i in invoices) == 12 * D("248.75")


def test_an_end_at_a_period_s_end_bills_whole_periods():
    start = date(2027, 1, 1)
    invoices = due_invoices([MONTHLY], start, date(2027, 3, 31), date(2030, 1, 1), "EUR")
    assert [i.service_end for i in invoices] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    assert not any(line.prorated for i in invoices for line in i.lines)


def test_an_end_on_a_date_prorates_the_last_period_by_days():
    """10 of March's 31 days of 248.75 = 80.24 (80.2419… rounded half up), as quantity 1."""
    start = date(2027, 1, 1)
    invoices = due_invoices([MONTHLY], start, date(2027, 3, 10), date(2030, 1, 1), "EUR")
    last = invoices[-1]
    assert (last.service_start, last.service_end) == (date(2027, 3, 1), date(2027, 3, 10))
    (line,) = last.lines
    assert (line.served_days, line.period_days) == (10, 31)
    assert (line.quantity, line.unit_price, line.net) == (D(1), D("80.24"), D("80.24"))


def test_a_yearly_line_in_a_cut_period_is_prorated_over_its_year():
    start = date(2027, 1, 1)
    (invoice,) = due_invoices([YEARLY], start, date(2027, 1, 31), date(2030, 1, 1), "EUR")
    (line,) = invoice.lines
    assert (line.served_days, line.period_days) == (31, 365)
    assert line.net == D("40.77")  # 480 × 31 / 365 = 40.767…


def test_nothing_is_billed_after_the_end():
    start = date(2027, 1, 1)
    assert invoice_for([MONTHLY], start, date(2027, 1, 31), period(start, 1), "EUR") is None
    assert next_period(start, date(2027, 1, 31), date(2027, 1, 5)) is None
    assert next_period(start, None, date(2027, 1, 5)).start == date(2027, 2, 1)
    assert next_period(start, None, date(2026, 12, 5)).start == start


def test_a_revision_applies_from_the_next_period():
    start = date(2027, 1, 1)
    old = ContractLine("m", "RMM", D("10"), D("4.50"), MONTH, D(19), None, None, date(2027, 2, 14))
    new = ContractLine("m2", "RMM", D("14"), D("4.50"), MONTH, D(19), None, date(2027, 2, 15))
    extra = ContractLine("o2", "Setup", D("1"), D("50"), ONCE, D(19), None, date(2027, 2, 15))
    invoices = due_invoices([old, new, extra], start, None, date(2027, 4, 1), "EUR")
    assert [[line.ref for line in i.lines] for i in invoices] == [
        ["m"],
        ["m"],
        ["m2", "o2"],
        ["m2"],
    ]


def test_a_discount_is_kept_and_applied_once():
    line = ContractLine("d", "EDR", D("12"), D("6.90"), MONTH, D(19), D("12.5"))
    (invoice,) = due_invoices([line], date(2027, 1, 1), None, date(2027, 1, 1), "EUR")
    assert invoice.lines[0].discount_percent == D("12.5")
    assert invoice.net == D("72.45")  # 82.80 × 0.875


def test_a_period_without_lines_has_no_invoice():
    (invoice,) = due_invoices([SETUP], date(2027, 1, 1), None, date(2027, 6, 1), "EUR")
    assert invoice.period.index == 0


def test_mixed_rates_are_taxed_per_rate():
    food = ContractLine("f", "Reduced", D("3"), D("3.33"), MONTH, D(7))
    (invoice,) = due_invoices([MONTHLY, food], date(2027, 1, 1), None, date(2027, 1, 1), "EUR")
    assert invoice.tax_by_rate == {D(7): D("0.70"), D(19): D("47.26")}


def test_the_quote_s_billing_periods_map_to_intervals():
    assert [quote_interval(p) for p in ("one_time", "monthly", "yearly")] == [ONCE, MONTH, YEAR]
    with pytest.raises(ValueError):
        period_of(date(2027, 1, 2), date(2027, 1, 1))


starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=starts, months=st.integers(min_value=1, max_value=40))
def test_periods_have_no_gaps_and_no_overlaps(start, months):
    found = periods(start, None, add_months(start, months - 1))
    assert len(found) == months
    assert found[0].start == start
    for before, after in itertools.pairwise(found):
        assert after.start == before.end + timedelta(days=1)
        assert 28 <= before.days <= 31
    for p in found:
        assert period_of(start, p.start) == p
        assert period_of(start, p.end) == p


amounts = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
quantities = st.decimals(min_value=D("0.25"), max_value=D("500"), places=2)


@settings(max_examples=200, deadline=None)
@given(start=starts, quantity=quantities, price=amounts)
def test_a_simulated_year_is_twelve_invoices_of_exact_cents(start, quantity, price):
    line = ContractLine("m", "Monthly", quantity, price, MONTH, D(19))
    year = due_invoices([line], start, None, add_months(start, 11), "EUR")
    assert len(year) == 12
    assert len({i.period.start for i in year}) == 12
    assert year[-1].service_end == add_months(start, 12) - timedelta(days=1)
    for invoice in year:
        assert invoice.net == (quantity * price).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        assert invoice.net.as_tuple().exponent == -2
        assert invoice.tax == (invoice.net * D("0.19")).quantize(D("0.01"), "ROUND_HALF_UP")


@settings(max_examples=200, deadline=None)
@given(start=starts, price=amounts, served=st.integers(min_value=0, max_value=40))
def test_an_end_date_prorates_exactly_and_never_bills_more(start, price, served):
    line = ContractLine("m", "Monthly", D(1), price, MONTH, D(19))
    ends_on = start + timedelta(days=served)
    invoices = due_invoices([line], start, ends_on, ends_on + timedelta(days=400), "EUR")
    assert invoices[-1].service_end == ends_on
    billed_days = sum((i.service_end - i.service_start).days + 1 for i in invoices)
    assert billed_days == served + 1
    for invoice in invoices:
        assert D(0) <= invoice.net <= price
        assert invoice.net.as_tuple().exponent == -2


# -- contract changes ---------------------------------------------------------------------------

RMM = ContractLine("q1", "RMM agent", D("10"), D("4.50"), MONTH, D(19))
BACKUP = ContractLine("q2", "Backup licence", D("1"), D("480.00"), YEAR, D(19))
ONBOARDING = ContractLine("q3", "Onboarding", D("1"), D("299.00"), ONCE, D(19))


def with_quantity(line, quantity):
    return ContractLine(line.ref, line.description, D(quantity), line.unit_price, line.interval,
                        line.tax_rate)  # fmt: skip


def test_an_unchanged_revision_changes_nothing():
    change = revise(
        [RMM, BACKUP, ONBOARDING], [RMM, BACKUP, ONBOARDING], START_DAY, date(2027, 2, 10), "EUR"
    )
    assert (change.close, change.add, change.one_off) == ((), (), None)
    assert change.boundary == date(2027, 3, 1)


START_DAY = date(2027, 1, 1)


def test_a_monthly_change_applies_from_the_next_period():
    change = revise([RMM], [with_quantity(RMM, "14")], START_DAY, date(2027, 2, 10), "EUR")
    assert change.close == (("q1", date(2027, 2, 28)),)
    (added,) = change.add
    assert (added.quantity, added.effective_from) == (D("14"), date(2027, 3, 1))
    lines = [
        ContractLine(RMM.ref, RMM.description, RMM.quantity, RMM.unit_price, MONTH, D(19),
                     None, None, date(2027, 2, 28)),
        added,
    ]  # fmt: skip
    invoices = due_invoices(lines, START_DAY, None, date(2027, 4, 1), "EUR")
    assert [i.net for i in invoices] == [D("45.00"), D("45.00"), D("63.00"), D("63.00")]


def test_the_one_off_invoice_prorates_the_increase_to_the_cent():
    """4 more agents × 4.50 = 18.00 a month; 10 Feb–28 Feb is 19 of 28 days: 12.21 (12.214…)."""
    change = revise([RMM], [with_quantity(RMM, "14")], START_DAY, date(2027, 2, 10), "EUR")
    one_off = change.one_off
    assert (one_off.service_start, one_off.service_end) == (date(2027, 2, 10), date(2027, 2, 28))
    (line,) = one_off.lines
    assert (line.served_days, line.period_days, line.net) == (19, 28, D("12.21"))
    assert (one_off.net, one_off.tax, one_off.gross) == (D("12.21"), D("2.32"), D("14.53"))


def test_a_reduction_has_no_one_off_and_applies_next_period():
    change = revise([RMM], [with_quantity(RMM, "6")], START_DAY, date(2027, 2, 10), "EUR")
    assert change.one_off is None and change.add[0].quantity == D("6")


def test_a_changed_yearly_line_applies_from_its_next_year():
    change = revise([BACKUP], [with_quantity(BACKUP, "2")], START_DAY, date(2027, 5, 3), "EUR")
    assert change.close == (("q2", date(2027, 12, 31)),)
    assert change.add[0].effective_from == date(2028, 1, 1)
    assert change.one_off is None


def test_new_lines_start_next_period_and_removed_ones_end():
    extra = ContractLine("q4", "Firewall", D("1"), D("30.00"), MONTH, D(19))
    setup = ContractLine("q5", "Firewall setup", D("1"), D("150.00"), ONCE, D(19))
    change = revise(
        [RMM, ONBOARDING], [extra, setup, ONBOARDING], START_DAY, date(2027, 2, 10), "EUR"
    )
    assert change.close == (("q1", date(2027, 2, 28)),)
    assert [(a.ref, a.effective_from) for a in change.add] == [
        ("q4", date(2027, 3, 1)),
        ("q5", date(2027, 3, 1)),
    ]
    assert change.one_off.lines[0].net == D("20.36")  # 30.00 × 19 / 28 = 20.357…
