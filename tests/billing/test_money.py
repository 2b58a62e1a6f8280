"""The one rounding rule of rules/money.py, example by example and as properties."""

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.money import (
    exponent,
    from_minor_units,
    line_net,
    quantum,
    round_money,
    sum_money,
    tax_amount,
    to_minor_units,
)

D = Decimal


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", 2), ("usd", 2), ("CHF", 2), ("JPY", 0), ("KRW", 0), ("BHD", 3), ("KWD", 3)],
)
def test_it_knows_the_minor_unit_exponent(currency, expected):
    """Two decimals by default, none for JPY/KRW, three for BHD/KWD, case-insensitive."""
    assert exponent(currency) == expected
    assert quantum(currency) == D(1).scaleb(-expected)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "EUR", "0.01"),
        ("0.004999", "EUR", "0.00"),
        ("1.015", "EUR", "1.02"),
        ("1.025", "EUR", "1.03"),
        ("2.675", "EUR", "2.68"),
        ("-0.005", "EUR", "-0.01"),
        ("-1.004", "EUR", "-1.00"),
        ("10", "EUR", "10.00"),
        ("0.5", "JPY", "1"),
        ("1.4999", "JPY", "1"),
        ("2.5", "JPY", "3"),
        ("0.0005", "BHD", "0.001"),
        ("1.2344", "BHD", "1.234"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_it_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    """Halves go away from zero; the result carries exactly the currency's decimals."""
    result = round_money(D(amount), currency)
    assert result == D(expected)
    assert str(result) == expected


def test_it_rounds_half_up_whatever_the_ambient_context_says():
    """A caller's context with banker's rounding or low precision does not change the result."""
    with localcontext() as ctx:
        ctx.rounding = "ROUND_HALF_EVEN"
        ctx.prec = 5
        assert round_money(D("0.125"), "EUR") == D("0.13")
        assert line_net(D("12345.67"), D("89012.34"), None, "EUR") == D("1098916975.57")


def test_it_refuses_floats():
    """Floats are refused: 1.005 as a float is 1.00499…, which would round to 1.00."""
    with pytest.raises(TypeError):
        round_money(1.005, "EUR")
    with pytest.raises(TypeError):
        line_net(1, 1.005, None, "EUR")
    with pytest.raises(TypeError):
        to_minor_units(19.99, "EUR")


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "currency", "expected"),
    [
        ("1", "10.00", None, "EUR", "10.00"),
        ("3", "0.335", None, "EUR", "1.01"),  # 1.005 → 1.01, rounded once
        ("3", "19.99", "0", "EUR", "59.97"),
        ("3", "19.99", "10", "EUR", "53.97"),  # 53.973
        ("7", "0.15", "50", "EUR", "0.53"),  # 0.525 → 0.53
        ("2.5", "10.01", "12.5", "EUR", "21.90"),  # 21.896875
        ("1", "99.99", "100", "EUR", "0.00"),
        ("0", "99.99", None, "EUR", "0.00"),
        ("12.75", "8.50", "33.33", "EUR", "72.25"),  # 72.2536125
        ("3", "333", "10", "JPY", "899"),  # 899.1
        ("1", "1001", "50", "JPY", "501"),  # 500.5 → 501
        ("1.5", "0.333", None, "BHD", "0.500"),  # 0.4995 → 0.500
        ("2", "1.2345", "0", "KWD", "2.469"),
    ],
)
def test_it_computes_a_line_net(quantity, price, discount, currency, expected):
    """quantity × price × (1 − discount/100), rounded once, half up."""
    discount = D(discount) if discount is not None else None
    result = line_net(D(quantity), D(price), discount, currency)
    assert result == D(expected)
    assert str(result) == expected


def test_it_rounds_a_line_only_once():
    """Rounding the undiscounted product first would give a different (wrong) cent."""
    # 3 × 0.335 = 1.005 → 1.01, then −50 % = 0.505 → 0.51; exact: 0.5025 → 0.50.
    assert line_net(D("3"), D("0.335"), D("50"), "EUR") == D("0.50")


def test_it_keeps_line_nets_exact_for_huge_numbers():
    """Products longer than Decimal's default 28 digits are not silently rounded first."""
    result = line_net(D("123456789012345678"), D("1.000000000000000005"), None, "EUR")
    # exact 123456789012345678.617283945061728390 → .62
    assert result == D("123456789012345678.62")


@pytest.mark.parametrize(
    ("net", "rate", "currency", "expected"),
    [
        ("100.00", "19", "EUR", "19.00"),
        ("0.05", "19", "EUR", "0.01"),  # 0.0095
        ("10.50", "8.1", "CHF", "0.85"),  # 0.8505
        ("99.99", "25.5", "EUR", "25.50"),  # 25.497…
        ("0.02", "25", "EUR", "0.01"),  # 0.005 → 0.01
        ("1000", "10", "JPY", "100"),
        ("1.001", "5", "BHD", "0.050"),  # 0.05005
        ("123.45", "0", "EUR", "0.00"),
    ],
)
def test_it_computes_tax_on_a_net_total(net, rate, currency, expected):
    """Tax = rounded net total × rate / 100, rounded half up (rule 3)."""
    result = tax_amount(D(net), D(rate), currency)
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.34", "EUR", 1234),
        ("12.3", "EUR", 1230),
        ("12.340000", "EUR", 1234),
        ("0", "EUR", 0),
        ("-5.01", "EUR", -501),
        ("999999.99", "USD", 99_999_999),
        ("1500", "JPY", 1500),
        ("1.5E+3", "JPY", 1500),
        ("1.234", "BHD", 1234),
        ("0.001", "KWD", 1),
        ("1234567890123456789012345678.91", "EUR", 123456789012345678901234567891),
    ],
)
def test_it_converts_to_minor_units_exactly(amount, currency, expected):
    """Whole minor units become the exact int Stripe expects, however long the number."""
    result = to_minor_units(D(amount), currency)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("12.345", "EUR"),
        ("0.001", "USD"),
        ("1.5", "JPY"),
        ("0.0001", "BHD"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("-Infinity", "EUR"),
    ],
)
def test_it_refuses_amounts_that_are_not_whole_minor_units(amount, currency):
    """Anything that would need rounding at the Stripe boundary is a bug: ValueError."""
    with pytest.raises(ValueError):
        to_minor_units(D(amount), currency)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [(1234, "EUR", "12.34"), (5, "EUR", "0.05"), (1500, "JPY", "1500"), (1234, "bhd", "1.234")],
)
def test_it_converts_from_minor_units(value, currency, expected):
    """Integer minor units become a Decimal with exactly the currency's decimals."""
    result = from_minor_units(value, currency)
    assert str(result) == expected
    assert to_minor_units(result, currency) == value


def test_it_sums_rounded_amounts():
    """A total is the plain sum of rounded amounts, carrying the currency's decimals."""
    assert str(sum_money([D("1.10"), D("2"), D("0.01")], "EUR")) == "3.11"
    assert str(sum_money([], "EUR")) == "0.00"
    assert str(sum_money([], "JPY")) == "0"


def test_it_refuses_to_sum_unrounded_amounts():
    """Summing an unrounded amount would break rule 2, so it is refused."""
    with pytest.raises(ValueError):
        sum_money([D("1.10"), D("0.005")], "EUR")


quantities = st.decimals(min_value=0, max_value=D("9999.99"), places=2)
prices = st.decimals(min_value=0, max_value=D("99999.99"), places=2)
discounts = st.none() | st.decimals(min_value=0, max_value=100, places=2)
currencies = st.sampled_from(["EUR", "USD", "CHF", "JPY", "BHD"])


def _exact_line(quantity, price, discount):
    """The exact product, by a different route: plain Decimal with generous precision."""
    with localcontext() as ctx:
        ctx.prec = 60
        factor = (100 - discount) / 100 if discount is not None else 1
        return quantity * price * factor


@given(quantities, prices, discounts, currencies)
def test_it_equals_the_exact_product_rounded_once(quantity, price, discount, currency):
    """line_net is the Decimal-exact product rounded once, half up, to the minor unit."""
    exact = _exact_line(quantity, price, discount)
    with localcontext() as ctx:
        ctx.prec = 60
        expected = exact.quantize(D(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)
    result = line_net(quantity, price, discount, currency)
    assert result == expected
    assert result.as_tuple().exponent == -exponent(currency)
    assert abs(result - exact) <= quantum(currency) / 2


@given(st.lists(st.tuples(quantities, prices, discounts), max_size=30), currencies)
def test_it_reports_a_total_equal_to_the_sum_of_the_shown_lines(lines, currency):
    """The total equals the sum of the lines as displayed, and Stripe's sum of minor units."""
    nets = [line_net(q, p, d, currency) for q, p, d in lines]
    total = sum_money(nets, currency)
    shown = [D(str(net)) for net in nets]
    assert total == sum(shown, D(0))
    assert to_minor_units(total, currency) == sum(to_minor_units(n, currency) for n in nets)
    assert from_minor_units(to_minor_units(total, currency), currency) == total
    assert str(total) == str(round_money(total, currency))


@given(st.integers(min_value=-(10**12), max_value=10**12), currencies)
def test_it_round_trips_minor_units(value, currency):
    """from_minor_units and to_minor_units are inverse for every integer."""
    assert to_minor_units(from_minor_units(value, currency), currency) == value


@given(
    st.decimals(min_value=0, max_value=D("9999999.99"), places=2),
    st.decimals(min_value=0, max_value=30, places=1),
)
def test_it_keeps_tax_within_half_a_cent(net, rate):
    """Tax differs from the exact net × rate / 100 by at most half a minor unit."""
    exact = net * rate / 100
    assert abs(tax_amount(net, rate, "EUR") - exact) <= D("0.005")
