"""Pure rules of the evidence records and VAT reports: no ORM, no clock, no network.

- ``place_of_supply``: the country most evidence items name; without a majority the billing
  address, then the bank/card country, then the IP country (Vatstack's order). Items that
  disagree are a conflict for a person to look at.
- ``split``: an amount over weights, to the cent (largest remainder; the parts always add up).
- ``Period``: a month (2026-11), quarter (2026-Q4) or year (2026).
- ``aggregate``: report totals from plain rows (the EC Sales List is vat_return's).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

# The order that decides when no country has a majority of the evidence items.
PRIORITY = ("billing", "bank", "ip")


@dataclass(frozen=True)
class Decision:
    country: str  # "" when no item names a country
    conflict: bool  # the items name different countries


def place_of_supply(billing: str = "", bank: str = "", ip: str = "") -> Decision:
    """The place of supply from the evidence items present (ISO codes, "" when missing)."""
    items = {"billing": billing.upper(), "bank": bank.upper(), "ip": ip.upper()}
    named = [items[kind] for kind in PRIORITY if items[kind]]
    if not named:
        return Decision("", False)
    conflict = len(set(named)) > 1
    ranked = Counter(named).most_common()
    if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
        return Decision(ranked[0][0], conflict)
    return Decision(named[0], conflict)


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` shared out pro rata to ``weights`` in whole minor units; the parts add up to
    ``amount`` exactly (largest remainder, ties to the earlier part). Zero weights get 0
    unless every weight is zero, then the first part takes everything."""
    if not weights:
        return []
    total = sum(weights)
    if total == 0:
        return [amount] + [0] * (len(weights) - 1)
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    parts = [magnitude * w // total for w in weights]
    remainders = [magnitude * w % total for w in weights]
    left = magnitude - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return [sign * part for part in parts]


# -- periods --------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_YEARS = (1, 9998)  # a period must end before date.max


class BadPeriod(ValueError):
    """Not a month (2026-11), a quarter (2026-Q4) or a year (2026)."""


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "year"
    year: int
    number: int = 1  # the month (1–12) or quarter (1–4); 1 for a year

    @property
    def first_month(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        month = self.first_month + self.months
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


def parse_period(text: str) -> Period:
    """2026-11, 2026-Q4 or 2026 as a Period; anything else raises BadPeriod."""
    text = (text or "").strip()
    if found := _MONTH.match(text):
        year, month = int(found[1]), int(found[2])
        if 1 <= month <= 12 and _YEARS[0] <= year <= _YEARS[1]:
            return Period("month", year, month)
    elif (found := _QUARTER.match(text)) and _YEARS[0] <= int(found[1]) <= _YEARS[1]:
        return Period("quarter", int(found[1]), int(found[2]))
    elif (found := _YEAR.match(text)) and _YEARS[0] <= int(found[1]) <= _YEARS[1]:
        return Period("year", int(found[1]))
    raise BadPeriod(text)


def quarter_of(day: date) -> Period:
    return Period("quarter", day.year, (day.month - 1) // 3 + 1)


def period_of(day: date) -> Period:
    return Period("month", day.year, day.month)


# -- report aggregation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One signed amount of a supply: the supply itself, or a refund or credit note of it
    (negative). ``net`` and ``tax`` in minor units of ``currency``."""

    treatment: str
    country: str  # the place of supply
    rate: str  # percent as text ("19", "0", "25.5")
    currency: str
    net: int
    tax: int
    vat_id: str = ""  # the customer's VAT ID (reverse charge: for the EC Sales List)
    customer: str = ""


@dataclass(frozen=True)
class Total:
    treatment: str
    country: str
    rate: str
    currency: str
    net: int
    tax: int
    rows: int


def aggregate(rows: Iterable[Row]) -> list[Total]:
    """Net and VAT per treatment × place of supply × rate × currency, sorted by those keys."""
    sums: dict[tuple[str, str, str, str], list[int]] = {}
    for row in rows:
        entry = sums.setdefault((row.treatment, row.country, row.rate, row.currency), [0, 0, 0])
        entry[0] += row.net
        entry[1] += row.tax
        entry[2] += 1
    return [Total(*key, net, tax, count) for key, (net, tax, count) in sorted(sums.items())]


# -- MSPercury's tax rates -----------------------------------------------------------------------


@dataclass(frozen=True)
class RateKey:
    country: str
    percent: str
    inclusive: bool
    treatment: str


def parse_rate_key(key: str) -> RateKey | None:
    """integrations.push.tax_rates.TaxRateSpec.key ("FR:0:exclusive:reverse_charge") read
    back, or None for anything else."""
    parts = (key or "").split(":")
    if len(parts) != 4 or parts[2] not in ("inclusive", "exclusive") or not parts[3]:
        return None
    country, percent, behaviour, treatment = parts
    try:
        float(percent)
    except ValueError:
        return None
    return RateKey("" if country == "-" else country, percent, behaviour == "inclusive", treatment)


# -- refunds and credit notes over supplies ------------------------------------------------------


@dataclass(frozen=True)
class SupplyAmount:
    line_id: str
    net: int
    tax: int


@dataclass(frozen=True)
class CreditedLine:
    """A credit note line that names the invoice line it credits (net after its discount)."""

    line_id: str
    net: int
    tax: int


def pro_rata(amount: int, supplies: Sequence[SupplyAmount]) -> list[tuple[int, int]]:
    """A gross amount back shared over the supplies by their gross, each share over net and
    VAT by the supply's own proportion: (net, tax) per supply, adding up to ``amount``."""
    shares = split(amount, [s.net + s.tax for s in supplies])
    return [
        cast("tuple[int, int]", tuple(split(share, [s.net, s.tax])))
        for share, s in zip(shares, supplies, strict=True)
    ]


def by_credited_lines(
    amount: int, supplies: Sequence[SupplyAmount], lines: Sequence[CreditedLine]
) -> list[tuple[int, int]] | None:
    """(net, tax) per supply from a credit note's lines, or None when its lines do not tell
    (a line without an invoice line of ours, or lines that do not add up to ``amount``)."""
    index = {s.line_id: i for i, s in enumerate(supplies)}
    if not lines or any(line.line_id not in index for line in lines):
        return None
    if sum(line.net + line.tax for line in lines) != amount:
        return None
    parts = [[0, 0] for _ in supplies]
    for line in lines:
        parts[index[line.line_id]][0] += line.net
        parts[index[line.line_id]][1] += line.tax
    return [(net, tax) for net, tax in parts]
