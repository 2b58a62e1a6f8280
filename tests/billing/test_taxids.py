import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from rules.taxids import (
    EU_COUNTRIES,
    TaxIdError,
    TaxIdType,
    default_type_for_country,
    expected_format,
    normalize_tax_id,
    vat_prefix,
)

# (type, country, input, canonical form)
VALID = [
    (TaxIdType.EU_VAT, "DE", "DE136695976", "DE136695976"),
    (TaxIdType.EU_VAT, "DE", "de 136 695 976", "DE136695976"),
    (TaxIdType.EU_VAT, "de", "DE-136.695.976", "DE136695976"),
    (TaxIdType.EU_VAT, "AT", "ATU13585627", "ATU13585627"),
    (TaxIdType.EU_VAT, "AT", "atu 1358 5627", "ATU13585627"),
    (TaxIdType.EU_VAT, "FR", "FR40303265045", "FR40303265045"),
    (TaxIdType.EU_VAT, "FR", "FR 40 303 265 045", "FR40303265045"),
    (TaxIdType.EU_VAT, "GR", "EL094259216", "EL094259216"),
    (TaxIdType.EU_VAT, "BE", "BE0411905847", "BE0411905847"),
    (TaxIdType.EU_VAT, "NL", "NL004495445B01", "NL004495445B01"),
    (TaxIdType.EU_VAT, "PL", "PL 526-025-09-95", "PL5260250995"),
    (TaxIdType.EU_VAT, "SE", "SE556188840401", "SE556188840401"),
    (TaxIdType.EU_VAT, "IE", "IE6388047V", "IE6388047V"),
    (TaxIdType.EU_VAT, "ES", "ESX1234567L", "ESX1234567L"),
    (TaxIdType.EU_VAT, "CY", "CY10259033P", "CY10259033P"),
    (TaxIdType.EU_VAT, "", "DE136695976", "DE136695976"),
    (TaxIdType.EU_VAT, "MC", "FR 40 303 265 045", "FR40303265045"),
    (TaxIdType.EU_VAT, "mc", "fr40303265045", "FR40303265045"),
    (TaxIdType.US_EIN, "US", "12-3456789", "12-3456789"),
    (TaxIdType.US_EIN, "US", "123456789", "12-3456789"),
    (TaxIdType.CA_GST_HST, "CA", "123456782RT0001", "123456782RT0001"),
    (TaxIdType.CA_GST_HST, "CA", "123 456 782 RT 0001", "123456782RT0001"),
    (TaxIdType.CA_GST_HST, "CA", "123456782RT9999", "123456782RT9999"),
    (TaxIdType.CA_BN, "CA", "123456782", "123456782"),
    (TaxIdType.CH_VAT, "CH", "CHE-116.281.710 MWST", "CHE-116.281.710 MWST"),
    (TaxIdType.CH_VAT, "CH", "CHE116281710TVA", "CHE-116.281.710 TVA"),
    (TaxIdType.CH_UID, "CH", "CHE-116.281.710", "CHE-116.281.710"),
    (TaxIdType.CH_UID, "CH", "che116281710", "CHE-116.281.710"),
    (TaxIdType.GB_VAT, "GB", "GB980780684", "GB980780684"),
    (TaxIdType.GB_VAT, "GB", "980 7806 84", "GB980780684"),
    (TaxIdType.NO_VAT, "NO", "NO 995 525 828 MVA", "NO 995 525 828 MVA"),
    (TaxIdType.NO_VAT, "NO", "995525828MVA", "NO 995 525 828 MVA"),
    (TaxIdType.AU_ABN, "AU", "83 914 571 673", "83914571673"),
    (TaxIdType.NONE, "DE", "", ""),
    (TaxIdType.EU_VAT, "DE", "", ""),
    (TaxIdType.US_EIN, "US", "   ", ""),
]

# (type, country, input, words the message must contain)
INVALID = [
    (TaxIdType.EU_VAT, "DE", "DE136695975", "check digit of this DE VAT ID is wrong"),
    (TaxIdType.EU_VAT, "DE", "DE1366959", "DE VAT ID has the wrong length"),
    (TaxIdType.EU_VAT, "DE", "FR40303265045", "starts with FR, but the country is DE"),
    (TaxIdType.EU_VAT, "DE", "FR40303265045", "DE + 9 digits, e.g. DE136695976"),
    (TaxIdType.EU_VAT, "GR", "GR094259216", "Greek VAT IDs start with EL, not GR"),
    (TaxIdType.EU_VAT, "GB", "GB980780684", "not EU VAT IDs since Brexit"),
    (TaxIdType.EU_VAT, "DE", "XX123456789", "country code of an EU member state"),
    (TaxIdType.EU_VAT, "US", "DE136695976", "US is not one"),
    (TaxIdType.EU_VAT, "MC", "DE136695976", "Monaco is in the French VAT area"),
    (TaxIdType.EU_VAT, "MC", "DE136695976", "FR + 2 characters + 9 digits"),
    (TaxIdType.EU_VAT, "MC", "MC40303265045", "a business in Monaco has a French VAT ID"),
    (TaxIdType.EU_VAT, "MC", "FR40303265046", "check digit of this FR VAT ID is wrong"),
    (TaxIdType.EU_VAT, "AT", "ATU13585626", "check digit of this AT VAT ID is wrong"),
    (TaxIdType.NONE, "DE", "DE136695976", "Choose a tax-ID type"),
    (TaxIdType.US_EIN, "US", "07-3456789", "not a valid EIN"),
    (TaxIdType.US_EIN, "US", "12-345678", "not a valid EIN"),
    (TaxIdType.EU_VAT, "DE", "0", "country code of an EU member state"),
    (TaxIdType.CA_GST_HST, "CA", "123456789RT0001", "check digit of this GST/HST number"),
    (TaxIdType.CA_GST_HST, "CA", "123456782", "followed by RT and 4 digits"),
    (TaxIdType.CA_GST_HST, "CA", "123456782RC0001", "followed by RT and 4 digits"),
    (TaxIdType.CA_BN, "CA", "123456782RT0001", "for GST/HST choose ca_gst_hst"),
    (TaxIdType.CH_VAT, "CH", "CHE-116.281.710", "Swiss VAT number"),
    (TaxIdType.CH_UID, "CH", "CHE-116.281.711", "check digit of this Swiss UID"),
    (TaxIdType.GB_VAT, "GB", "GB980780685", "check digit of this UK VAT number"),
    (TaxIdType.NO_VAT, "NO", "995525828", "Norwegian VAT number"),
    (TaxIdType.AU_ABN, "AU", "83 914 571 674", "check digit of this ABN"),
    ("xx_unknown", "DE", "123", "Unknown tax-ID type"),
]


@pytest.mark.parametrize(("tax_id_type", "country", "value", "canonical"), VALID)
def test_it_accepts_and_normalizes_valid_ids(tax_id_type, country, value, canonical):
    """Valid numbers come back in their canonical form."""
    assert normalize_tax_id(tax_id_type, country, value) == canonical


@pytest.mark.parametrize(("tax_id_type", "country", "value", "message"), INVALID)
def test_it_rejects_invalid_ids_with_a_specific_message(tax_id_type, country, value, message):
    """Invalid numbers raise TaxIdError saying what is wrong."""
    with pytest.raises(TaxIdError) as info:
        normalize_tax_id(tax_id_type, country, value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("DE", TaxIdType.EU_VAT),
        ("AT", TaxIdType.EU_VAT),
        ("FR", TaxIdType.EU_VAT),
        ("GR", TaxIdType.EU_VAT),
        ("de", TaxIdType.EU_VAT),
        ("US", TaxIdType.US_EIN),
        ("CA", TaxIdType.CA_GST_HST),
        ("CH", TaxIdType.CH_VAT),
        ("LI", TaxIdType.NONE),
        ("GB", TaxIdType.GB_VAT),
        ("NO", TaxIdType.NO_VAT),
        ("AU", TaxIdType.AU_ABN),
        ("MC", TaxIdType.EU_VAT),
        ("JP", TaxIdType.NONE),
        ("", TaxIdType.NONE),
        (None, TaxIdType.NONE),
    ],
)
def test_it_picks_the_default_type_for_a_country(country, expected):
    """Each country maps to the tax-ID type its businesses usually have."""
    assert default_type_for_country(country) == expected


def test_it_maps_every_eu_country_to_eu_vat():
    """All 27 member states default to eu_vat."""
    assert len(EU_COUNTRIES) == 27
    assert {default_type_for_country(c) for c in EU_COUNTRIES} == {TaxIdType.EU_VAT}


def test_it_uses_el_as_the_greek_vat_prefix():
    """Greece is GR in ISO 3166 but EL in VAT IDs."""
    assert vat_prefix("GR") == "EL"
    assert vat_prefix("DE") == "DE"


def test_it_gives_monaco_the_french_vat_prefix():
    """Monaco is in the French VAT area (Art. 7(1) VAT Directive): its VAT IDs start with FR."""
    assert vat_prefix("MC") == "FR"
    assert expected_format(TaxIdType.EU_VAT, "MC") == expected_format(TaxIdType.EU_VAT, "FR")


@pytest.mark.parametrize(
    ("tax_id_type", "country", "hint"),
    [
        (TaxIdType.EU_VAT, "DE", "DE + 9 digits, e.g. DE136695976"),
        (TaxIdType.EU_VAT, "AT", "ATU + 8 digits"),
        (TaxIdType.EU_VAT, "GR", "EL + 9 digits"),
        (TaxIdType.EU_VAT, "HR", "HR + the national number"),
        (TaxIdType.EU_VAT, "US", "country code + the national number"),
        (TaxIdType.US_EIN, "US", "12-3456789"),
        (TaxIdType.CA_GST_HST, "CA", "123456782RT0001"),
        (TaxIdType.CH_VAT, "CH", "MWST"),
        (TaxIdType.GB_VAT, "GB", "GB980780684"),
        (TaxIdType.NONE, "DE", ""),
    ],
)
def test_it_describes_the_expected_format(tax_id_type, country, hint):
    """The format hint fits the type and, for EU VAT, the country."""
    if hint:
        assert hint in expected_format(tax_id_type, country)
    else:
        assert expected_format(tax_id_type, country) == ""


def test_it_has_a_format_hint_for_every_type_but_none():
    """Every type a user can pick tells them what a number looks like."""
    for value, _label in TaxIdType.choices:
        if value != TaxIdType.NONE:
            assert expected_format(value, "DE"), value


def _with_noise(draw, value: str) -> str:
    """The same number typed with spaces in random places and random letter case."""
    out = []
    for char in value:
        if draw(st.booleans()) and out:
            out.append(" ")
        out.append(char.lower() if draw(st.booleans()) else char)
    return "".join(out)


@st.composite
def valid_inputs(draw):
    kind = draw(st.sampled_from(["table", "de", "ein", "ca"]))
    if kind == "table":
        tax_id_type, country, value, _canonical = draw(
            st.sampled_from([row for row in VALID if row[3]])
        )
        return tax_id_type, country, value
    if kind == "de":
        base = str(draw(st.integers(10_000_000, 99_999_999)))
        number = "DE" + base + mod_11_10.calc_check_digit(base)
        return TaxIdType.EU_VAT, "DE", _with_noise(draw, number)
    if kind == "ein":
        prefix = draw(st.sampled_from(["10", "12", "20", "45", "50", "94"]))
        rest = str(draw(st.integers(0, 9_999_999))).zfill(7)
        dash = draw(st.sampled_from(["-", ""]))
        return TaxIdType.US_EIN, "US", f"{prefix}{dash}{rest}"
    base = str(draw(st.integers(10_000_000, 99_999_999)))
    program = str(draw(st.integers(0, 9999))).zfill(4)
    return TaxIdType.CA_GST_HST, "CA", f"{base}{luhn.calc_check_digit(base)}RT{program}"


@given(valid_inputs())
def test_it_normalizes_idempotently(case):
    """Normalizing a normalized number changes nothing."""
    tax_id_type, country, value = case
    once = normalize_tax_id(tax_id_type, country, value)
    assert once
    assert normalize_tax_id(tax_id_type, country, once) == once


@given(st.text(max_size=20))
def test_it_never_fails_with_anything_but_tax_id_error(value):
    """Any input either normalizes or raises TaxIdError (never a stdnum or other error)."""
    for tax_id_type, _label in TaxIdType.choices:
        with contextlib.suppress(TaxIdError):
            normalize_tax_id(tax_id_type, "DE", value)
