"""Money: Decimal amounts, currency exponents and the one rounding rule.

THE ROUNDING RULE (used everywhere, written down once):
  1. A line's net amount is quantity × unit price × (1 − discount % / 100), computed exactly in
     Decimal and then rounded once to the currency's minor unit, half up (0.005 → 0.01).
  2. Every total is the sum of already-rounded line amounts, so a displayed total always equals
     the sum of the displayed lines, to the cent.
  3. Tax is computed per line on its rounded net amount, rounded half up, and the line taxes are
     summed per rate: Stripe's tax rates round each invoice line, so a quote and every Stripe
     invoice made from it agree to the cent (quotes/domain.py).
  4. At the Stripe boundary, amounts become integer minor units (exact: amounts are already
     rounded to the minor unit).
Pure: no ORM, no settings, no clock.
"""

from collections.abc import Iterable
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

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

# Arithmetic that never rounds on its own: the default context keeps only 28 digits, which would
# silently round large products (a second, hidden rounding) and make quantize() fail.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def _decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from Decimal, int or str; floats are refused (1.005 is really 1.00499…)."""
    if isinstance(value, float):
        raise TypeError(f"money amounts must be Decimal, int or str, not float ({value!r})")
    return Decimal(value)


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def unusual_exponents() -> dict[str, int]:
    """The currencies whose minor unit is not the hundredth, with their exponents."""
    return dict(_EXPONENTS)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up."""
    return _decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP, context=_EXACT)


def line_net(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal | None, currency: str
) -> Decimal:
    """Net amount of one line: exact product, one rounding at the end (rule 1)."""
    exact = _EXACT.multiply(_decimal(quantity), _decimal(unit_price))
    if discount_percent:
        remaining = _EXACT.subtract(HUNDRED, _decimal(discount_percent))
        exact = _EXACT.multiply(exact, remaining).scaleb(-2, context=_EXACT)
    return round_money(exact, currency)


def tax_amount(net_total: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """Tax on one rounded net amount (rule 3: applied per line, then summed)."""
    exact = _EXACT.multiply(_decimal(net_total), _decimal(rate_percent)).scaleb(-2, context=_EXACT)
    return round_money(exact, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact conversion for Stripe; refuses amounts that are not whole minor units."""
    amount = _decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount")
    scaled = amount.scaleb(exponent(currency), context=_EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def sum_money(amounts: Iterable[Decimal], currency: str) -> Decimal:
    """A total (rule 2): the sum of amounts already rounded to the minor unit; refuses others."""
    total = round_money(Decimal(0), currency)
    for amount in amounts:
        amount = _decimal(amount)
        if round_money(amount, currency) != amount:
            raise ValueError(f"{amount} {currency} is not rounded to the minor unit")
        total = _EXACT.add(total, amount)
    return total


def from_minor_units(value: int, currency: str) -> Decimal:
    return (
        Decimal(value)
        .scaleb(-exponent(currency), context=_EXACT)
        .quantize(quantum(currency), context=_EXACT)
    )
