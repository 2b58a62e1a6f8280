"""The complete treatment table of rules.tax: EU-27, Northern Ireland (goods only; services
follow GB), Monaco and the Isle of Man, CH/LI, GB, NO, the EU's special territories and
countries without VAT, with the VIES status of the customer's VAT ID."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.tax import (
    EU_VAT_COUNTRIES,
    OUTSIDE_EU_VAT,
    STANDARD_RATES,
    Party,
    Supply,
    TaxDecision,
    TaxTreatment,
    decide_tax,
    standard_rate,
    vat_territory,
)
from rules.taxids import EU_COUNTRIES

D = Decimal
ON = date(2026, 11, 22)
T = TaxTreatment
DE = Party("DE", "eu_vat", "DE136695976")
GOODS = Supply.GOODS


def biz(country, tax_id="X1", tax_id_type="eu_vat", status=""):
    return Party(country, tax_id_type, tax_id, status)


TABLE = [
    # (id, supplier, customer, supply, treatment, rate, rate country, hints)
    ("DE→XI services", DE, biz("XI", "XI123456789"), Supply.SERVICES, T.EXPORT, "0", "XI", ()),
    ("DE→XI goods VAT ID", DE, biz("XI", "XI123456789"), GOODS, T.INTRA_EU_GOODS, "0", "XI", ()),
    ("DE→XI goods private", DE, Party("XI"), GOODS, T.EU_NO_VAT_ID, "19", "DE", ("oss_may_apply",)),
    (
        "XI→GB services",
        biz("XI", tax_id_type="gb_vat"),
        Party("GB"),
        None,
        T.DOMESTIC,
        "20",
        "XI",
        (),
    ),
    (
        "XI→GB goods",
        biz("XI", tax_id_type="gb_vat"),
        Party("GB"),
        GOODS,
        T.DOMESTIC,
        "20",
        "XI",
        (),
    ),
    ("XI→DE services", biz("XI", tax_id_type="gb_vat"), DE, None, T.EXPORT, "0", "DE", ()),
    ("XI→DE goods", biz("XI", "XI123456789"), DE, GOODS, T.INTRA_EU_GOODS, "0", "DE", ()),
    (
        "GB→XI services",
        biz("GB", tax_id_type="gb_vat"),
        Party("XI"),
        None,
        T.DOMESTIC,
        "20",
        "GB",
        (),
    ),
    (
        "GB→XI goods",
        biz("GB", tax_id_type="gb_vat"),
        Party("XI"),
        GOODS,
        T.DOMESTIC,
        "20",
        "GB",
        (),
    ),
    ("GB→DE", biz("GB", tax_id_type="gb_vat"), DE, None, T.EXPORT, "0", "DE", ()),
    ("GB→IM", biz("GB", tax_id_type="gb_vat"), Party("IM"), None, T.DOMESTIC, "20", "GB", ()),
    ("DE→GB", DE, biz("GB", tax_id_type="gb_vat"), None, T.EXPORT, "0", "GB", ()),
    ("DE→IM", DE, Party("IM"), None, T.EXPORT, "0", "IM", ()),
    ("DE→MC VAT ID", DE, biz("MC", "FR40303265045"), None, T.REVERSE_CHARGE, "0", "MC", ()),
    ("FR→MC", biz("FR"), Party("MC"), None, T.DOMESTIC, "20", "FR", ()),
    ("MC→FR", biz("MC"), Party("FR"), None, T.DOMESTIC, "20", "MC", ()),
    ("MC→DE VAT ID", biz("MC"), DE, None, T.REVERSE_CHARGE, "0", "DE", ()),
    ("CH→LI", biz("CH", tax_id_type="ch_vat"), Party("LI"), None, T.DOMESTIC, "8.1", "CH", ()),
    ("LI→CH", biz("LI", tax_id_type="ch_vat"), Party("CH"), None, T.DOMESTIC, "8.1", "LI", ()),
    ("CH→DE", biz("CH", tax_id_type="ch_vat"), DE, None, T.EXPORT, "0", "DE", ()),
    ("DE→LI", DE, Party("LI"), None, T.EXPORT, "0", "LI", ()),
    ("NO→NO", biz("NO", tax_id_type="no_vat"), Party("NO"), None, T.DOMESTIC, "25", "NO", ()),
    ("NO→SE", biz("NO", tax_id_type="no_vat"), biz("SE"), None, T.EXPORT, "0", "SE", ()),
    ("DE→NO", DE, biz("NO", tax_id_type="no_vat"), None, T.EXPORT, "0", "NO", ()),
    ("IS→IS", biz("IS", tax_id_type="is_vat"), Party("IS"), None, T.DOMESTIC, "24", "IS", ()),
    ("DE→US", DE, Party("US"), None, T.EXPORT, "0", "US", ()),
    ("DE→Canary Islands", DE, biz("IC", "ESX1"), None, T.EXPORT, "0", "IC", ()),
    ("FI→Åland", biz("FI"), Party("AX"), None, T.EXPORT, "0", "AX", ()),
    ("FR→Réunion", biz("FR"), Party("RE"), None, T.EXPORT, "0", "RE", ()),
    ("ES→Gibraltar", biz("ES"), Party("GI"), None, T.EXPORT, "0", "GI", ()),
    ("GB→Jersey", biz("GB", tax_id_type="gb_vat"), Party("JE"), None, T.EXPORT, "0", "JE", ()),
    (
        "US→DE",
        Party("US", "us_ein", "12-3456789"),
        DE,
        None,
        T.NOT_CALCULATED,
        "0",
        "",
        ("no_national_vat",),
    ),
    (
        "AU→AU",
        Party("AU", "au_abn", "1"),
        Party("AU"),
        None,
        T.NOT_CALCULATED,
        "0",
        "",
        ("no_national_vat",),
    ),
    # The VIES status of the customer's VAT ID (customers.vatids.services.status_for).
    ("DE→FR valid", DE, biz("FR", status="valid"), None, T.REVERSE_CHARGE, "0", "FR", ()),
    (
        "DE→FR unconfirmed",
        DE,
        biz("FR", status="unconfirmed"),
        None,
        T.REVERSE_CHARGE,
        "0",
        "FR",
        (),
    ),
    (
        "DE→FR invalid",
        DE,
        biz("FR", status="invalid"),
        None,
        T.EU_NO_VAT_ID,
        "19",
        "DE",
        ("customer_vat_id_invalid", "oss_may_apply"),
    ),
    (
        "DE→XI goods invalid",
        DE,
        biz("XI", "XI1", status="invalid"),
        GOODS,
        T.EU_NO_VAT_ID,
        "19",
        "DE",
        ("customer_vat_id_invalid", "oss_may_apply"),
    ),
    ("DE→DE invalid", DE, biz("DE", status="invalid"), None, T.DOMESTIC, "19", "DE", ()),
    ("DE→US invalid", DE, biz("US", status="invalid"), None, T.EXPORT, "0", "US", ()),
]


@pytest.mark.parametrize(
    ("supplier", "customer", "supply", "treatment", "rate", "rate_country", "hints"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_it_decides_every_cross_border_case(
    supplier, customer, supply, treatment, rate, rate_country, hints
):
    """Each pair of the table gets its treatment, rate, rate country and hints."""
    decision = decide_tax(supplier, customer, ON, supply or Supply.SERVICES)
    assert decision == TaxDecision(treatment, D(rate), rate_country, hints)


@pytest.mark.parametrize(
    ("country", "on", "rate"),
    [
        ("XI", ON, "20"),
        ("IM", ON, "20"),
        ("MC", ON, "20"),
        ("GB", date(2016, 1, 1), "20"),
        ("NO", ON, "25"),
        ("LI", date(2017, 12, 31), "8"),
        ("LI", date(2018, 1, 1), "7.7"),
        ("CH", date(2016, 1, 1), "8"),
    ],
)
def test_territories_take_the_dated_rate_of_their_vat(country, on, rate):
    """Northern Ireland and the Isle of Man use the UK's rate, Monaco France's, by date."""
    assert standard_rate(country, on) == D(rate)


def test_the_special_territories_are_outside_the_eu_vat_area():
    """Canary Islands, Åland, the French overseas departments… are not EU VAT countries."""
    assert not OUTSIDE_EU_VAT & EU_VAT_COUNTRIES
    assert EU_COUNTRIES | {"MC"} == EU_VAT_COUNTRIES
    assert {vat_territory(c) for c in ("MC", "IM", "LI", "XI")} == {"FR", "GB", "CH"}


VAT_COUNTRIES = sorted(set(STANDARD_RATES) | {"XI", "MC", "IM"})
ANY_COUNTRY = VAT_COUNTRIES + sorted(OUTSIDE_EU_VAT) + ["US", "CA", "AU", "JP", "BR", "IN"]
parties = st.builds(
    Party,
    country=st.sampled_from(ANY_COUNTRY),
    tax_id_type=st.sampled_from(["eu_vat", "gb_vat", "ch_vat", "none"]),
    tax_id=st.sampled_from(["", "X123"]),
    vat_id_status=st.sampled_from(["", "valid", "invalid", "unconfirmed"]),
)
dates = st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31))


def in_eu(country, supply):
    return country in EU_VAT_COUNTRIES or (country == "XI" and supply == GOODS)


@given(supplier=parties, customer=parties, on=dates, supply=st.sampled_from(list(Supply)))
def test_the_rules_hold_for_any_pair(supplier, customer, on, supply):
    """Invariants: 0 % exactly for zero-rated and uncalculated supplies; domestic at home at
    the dated rate; reverse charge only EU→EU with both VAT IDs, never an invalid one."""
    d = decide_tax(supplier, customer, on, supply)
    home_rate = standard_rate(supplier.country, on)
    if home_rate is None:
        assert d.treatment == T.NOT_CALCULATED and d.rate == 0
        return
    same = vat_territory(customer.country) == vat_territory(supplier.country)
    eu_pair = in_eu(supplier.country, supply) and in_eu(customer.country, supply)
    no_own_id = eu_pair and customer.has_valid_eu_vat_id and not supplier.has_eu_vat_id
    assert (d.treatment == T.DOMESTIC) == (same or no_own_id)
    if same:
        assert d.rate == home_rate
    if d.treatment in (T.REVERSE_CHARGE, T.INTRA_EU_GOODS):
        assert customer.vat_id_status != "invalid"
        assert customer.has_eu_vat_id and supplier.has_eu_vat_id
        assert customer.country in EU_VAT_COUNTRIES or customer.country == "XI"
        assert (d.treatment == T.INTRA_EU_GOODS) == (supply == GOODS)
    assert (d.rate == 0) == d.is_zero_rated
    if d.treatment in (T.DOMESTIC, T.EU_NO_VAT_ID):
        assert d.rate == home_rate and d.rate_country == supplier.country
    if d.treatment == T.EXPORT:
        assert not same and d.rate_country == customer.country


@pytest.mark.parametrize("supplier", sorted(EU_COUNTRIES))
@pytest.mark.parametrize("customer", sorted(EU_COUNTRIES))
def test_every_member_state_pair_is_domestic_or_reverse_charge(supplier, customer):
    """27 × 27: at home the supplier's rate, elsewhere reverse charge at 0 %."""
    d = decide_tax(biz(supplier), biz(customer), ON)
    if supplier == customer:
        assert (d.treatment, d.rate) == (T.DOMESTIC, standard_rate(supplier, ON))
    else:
        assert (d.treatment, d.rate, d.rate_country) == (T.REVERSE_CHARGE, 0, customer)
