"""Which VAT treatment applies to a supply from an MSP to a customer. Pure and table-tested.

Place of supply for B2B services is the customer's country (Art. 44 VAT Directive). Decisions:
- same country as the MSP → DOMESTIC at the MSP country's standard rate
- EU MSP with VAT ID → other EU state, customer with eu_vat ID → REVERSE_CHARGE, 0 % (Art. 196)
- EU MSP → other EU state, customer without VAT ID → EU_NO_VAT_ID: MSP's rate, OSS hint
- MSP → customer outside its VAT area (CH, GB, US…) → EXPORT, 0 %, not taxable at the MSP's place
- MSP in a country without a national VAT (US, CA) → NOT_CALCULATED, 0 %, left to Stripe Tax
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.taxids import EU_COUNTRIES, TaxIdType

# Standard VAT rates with the date each took effect, newest first. Source:
# ../shared/notes/vat-and-tax-id-facts.md §3.5 (EU-27 plus the non-EU VAT countries we serve).
STANDARD_RATES: dict[str, list[tuple[date, Decimal]]] = {
    "AT": [(date(2016, 1, 1), Decimal("20"))],
    "BE": [(date(2016, 1, 1), Decimal("21"))],
    "BG": [(date(2016, 1, 1), Decimal("20"))],
    "CY": [(date(2016, 1, 1), Decimal("19"))],
    "CZ": [(date(2016, 1, 1), Decimal("21"))],
    "DE": [
        (date(2021, 1, 1), Decimal("19")),
        (date(2020, 7, 1), Decimal("16")),
        (date(2016, 1, 1), Decimal("19")),
    ],
    "DK": [(date(2016, 1, 1), Decimal("25"))],
    "EE": [
        (date(2025, 7, 1), Decimal("24")),
        (date(2024, 1, 1), Decimal("22")),
        (date(2016, 1, 1), Decimal("20")),
    ],
    "ES": [(date(2016, 1, 1), Decimal("21"))],
    "FI": [(date(2024, 9, 1), Decimal("25.5")), (date(2016, 1, 1), Decimal("24"))],
    "FR": [(date(2016, 1, 1), Decimal("20"))],
    "GR": [(date(2016, 6, 1), Decimal("24")), (date(2016, 1, 1), Decimal("23"))],
    "HR": [(date(2016, 1, 1), Decimal("25"))],
    "HU": [(date(2016, 1, 1), Decimal("27"))],
    "IE": [
        (date(2021, 3, 1), Decimal("23")),
        (date(2020, 9, 1), Decimal("21")),
        (date(2016, 1, 1), Decimal("23")),
    ],
    "IT": [(date(2016, 1, 1), Decimal("22"))],
    "LT": [(date(2016, 1, 1), Decimal("21"))],
    "LU": [
        (date(2024, 1, 1), Decimal("17")),
        (date(2023, 1, 1), Decimal("16")),
        (date(2016, 1, 1), Decimal("17")),
    ],
    "LV": [(date(2016, 1, 1), Decimal("21"))],
    "MT": [(date(2016, 1, 1), Decimal("18"))],
    "NL": [(date(2016, 1, 1), Decimal("21"))],
    "PL": [(date(2016, 1, 1), Decimal("23"))],
    "PT": [(date(2016, 1, 1), Decimal("23"))],
    "RO": [
        (date(2025, 8, 1), Decimal("21")),
        (date(2017, 1, 1), Decimal("19")),
        (date(2016, 1, 1), Decimal("20")),
    ],
    "SE": [(date(2016, 1, 1), Decimal("25"))],
    "SI": [(date(2016, 1, 1), Decimal("22"))],
    "SK": [(date(2025, 1, 1), Decimal("23")), (date(2016, 1, 1), Decimal("20"))],
    # Outside the EU, with a national VAT of their own.
    "GB": [(date(2016, 1, 1), Decimal("20"))],
    "CH": [
        (date(2024, 1, 1), Decimal("8.1")),
        (date(2018, 1, 1), Decimal("7.7")),
        (date(2016, 1, 1), Decimal("8")),
    ],
    "LI": [
        (date(2024, 1, 1), Decimal("8.1")),
        (date(2018, 1, 1), Decimal("7.7")),
        (date(2016, 1, 1), Decimal("8")),
    ],
    "NO": [(date(2016, 1, 1), Decimal("25"))],
    "IS": [(date(2016, 1, 1), Decimal("24"))],
}

# Countries that share one VAT area with each other (Switzerland and Liechtenstein).
_VAT_AREA = {"LI": "CH"}


class TaxTreatment(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    EU_NO_VAT_ID = "eu_no_vat_id"
    EXPORT = "export"
    NOT_CALCULATED = "not_calculated"


@dataclass(frozen=True)
class Party:
    country: str
    tax_id_type: str = TaxIdType.NONE
    tax_id: str = ""

    @property
    def has_eu_vat_id(self) -> bool:
        return self.tax_id_type == TaxIdType.EU_VAT and bool(self.tax_id)


@dataclass(frozen=True)
class TaxDecision:
    treatment: TaxTreatment
    rate: Decimal  # percent applied on the invoice
    rate_country: str = ""
    hints: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_reverse_charge(self) -> bool:
        return self.treatment == TaxTreatment.REVERSE_CHARGE


def standard_rate(country: str, on: date) -> Decimal | None:
    for since, rate in STANDARD_RATES.get(country.upper(), []):
        if on >= since:
            return rate
    return None


def decide_tax(supplier: Party, customer: Party, on: date) -> TaxDecision:
    """The treatment of a B2B service supply from ``supplier`` to ``customer`` on date ``on``."""
    s_country = (supplier.country or "").upper()
    c_country = (customer.country or "").upper()
    supplier_rate = standard_rate(s_country, on) if s_country else None

    if not s_country:
        return TaxDecision(
            TaxTreatment.NOT_CALCULATED, Decimal(0), "", ("supplier_country_missing",)
        )
    if supplier_rate is None:
        return TaxDecision(TaxTreatment.NOT_CALCULATED, Decimal(0), "", ("no_national_vat",))

    hints: list[str] = []
    if not c_country:
        hints.append("customer_country_missing")
        c_country = s_country
    if not supplier.tax_id:
        hints.append("supplier_vat_id_missing")

    same_area = _VAT_AREA.get(c_country, c_country) == _VAT_AREA.get(s_country, s_country)
    if same_area:
        return TaxDecision(TaxTreatment.DOMESTIC, supplier_rate, s_country, tuple(hints))

    if s_country in EU_COUNTRIES and c_country in EU_COUNTRIES:
        if customer.has_eu_vat_id and supplier.has_eu_vat_id:
            return TaxDecision(TaxTreatment.REVERSE_CHARGE, Decimal(0), c_country, tuple(hints))
        if customer.has_eu_vat_id:
            # Without its own VAT ID the MSP cannot issue a reverse-charge invoice.
            return TaxDecision(TaxTreatment.DOMESTIC, supplier_rate, s_country, tuple(hints))
        return TaxDecision(
            TaxTreatment.EU_NO_VAT_ID, supplier_rate, s_country, (*hints, "oss_may_apply")
        )
    return TaxDecision(TaxTreatment.EXPORT, Decimal(0), c_country, tuple(hints))
