"""Reading typed numbers with a decimal comma or point (mspercury.numbers, LocalDecimalField)."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mspercury.forms import LocalDecimalField
from mspercury.numbers import AmbiguousNumber, parse_decimal

D = Decimal


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("12,50", ",", D("12.50")),
        ("12,50", ".", D("12.50")),
        ("12.50", ",", D("12.50")),
        ("12.5", ".", D("12.5")),
        ("1.234,56", ",", D("1234.56")),
        ("1,234.56", ",", D("1234.56")),
        ("1.234.567", ",", D("1234567")),
        ("1,234,567.5", ".", D("1234567.5")),
        ("1 234,56", ",", D("1234.56")),
        ("1\u202f234,56", ",", D("1234.56")),
        ("1'234.50", ".", D("1234.50")),
        ("1,250", ",", D("1.250")),
        ("1.250", ".", D("1.250")),
        ("0.125", ",", D("0.125")),
        (",5", ",", D("0.5")),
        ("12,", ",", D("12")),
        ("-3,5", ",", D("-3.5")),
        ("+7", ".", D("7")),
        (" 42 ", ".", D("42")),
    ],
)
def test_it_reads_either_mark_where_the_meaning_is_clear(text, mark, value):
    assert parse_decimal(text, mark) == value


@pytest.mark.parametrize(("text", "mark"), [("1.250", ","), ("1,250", "."), ("12.500", ",")])
def test_one_foreign_mark_before_three_digits_is_ambiguous(text, mark):
    with pytest.raises(AmbiguousNumber):
        parse_decimal(text, mark)


@pytest.mark.parametrize(
    "text", ["", " ", "abc", "1.2.3", "12,5.0,1", "1.23.456", "1,2345,6", "--1", "1e3", ",", "1-2"]
)
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        parse_decimal(text, ",")


@given(
    st.decimals(min_value=0, max_value=D("9999999999.99"), places=2, allow_nan=False),
    st.sampled_from([(",", "."), (".", ","), (",", " "), (".", " ")]),
)
def test_a_number_written_in_a_locales_style_reads_back(value, marks):
    """Any amount formatted with grouping and a decimal mark reads back as itself, in the
    language that writes it that way."""
    decimal_mark, group_mark = marks
    integer, fraction = f"{value:.2f}".split(".")
    grouped = f"{int(integer):,}".replace(",", group_mark)
    assert parse_decimal(f"{grouped}{decimal_mark}{fraction}", decimal_mark) == value


def test_the_field_is_a_decimal_text_input_and_explains_ambiguity():
    """The widget is a text input with inputmode=decimal (no browser-side number parsing); a
    German 12,50 is 12.50, and 1.250 gets an error that says how to write it."""
    field = LocalDecimalField(max_digits=12, decimal_places=2)
    html = field.widget.render("amount", D("1234.5"), field.widget_attrs(field.widget))
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    with translation.override("de"):
        assert field.clean("12,50") == D("12.50")
        assert 'value="1234,5"' in field.widget.render("amount", D("1234.5"))
        with pytest.raises(Exception) as error:
            field.clean("1.250")
    assert "1250" in str(error.value)
    with translation.override("en"):
        assert field.clean("12.50") == D("12.50")
        assert field.clean("12,50") == D("12.50")
