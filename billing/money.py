"""Money: Decimal amounts, currency exponents and the one rounding rule.

THE ROUNDING RULE (used everywhere, written down once):
  1. A line's net amount is quantity × unit price × (1 − discount % / 100), computed exactly in
     Decimal and then rounded once to the currency's minor unit, half up (0.005 → 0.01).
  2. Every total is the sum of already-rounded line amounts, so a displayed total always equals
     the sum of the displayed lines, to the cent.
  3. Tax is computed per rate on the rounded net total of the lines it applies to, rounded half up.
  4. At the Stripe boundary, amounts become integer minor units (exact: amounts are already
     rounded to the minor unit).
Pure: no ORM, no settings, no clock.
"""

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents that differ from 2 (for the currencies Stripe bills in).
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "UGX": 0, "BHD": 3, "KWD": 3}

# Stripe's smallest chargeable amount per currency (in major units). Below it, Stripe marks an
# invoice paid and credits the balance. Source: ../shared/notes/vat-and-tax-id-facts.md §6.
MINIMUM_CHARGE = {
    "USD": Decimal("0.50"),
    "EUR": Decimal("0.50"),
    "GBP": Decimal("0.30"),
    "CHF": Decimal("0.50"),
    "CAD": Decimal("0.50"),
    "AUD": Decimal("0.50"),
    "NZD": Decimal("0.50"),
    "SGD": Decimal("0.50"),
    "DKK": Decimal("2.50"),
    "SEK": Decimal("3.00"),
    "NOK": Decimal("3.00"),
    "PLN": Decimal("2.00"),
    "CZK": Decimal("15.00"),
    "HUF": Decimal("175.00"),
    "RON": Decimal("2.00"),
    "BGN": Decimal("1.00"),
    "HKD": Decimal("4.00"),
    "JPY": Decimal("50"),
    "MXN": Decimal("10"),
}
# The safe per-payment ceiling: eight digits of the minor unit (e.g. 999,999.99 USD).
MAXIMUM_MINOR_UNITS = 99_999_999

HUNDRED = Decimal(100)


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def line_net(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal | None, currency: str
) -> Decimal:
    """Net amount of one line: exact product, one rounding at the end (rule 1)."""
    exact = Decimal(quantity) * Decimal(unit_price)
    if discount_percent:
        exact = exact * (HUNDRED - Decimal(discount_percent)) / HUNDRED
    return round_money(exact, currency)


def tax_amount(net_total: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """Tax on a rounded net total (rule 3)."""
    return round_money(Decimal(net_total) * Decimal(rate_percent) / HUNDRED, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact conversion for Stripe; refuses amounts that are not whole minor units."""
    scaled = Decimal(amount).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-exponent(currency)).quantize(quantum(currency))
