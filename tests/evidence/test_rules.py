"""The pure rules of the evidence records and VAT reports, table-tested."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.evidence.rules import (
    BadPeriod,
    CreditedLine,
    Decision,
    Period,
    Row,
    SupplyAmount,
    Total,
    aggregate,
    by_credited_lines,
    parse_period,
    parse_rate_key,
    place_of_supply,
    pro_rata,
    quarter_of,
    split,
)


@pytest.mark.parametrize(
    ("billing", "bank", "ip", "expected"),
    [
        ("FR", "FR", "FR", Decision("FR", False)),
        ("FR", "", "", Decision("FR", False)),  # one item
        ("", "DE", "", Decision("DE", False)),
        ("", "", "AT", Decision("AT", False)),
        ("", "", "", Decision("", False)),  # no evidence at all
        ("GB", "ES", "ES", Decision("ES", True)),  # Quaderno's example: the majority wins
        ("FR", "US", "", Decision("FR", True)),  # a tie: billing address first
        ("", "US", "IT", Decision("US", True)),  # a tie without billing: bank before IP
        ("FR", "US", "IT", Decision("FR", True)),  # all different: billing address
        ("fr", "FR", "", Decision("FR", False)),  # case does not matter
        ("FR", "", "FR", Decision("FR", False)),
    ],
)
def test_it_decides_the_place_of_supply(billing, bank, ip, expected):
    assert place_of_supply(billing, bank, ip) == expected


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the remainder to the earliest of equal remainders
        (-100, [1, 1, 1], [-34, -33, -33]),
        (1000, [3, 1], [750, 250]),
        (1, [1, 1], [1, 0]),
        (10, [0, 5], [0, 10]),  # zero weight gets nothing
        (10, [0, 0], [10, 0]),  # all zero: the first takes it
        (0, [3, 4], [0, 0]),
        (7, [], []),
        (1190, [1000, 190], [1000, 190]),  # a gross refund over net and VAT
        (595, [1000, 190], [500, 95]),
        (101, [2, 1, 1], [51, 25, 25]),
    ],
)
def test_it_splits_to_the_cent(amount, weights, expected):
    assert split(amount, weights) == expected


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
)
def test_split_always_adds_up_and_stays_near_the_exact_share(amount, weights):
    parts = split(amount, weights)
    assert sum(parts) == amount
    assert len(parts) == len(weights)
    total = sum(weights)
    if total:
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - amount * weight / total) < 1 + 1e-6 * abs(amount)
            if weight == 0:
                assert part == 0


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("2026-11", "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-01", "2026-01", date(2026, 1, 1), date(2026, 2, 1)),
        ("2026-Q4", "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-q1", "2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        (" 2026-Q2 ", "2026-Q2", date(2026, 4, 1), date(2026, 7, 1)),
        ("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_it_reads_months_quarters_and_years(text, code, start, end):
    period = parse_period(text)
    assert (period.code, period.start, period.end) == (code, start, end)


@pytest.mark.parametrize(
    "text",
    ["", "9999", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "26", "0000", "Q4-2026", "2026-11-01"],
)
def test_it_refuses_anything_else(text):
    with pytest.raises(BadPeriod):
        parse_period(text)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9998, 12, 31)))
def test_every_day_lies_in_its_month_quarter_and_year(day):
    month = Period("month", day.year, day.month)
    quarter = quarter_of(day)
    year = Period("year", day.year)
    for period in (month, quarter, year):
        assert day in period and parse_period(period.code) == period
    assert month.start >= quarter.start >= year.start
    assert month.end <= quarter.end <= year.end


def _row(treatment="domestic", country="DE", rate="19", net=1000, tax=190, **kw):
    return Row(treatment, country, rate, kw.pop("currency", "EUR"), net, tax, **kw)


def test_it_totals_per_treatment_country_rate_and_currency():
    rows = [
        _row(net=1000, tax=190),
        _row(net=-200, tax=-38),  # a refund of it
        _row(treatment="reverse_charge", country="FR", rate="0", net=5000, tax=0),
        _row(net=100, tax=19, currency="CHF"),
        _row(treatment="export", country="CH", rate="0", net=700, tax=0),
    ]
    assert aggregate(rows) == [
        Total("domestic", "DE", "19", "CHF", 100, 19, 1),
        Total("domestic", "DE", "19", "EUR", 800, 152, 2),
        Total("export", "CH", "0", "EUR", 700, 0, 1),
        Total("reverse_charge", "FR", "0", "EUR", 5000, 0, 1),
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["domestic", "reverse_charge", "export"]),
            st.sampled_from(["DE", "FR", "CH"]),
            st.integers(min_value=-(10**9), max_value=10**9),
            st.integers(min_value=-(10**8), max_value=10**8),
        ),
        max_size=40,
    )
)
def test_totals_always_add_up_to_the_rows(raw):
    rows = [_row(t, c, net=n, tax=x) for t, c, n, x in raw]
    totals = aggregate(rows)
    assert sum(t.net for t in totals) == sum(r.net for r in rows)
    assert sum(t.tax for t in totals) == sum(r.tax for r in rows)
    assert sum(t.rows for t in totals) == len(rows)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("FR:0:exclusive:reverse_charge", ("FR", "0", False, "reverse_charge")),
        ("DE:19:exclusive:domestic", ("DE", "19", False, "domestic")),
        ("FI:25.5:inclusive:domestic", ("FI", "25.5", True, "domestic")),
        ("-:0:exclusive:export", ("", "0", False, "export")),
        ("DE:19:exclusive", None),
        ("DE:abc:exclusive:domestic", None),
        ("DE:19:both:domestic", None),
        ("", None),
    ],
)
def test_it_reads_mspercurys_tax_rate_keys(key, expected):
    found = parse_rate_key(key)
    assert (found and (found.country, found.percent, found.inclusive, found.treatment)) == (
        expected
    )


S = SupplyAmount


@pytest.mark.parametrize(
    ("amount", "supplies", "expected"),
    [
        (1190, [S("a", 1000, 190)], [(1000, 190)]),
        (2380, [S("a", 1000, 190), S("b", 1000, 190)], [(1000, 190), (1000, 190)]),
        (1001, [S("a", 5000, 0), S("b", 5000, 0)], [(501, 0), (500, 0)]),
        (100, [S("a", 1000, 190), S("b", 2000, 0)], [(31, 6), (63, 0)]),
        (0, [S("a", 1000, 190)], [(0, 0)]),
    ],
)
def test_money_back_is_shared_pro_rata_over_net_and_vat(amount, supplies, expected):
    assert pro_rata(amount, supplies) == expected


@given(
    st.integers(min_value=0, max_value=10**10),
    st.lists(st.tuples(st.integers(0, 10**8), st.integers(0, 10**7)), min_size=1, max_size=20),
)
def test_pro_rata_always_adds_up_to_the_cent(amount, raw):
    supplies = [S(f"il_{i}", net, tax) for i, (net, tax) in enumerate(raw)]
    parts = pro_rata(amount, supplies)
    assert sum(net + tax for net, tax in parts) == amount
    for (_net, tax), supply in zip(parts, supplies, strict=True):
        if supply.tax == 0 and supply.net:
            assert tax == 0  # no VAT back on a supply that carried none


@pytest.mark.parametrize(
    ("amount", "lines", "expected"),
    [
        (1190, [CreditedLine("b", 1000, 190)], [(0, 0), (1000, 190)]),
        (
            1500,
            [CreditedLine("a", 1000, 0), CreditedLine("a", 500, 0)],
            [(1500, 0), (0, 0)],
        ),
        (1190, [CreditedLine("zz", 1000, 190)], None),  # not one of our lines
        (1190, [CreditedLine("", 1190, 0)], None),  # a custom line
        (2000, [CreditedLine("a", 1000, 190)], None),  # lines that don't add up to it
        (1190, [], None),
    ],
)
def test_a_credit_notes_lines_say_which_supply_it_lowers(amount, lines, expected):
    supplies = [S("a", 5000, 950), S("b", 1000, 190)]
    assert by_credited_lines(amount, supplies, lines) == expected
