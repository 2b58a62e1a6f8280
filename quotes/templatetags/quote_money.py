"""Display of amounts: exactly the rounded value, with the currency's minor-unit digits."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from rules.money import exponent, round_money

register = template.Library()


@register.filter
def money(amount, currency="EUR"):
    """``{{ amount|money:quote.currency }}`` → "1,234.50 EUR" (localized separators; the ISO
    code in capitals also where the ledger keeps Stripe's lower-case "eur")."""
    if amount is None or amount == "":
        return ""
    value = round_money(Decimal(amount), currency)
    return f"{number_format(value, exponent(currency), force_grouping=True)} {currency.upper()}"


@register.filter
def amount(value, currency="EUR"):
    """Like ``money`` without the currency code, for table columns."""
    if value is None or value == "":
        return ""
    value = round_money(Decimal(value), currency)
    return number_format(value, exponent(currency), force_grouping=True)


@register.filter
def quantity(value):
    """Quantities without trailing zeros: 3, 2.5, 0.25."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return number_format(value.quantize(Decimal(1)), 0)
    return number_format(value.normalize(), None)


@register.filter
def minor(value, currency="EUR"):
    """Integer minor units (as Stripe reports them) shown like ``amount``: 12345 → "123.45"."""
    if value is None or value == "":
        return ""
    from rules.money import from_minor_units

    return amount(from_minor_units(int(value), currency), currency)


@register.filter
def minor_money(value, currency="EUR"):
    """Integer minor units shown like ``money``, with the currency: 12345 → "123.45 EUR"
    (lists mixing invoices of several currencies never show a bare number)."""
    if value is None or value == "":
        return ""
    from rules.money import from_minor_units

    return money(from_minor_units(int(value), currency), currency)
