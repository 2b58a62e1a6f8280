"""The VAT treatment table of rules/tax.py and its dated standard rates."""

from datetime import date
from decimal import Decimal

import pytest

from rules.tax import (
    STANDARD_RATES,
    Party,
    TaxDecision,
    TaxTreatment,
    decide_tax,
    standard_rate,
)
from rules.taxids import EU_COUNTRIES

D = Decimal
ON = date(2026, 11, 22)

VAT_IDS = {
    "DE": "DE136695976",
    "AT": "ATU13585627",
    "FR": "FR40303265045",
    "NL": "NL004495445B01",
    "GR": "EL094259216",
}


def eu_business(country: str) -> Party:
    return Party(country, "eu_vat", VAT_IDS[country])


def private(country: str) -> Party:
    return Party(country)


DE_MSP = eu_business("DE")

TABLE = [
    # (id, supplier, customer, treatment, rate, rate country, hints)
    ("DE→DE", DE_MSP, eu_business("DE"), TaxTreatment.DOMESTIC, "19", "DE", ()),
    ("DE→DE private", DE_MSP, private("DE"), TaxTreatment.DOMESTIC, "19", "DE", ()),
    ("DE→FR VAT ID", DE_MSP, eu_business("FR"), TaxTreatment.REVERSE_CHARGE, "0", "FR", ()),
    (
        "DE→FR no VAT ID",
        DE_MSP,
        private("FR"),
        TaxTreatment.EU_NO_VAT_ID,
        "19",
        "DE",
        ("oss_may_apply",),
    ),
    ("DE→GR VAT ID (EL)", DE_MSP, eu_business("GR"), TaxTreatment.REVERSE_CHARGE, "0", "GR", ()),
    (
        "DE→CH",
        DE_MSP,
        Party("CH", "ch_vat", "CHE-116.281.710 MWST"),
        TaxTreatment.EXPORT,
        "0",
        "CH",
        (),
    ),
    ("DE→CH private", DE_MSP, private("CH"), TaxTreatment.EXPORT, "0", "CH", ()),
    ("DE→GB", DE_MSP, Party("GB", "gb_vat", "GB980780684"), TaxTreatment.EXPORT, "0", "GB", ()),
    ("DE→US", DE_MSP, Party("US", "us_ein", "12-3456789"), TaxTreatment.EXPORT, "0", "US", ()),
    ("DE→NO", DE_MSP, private("NO"), TaxTreatment.EXPORT, "0", "NO", ()),
    (
        "AT→DE VAT ID",
        eu_business("AT"),
        eu_business("DE"),
        TaxTreatment.REVERSE_CHARGE,
        "0",
        "DE",
        (),
    ),
    ("AT→AT", eu_business("AT"), private("AT"), TaxTreatment.DOMESTIC, "20", "AT", ()),
    (
        "FR→DE VAT ID",
        eu_business("FR"),
        eu_business("DE"),
        TaxTreatment.REVERSE_CHARGE,
        "0",
        "DE",
        (),
    ),
    (
        "NL→DE VAT ID",
        eu_business("NL"),
        eu_business("DE"),
        TaxTreatment.REVERSE_CHARGE,
        "0",
        "DE",
        (),
    ),
    (
        "US→DE",
        Party("US", "us_ein", "12-3456789"),
        eu_business("DE"),
        TaxTreatment.NOT_CALCULATED,
        "0",
        "",
        ("no_national_vat",),
    ),
    (
        "CA→US",
        Party("CA", "ca_gst_hst", "123456782RT0001"),
        private("US"),
        TaxTreatment.NOT_CALCULATED,
        "0",
        "",
        ("no_national_vat",),
    ),
    (
        "DE without VAT ID→FR VAT ID",
        private("DE"),
        eu_business("FR"),
        TaxTreatment.DOMESTIC,
        "19",
        "DE",
        ("supplier_vat_id_missing",),
    ),
    (
        "DE without VAT ID→FR private",
        private("DE"),
        private("FR"),
        TaxTreatment.EU_NO_VAT_ID,
        "19",
        "DE",
        ("supplier_vat_id_missing", "oss_may_apply"),
    ),
    (
        "DE without VAT ID→DE",
        private("DE"),
        eu_business("DE"),
        TaxTreatment.DOMESTIC,
        "19",
        "DE",
        ("supplier_vat_id_missing",),
    ),
    (
        "CH→LI",
        Party("CH", "ch_vat", "CHE-116.281.710 MWST"),
        private("LI"),
        TaxTreatment.DOMESTIC,
        "8.1",
        "CH",
        (),
    ),
    (
        "LI→CH",
        Party("LI", "ch_vat", "CHE-116.281.710 MWST"),
        private("CH"),
        TaxTreatment.DOMESTIC,
        "8.1",
        "LI",
        (),
    ),
    (
        "CH→DE",
        Party("CH", "ch_vat", "CHE-116.281.710 MWST"),
        eu_business("DE"),
        TaxTreatment.EXPORT,
        "0",
        "DE",
        (),
    ),
    (
        "GB→GB",
        Party("GB", "gb_vat", "GB980780684"),
        private("GB"),
        TaxTreatment.DOMESTIC,
        "20",
        "GB",
        (),
    ),
    (
        "DE→customer without country",
        DE_MSP,
        Party(""),
        TaxTreatment.DOMESTIC,
        "19",
        "DE",
        ("customer_country_missing",),
    ),
    (
        "supplier without country",
        Party(""),
        eu_business("DE"),
        TaxTreatment.NOT_CALCULATED,
        "0",
        "",
        ("supplier_country_missing",),
    ),
    (
        "lower-case countries",
        Party("de", "eu_vat", "DE136695976"),
        private("de"),
        TaxTreatment.DOMESTIC,
        "19",
        "DE",
        (),
    ),
]


@pytest.mark.parametrize(
    ("supplier", "customer", "treatment", "rate", "rate_country", "hints"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_it_decides_the_treatment(supplier, customer, treatment, rate, rate_country, hints):
    """Each supplier/customer pair gets the treatment, rate and hints of the table."""
    decision = decide_tax(supplier, customer, ON)
    assert decision == TaxDecision(treatment, D(rate), rate_country, hints)
    assert decision.is_reverse_charge == (treatment == TaxTreatment.REVERSE_CHARGE)


def test_it_needs_an_actual_number_for_reverse_charge():
    """An eu_vat type with an empty number counts as no VAT ID."""
    decision = decide_tax(DE_MSP, Party("FR", "eu_vat", ""), ON)
    assert decision.treatment == TaxTreatment.EU_NO_VAT_ID


def test_it_uses_the_rate_in_force_on_the_supply_date():
    """A DE→DE supply in the second half of 2020 is taxed at the temporary 16 %."""
    assert decide_tax(DE_MSP, private("DE"), date(2020, 12, 31)).rate == D("16")
    assert decide_tax(DE_MSP, private("DE"), date(2021, 1, 1)).rate == D("19")
    assert decide_tax(DE_MSP, private("FR"), date(2020, 8, 1)).rate == D("16")


@pytest.mark.parametrize(
    ("country", "on", "rate"),
    [
        ("EE", date(2025, 6, 30), "22"),
        ("EE", date(2025, 7, 1), "24"),
        ("EE", date(2023, 12, 31), "20"),
        ("FI", date(2024, 8, 31), "24"),
        ("FI", date(2024, 9, 1), "25.5"),
        ("RO", date(2025, 7, 31), "19"),
        ("RO", date(2025, 8, 1), "21"),
        ("SK", date(2024, 12, 31), "20"),
        ("SK", date(2025, 1, 1), "23"),
        ("DE", date(2020, 6, 30), "19"),
        ("DE", date(2020, 7, 1), "16"),
        ("DE", date(2021, 1, 1), "19"),
        ("LU", date(2023, 6, 1), "16"),
        ("LU", date(2024, 1, 1), "17"),
        ("IE", date(2020, 9, 1), "21"),
        ("IE", date(2021, 3, 1), "23"),
        ("CH", date(2023, 12, 31), "7.7"),
        ("CH", date(2024, 1, 1), "8.1"),
        ("LI", date(2024, 1, 1), "8.1"),
        ("GR", date(2016, 6, 1), "24"),
        ("gr", date(2026, 1, 1), "24"),
    ],
)
def test_it_knows_dated_rates(country, on, rate):
    """The standard rate changes on the day the new rate takes effect, not a day early."""
    assert standard_rate(country, on) == D(rate)


@pytest.mark.parametrize(
    ("country", "on"), [("US", ON), ("CA", ON), ("", ON), ("DE", date(2015, 12, 31))]
)
def test_it_has_no_rate_where_there_is_no_national_vat(country, on):
    """Countries without a national VAT, and dates before the table starts, have no rate."""
    assert standard_rate(country, on) is None


EU_RATES_2026 = {
    "AT": "20",
    "BE": "21",
    "BG": "20",
    "CY": "19",
    "CZ": "21",
    "DE": "19",
    "DK": "25",
    "EE": "24",
    "ES": "21",
    "FI": "25.5",
    "FR": "20",
    "GR": "24",
    "HR": "25",
    "HU": "27",
    "IE": "23",
    "IT": "22",
    "LT": "21",
    "LU": "17",
    "LV": "21",
    "MT": "18",
    "NL": "21",
    "PL": "23",
    "PT": "23",
    "RO": "21",
    "SE": "25",
    "SI": "22",
    "SK": "23",
}


def test_it_covers_exactly_the_27_member_states():
    """The expected-rate table and the EU country list agree: 27 members, Greece as GR."""
    assert set(EU_RATES_2026) == EU_COUNTRIES
    assert len(EU_COUNTRIES) == 27
    assert set(STANDARD_RATES) >= EU_COUNTRIES


@pytest.mark.parametrize(("country", "rate"), sorted(EU_RATES_2026.items()))
def test_it_has_every_eu_rate_in_force_on_2026_11_22(country, rate):
    """Every member state's standard rate on 2026-11-22 matches the Commission's figures."""
    assert standard_rate(country, ON) == D(rate)


@pytest.mark.parametrize(
    ("country", "rate"), [("GB", "20"), ("CH", "8.1"), ("LI", "8.1"), ("NO", "25"), ("IS", "24")]
)
def test_it_has_the_non_eu_vat_rates(country, rate):
    """The non-EU countries with a VAT of their own have their 2026 standard rate."""
    assert standard_rate(country, ON) == D(rate)


@pytest.mark.parametrize("country", sorted(STANDARD_RATES))
def test_it_lists_rates_newest_first(country):
    """Each history is sorted newest first with distinct dates, so the first match wins."""
    dates = [since for since, _rate in STANDARD_RATES[country]]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) == len(dates)


@pytest.mark.parametrize("country", sorted(EU_COUNTRIES - {"DE"}))
def test_it_reverse_charges_every_other_member_state(country):
    """A German MSP with VAT ID reverse-charges a business with VAT ID in every other state."""
    decision = decide_tax(DE_MSP, Party(country, "eu_vat", "X"), ON)
    assert decision.treatment == TaxTreatment.REVERSE_CHARGE
    assert decision.rate == 0
    assert decision.rate_country == country


@pytest.mark.parametrize("country", sorted(EU_COUNTRIES))
def test_it_charges_domestic_vat_at_home_in_every_member_state(country):
    """An MSP's customer in its own country pays that country's standard rate."""
    supplier = Party(country, "eu_vat", "X")
    decision = decide_tax(supplier, Party(country, "eu_vat", "Y"), ON)
    assert decision.treatment == TaxTreatment.DOMESTIC
    assert decision.rate == D(EU_RATES_2026[country])
