"""Which VAT treatment applies to a supply from an MSP to a customer. Pure and table-tested.

Place of supply for B2B services is the customer's country (Art. 44 VAT Directive). Decisions:
- same VAT territory as the MSP → DOMESTIC at that territory's standard rate (Monaco counts as
  France, the Isle of Man as the UK, Liechtenstein as Switzerland)
- EU MSP with VAT ID → other EU state, customer with an eu_vat ID that VIES did not call invalid
  → REVERSE_CHARGE, 0 % (Art. 196); for goods INTRA_EU_GOODS, 0 % (Art. 138)
- EU MSP → other EU state, customer without (valid) VAT ID → EU_NO_VAT_ID: MSP's rate, OSS hint
- MSP → customer outside its VAT territory (CH, GB, NO, US, the EU's special territories such as
  the Canary Islands or Åland…) → EXPORT, 0 %, not taxable at the MSP's place
- MSP in a country whose indirect tax is not in our table (US sales tax, Canada's GST/HST, GST in
  AU/NZ/SG/IN, Japan's consumption tax: rules.indirect_taxes names them) → NOT_CALCULATED,
  0 %, left to Stripe Tax (hint "no_national_vat": no VAT of ours, whatever the country has)

Northern Ireland (XI) belongs to the UK for services and to the EU's VAT rules for goods
(Windsor Framework); its rate is the UK's.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rules.taxids import EU_COUNTRIES, VAT_AREA_OF, TaxIdType

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

# Territories inside another country's VAT (their rate is that country's). Northern Ireland is
# in the UK's VAT for everything; for goods it also follows the EU's rules (``_in_eu_rules``).
_PART_OF = {"MC": "FR", "IM": "GB", "LI": "CH", "XI": "GB"}
# Whose rate applies where a territory has no entry of its own.
_RATE_OF = {"MC": "FR", "IM": "GB", "XI": "GB"}
# Parts of member states outside the EU VAT territory (Art. 6 VAT Directive) that have an ISO
# code of their own (IC: Canary Islands, EA: Ceuta and Melilla, exceptionally reserved codes):
# supplies there are exports. Listed to document the rule; any code not in the EU set is one.
OUTSIDE_EU_VAT = frozenset(
    {"AX", "GP", "MQ", "RE", "GF", "YT", "MF", "BL", "PM", "IC", "EA", "GI", "JE", "GG", "FO"}
)
# The VAT territories of the EU's rules: the member states plus Monaco (French VAT, Art. 7(1)).
EU_VAT_COUNTRIES = EU_COUNTRIES | frozenset(VAT_AREA_OF)


class TaxTreatment(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    EU_NO_VAT_ID = "eu_no_vat_id"
    INTRA_EU_GOODS = "intra_eu_goods"
    EXPORT = "export"
    NOT_CALCULATED = "not_calculated"


class Supply(StrEnum):
    SERVICES = "services"
    GOODS = "goods"


# What customers.vatids.services.status_for() says of a VAT ID; only "invalid" changes a decision.
VAT_ID_INVALID = "invalid"


@dataclass(frozen=True)
class Party:
    country: str
    tax_id_type: str = TaxIdType.NONE
    tax_id: str = ""
    vat_id_status: str = ""  # "valid" | "invalid" | "unconfirmed" | "" (not checked)

    @property
    def has_eu_vat_id(self) -> bool:
        return self.tax_id_type == TaxIdType.EU_VAT and bool(self.tax_id)

    @property
    def has_valid_eu_vat_id(self) -> bool:
        """An EU VAT ID that VIES has not declared invalid (unconfirmed ones still count)."""
        return self.has_eu_vat_id and self.vat_id_status != VAT_ID_INVALID


@dataclass(frozen=True)
class TaxDecision:
    treatment: TaxTreatment
    rate: Decimal  # percent applied on the invoice
    rate_country: str = ""
    hints: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_reverse_charge(self) -> bool:
        return self.treatment == TaxTreatment.REVERSE_CHARGE

    @property
    def is_zero_rated(self) -> bool:
        """Reverse charge, intra-EU goods and exports: 0 % with a legal mention."""
        return self.treatment in ZERO_RATED


ZERO_RATED = frozenset(
    {TaxTreatment.REVERSE_CHARGE, TaxTreatment.INTRA_EU_GOODS, TaxTreatment.EXPORT}
)


def standard_rate(country: str, on: date) -> Decimal | None:
    country = country.upper()
    history = STANDARD_RATES.get(country) or STANDARD_RATES.get(_RATE_OF.get(country, ""), [])
    for since, rate in history:
        if on >= since:
            return rate
    return None


def vat_territory(country: str) -> str:
    """The country whose national VAT applies in ``country`` (Monaco: France, XI: the UK)."""
    country = country.upper()
    return _PART_OF.get(country, country)


def _in_eu_rules(country: str, supply: Supply) -> bool:
    return country in EU_VAT_COUNTRIES or (country == "XI" and supply == Supply.GOODS)


def decide_tax(
    supplier: Party, customer: Party, on: date, supply: Supply = Supply.SERVICES
) -> TaxDecision:
    """The treatment of a B2B supply (services unless told) from ``supplier`` to ``customer``."""
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

    if vat_territory(c_country) == vat_territory(s_country):
        return TaxDecision(TaxTreatment.DOMESTIC, supplier_rate, s_country, tuple(hints))
    if _in_eu_rules(s_country, supply) and _in_eu_rules(c_country, supply):
        return _intra_eu(supplier, customer, c_country, s_country, supplier_rate, supply, hints)
    return TaxDecision(TaxTreatment.EXPORT, Decimal(0), c_country, tuple(hints))


def _intra_eu(
    supplier: Party,
    customer: Party,
    c_country: str,
    s_country: str,
    supplier_rate: Decimal,
    supply: Supply,
    hints: list[str],
) -> TaxDecision:
    if customer.has_eu_vat_id and not customer.has_valid_eu_vat_id:
        hints.append("customer_vat_id_invalid")
    if customer.has_valid_eu_vat_id and supplier.has_eu_vat_id:
        treatment = (
            TaxTreatment.INTRA_EU_GOODS if supply == Supply.GOODS else TaxTreatment.REVERSE_CHARGE
        )
        return TaxDecision(treatment, Decimal(0), c_country, tuple(hints))
    if customer.has_valid_eu_vat_id:
        # Without its own VAT ID the MSP cannot issue a reverse-charge invoice.
        return TaxDecision(TaxTreatment.DOMESTIC, supplier_rate, s_country, tuple(hints))
    return TaxDecision(
        TaxTreatment.EU_NO_VAT_ID, supplier_rate, s_country, (*hints, "oss_may_apply")
    )


VAT_ID_VALID = "valid"


def awaiting_vies(treatment: str, vat_id_status: str) -> bool:
    """Reverse charge (or an intra-EU supply of goods) whose customer VAT ID VIES has not
    confirmed yet (``vat_id_status`` as status_for() says it): the treatment stands, but only a
    valid answer is the confirmation Art. 18(1)(a) Impl. Reg. 282/2011 asks the supplier to
    hold ("invalid" already took the treatment away in decide_tax)."""
    zero_rated_by_vat_id = treatment in (TaxTreatment.REVERSE_CHARGE, TaxTreatment.INTRA_EU_GOODS)
    return zero_rated_by_vat_id and vat_id_status != VAT_ID_VALID
