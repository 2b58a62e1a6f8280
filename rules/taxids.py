"""Tax-ID types, their defaults by country, and validation with python-stdnum.

Pure: no ORM, no settings. Used by workspace settings, customers and the Stripe push (the type
values are Stripe's ``tax_id_data[].type`` names).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.au import abn as au_abn
from stdnum.ca import bn as ca_bn
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.no import mva as no_mva
from stdnum.us import ein as us_ein
from stdnum.util import clean

# ISO 3166-1 alpha-2 codes of the 27 EU member states. Greece is GR in ISO, EL in VAT IDs.
EU_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)


# Territories outside the EU that belong to a member state's VAT area: their businesses hold that
# state's VAT ID, which VIES checks under that state's code. Monaco is treated as France (Art. 7(1)
# VAT Directive 2006/112/EC; the Franco-Monegasque tax convention of 18 May 1963), so a Monegasque
# business has a French VAT ID (FR…).
VAT_AREA_OF = {"MC": "FR"}


def vat_prefix(country: str) -> str:
    """The prefix of VAT IDs issued in ``country``: EL for Greece, FR for Monaco."""
    country = VAT_AREA_OF.get(country, country)
    return "EL" if country == "GR" else country


def has_eu_vat_ids(country: str) -> bool:
    """Whether businesses in ``country`` hold EU VAT IDs: the member states and Monaco."""
    return country in EU_COUNTRIES or country in VAT_AREA_OF


class TaxIdType:
    NONE = "none"
    EU_VAT = "eu_vat"
    GB_VAT = "gb_vat"
    CH_VAT = "ch_vat"
    CH_UID = "ch_uid"
    US_EIN = "us_ein"
    CA_GST_HST = "ca_gst_hst"
    CA_BN = "ca_bn"
    NO_VAT = "no_vat"
    AU_ABN = "au_abn"

    choices = [
        (NONE, _("None (private person or not registered)")),
        (EU_VAT, _("EU VAT ID (eu_vat)")),
        (GB_VAT, _("UK VAT number (gb_vat)")),
        (CH_VAT, _("Swiss VAT number (ch_vat)")),
        (CH_UID, _("Swiss UID (ch_uid)")),
        (US_EIN, _("US EIN (us_ein)")),
        (CA_GST_HST, _("Canadian GST/HST number (ca_gst_hst)")),
        (CA_BN, _("Canadian business number (ca_bn)")),
        (NO_VAT, _("Norwegian VAT number (no_vat)")),
        (AU_ABN, _("Australian ABN (au_abn)")),
    ]


_DEFAULT_BY_COUNTRY = {
    "GB": TaxIdType.GB_VAT,
    "CH": TaxIdType.CH_VAT,
    "LI": TaxIdType.NONE,
    "US": TaxIdType.US_EIN,
    "CA": TaxIdType.CA_GST_HST,
    "NO": TaxIdType.NO_VAT,
    "AU": TaxIdType.AU_ABN,
}

# What a valid number looks like, for error messages.
_EU_FORMATS = {
    "AT": _("ATU + 8 digits, e.g. ATU13585627"),
    "BE": _("BE + 10 digits, e.g. BE0411905847"),
    "DE": _("DE + 9 digits, e.g. DE136695976"),
    "DK": _("DK + 8 digits"),
    "EL": _("EL + 9 digits, e.g. EL094259216"),
    "ES": _("ES + 9 characters, e.g. ESX1234567L"),
    "FI": _("FI + 8 digits"),
    "FR": _("FR + 2 characters + 9 digits, e.g. FR40303265045"),
    "IE": _("IE + 8 or 9 characters, e.g. IE6388047V"),
    "IT": _("IT + 11 digits"),
    "LU": _("LU + 8 digits"),
    "NL": _("NL + 9 digits + B + 2 digits, e.g. NL004495445B01"),
    "PL": _("PL + 10 digits, e.g. PL5260250995"),
    "PT": _("PT + 9 digits"),
    "SE": _("SE + 12 digits, e.g. SE556188840401"),
}
FORMAT_HINTS = {
    TaxIdType.GB_VAT: _("GB + 9 digits, e.g. GB980780684"),
    TaxIdType.CH_VAT: _("CHE-123.456.789 MWST (UID plus MWST, TVA or IVA)"),
    TaxIdType.CH_UID: "CHE-123.456.789",
    TaxIdType.US_EIN: _("9 digits written 12-3456789"),
    TaxIdType.CA_GST_HST: _("9-digit business number + RT + 4 digits, e.g. 123456782RT0001"),
    TaxIdType.CA_BN: _("9 digits, e.g. 123456782"),
    TaxIdType.NO_VAT: _("9 digits + MVA, e.g. NO 995 525 828 MVA"),
    TaxIdType.AU_ABN: _("11 digits, e.g. 83 914 571 673"),
}


def default_type_for_country(country: str) -> str:
    country = (country or "").upper()
    if has_eu_vat_ids(country):
        return TaxIdType.EU_VAT
    return _DEFAULT_BY_COUNTRY.get(country, TaxIdType.NONE)


# Why a territory's VAT ID must carry its VAT area's prefix.
_VAT_AREA_MESSAGES = {
    "MC": _(
        "Monaco is in the French VAT area: a business in Monaco has a French VAT ID. "
        "Expected format: %(fmt)s."
    ),
}


def expected_format(tax_id_type: str, country: str) -> str:
    if tax_id_type == TaxIdType.EU_VAT:
        prefix = vat_prefix(country) if has_eu_vat_ids(country) else ""
        if prefix in _EU_FORMATS:
            return str(_EU_FORMATS[prefix])
        return str(_("%(prefix)s + the national number") % {"prefix": prefix or _("country code")})
    return str(FORMAT_HINTS.get(tax_id_type, ""))


@dataclass(frozen=True)
class TaxIdError(Exception):
    message: str

    def __str__(self) -> str:
        return self.message


def _problem(exc: stdnum_errors.ValidationError, what: str, fmt: str) -> TaxIdError:
    if isinstance(exc, stdnum_errors.InvalidChecksum):
        return TaxIdError(
            str(
                _("The check digit of this %(what)s is wrong; please re-check the number.")
                % {"what": what}
            )
        )
    if isinstance(exc, stdnum_errors.InvalidLength):
        return TaxIdError(
            str(
                _("This %(what)s has the wrong length. Expected format: %(fmt)s.")
                % {"what": what, "fmt": fmt}
            )
        )
    return TaxIdError(
        str(
            _("This is not a valid %(what)s. Expected format: %(fmt)s.")
            % {"what": what, "fmt": fmt}
        )
    )


def normalize_tax_id(tax_id_type: str, country: str, value: str) -> str:
    """Return the canonical form of ``value`` or raise TaxIdError with a specific message."""
    country = (country or "").upper()
    value = (value or "").strip()
    if tax_id_type == TaxIdType.NONE:
        if value:
            raise TaxIdError(str(_("Choose a tax-ID type for this number, or clear the number.")))
        return ""
    if not value:
        return ""
    fmt = expected_format(tax_id_type, country)
    if tax_id_type == TaxIdType.EU_VAT:
        return _normalize_eu_vat(country, value, fmt)
    validators = {
        TaxIdType.GB_VAT: (gb_vat, _("UK VAT number")),
        TaxIdType.CH_VAT: (ch_vat, _("Swiss VAT number")),
        TaxIdType.CH_UID: (ch_uid, _("Swiss UID")),
        TaxIdType.US_EIN: (us_ein, _("EIN")),
        TaxIdType.CA_GST_HST: (ca_bn, _("GST/HST number")),
        TaxIdType.CA_BN: (ca_bn, _("business number")),
        TaxIdType.NO_VAT: (no_mva, _("Norwegian VAT number")),
        TaxIdType.AU_ABN: (au_abn, _("ABN")),
    }
    if tax_id_type not in validators:
        raise TaxIdError(str(_("Unknown tax-ID type %(type)s.") % {"type": tax_id_type}))
    module, what = validators[tax_id_type]
    try:
        compact: str = module.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise _problem(exc, what, fmt) from None
    if tax_id_type == TaxIdType.CA_GST_HST and (len(compact) != 15 or compact[9:11] != "RT"):
        raise TaxIdError(
            str(
                _(
                    "A GST/HST number is the business number followed by RT and 4 digits, "
                    "e.g. 123456782RT0001."
                )
            )
        )
    if tax_id_type == TaxIdType.CA_BN and len(compact) != 9:
        raise TaxIdError(str(_("A business number has 9 digits; for GST/HST choose ca_gst_hst.")))
    if tax_id_type == TaxIdType.GB_VAT:
        return "GB" + compact
    if tax_id_type in (TaxIdType.US_EIN, TaxIdType.CH_VAT, TaxIdType.CH_UID, TaxIdType.NO_VAT):
        formatted: str = module.format(compact)
        return formatted
    return compact


def _normalize_eu_vat(country: str, value: str, fmt: str) -> str:
    # Not eu_vat.compact(): it raises a bare stdnum error for a prefix it doesn't know (GB, XX).
    compact = clean(value, " -./,").upper()
    prefix = compact[:2]
    if country in VAT_AREA_OF and prefix != vat_prefix(country):
        raise TaxIdError(str(_VAT_AREA_MESSAGES[country] % {"fmt": fmt}))
    if prefix == "GR":
        raise TaxIdError(str(_("Greek VAT IDs start with EL, not GR (e.g. EL094259216).")))
    if prefix == "GB":
        raise TaxIdError(
            str(_("GB numbers are not EU VAT IDs since Brexit; choose the type gb_vat."))
        )
    eu_prefixes = {vat_prefix(c) for c in EU_COUNTRIES}
    if prefix not in eu_prefixes:
        raise TaxIdError(
            str(
                _(
                    "An EU VAT ID starts with the country code of an EU member state "
                    "(e.g. DE, FR, EL). Expected format: %(fmt)s."
                )
                % {"fmt": fmt}
            )
        )
    if country in EU_COUNTRIES and prefix != vat_prefix(country):
        raise TaxIdError(
            str(
                _(
                    "This VAT ID starts with %(prefix)s, but the country is %(country)s; "
                    "expected %(expected)s."
                )
                % {"prefix": prefix, "country": country, "expected": fmt}
            )
        )
    if country and not has_eu_vat_ids(country):
        raise TaxIdError(
            str(
                _(
                    "EU VAT IDs belong to EU countries; %(country)s is not one. "
                    "Choose the tax-ID type that fits %(country)s."
                )
                % {"country": country}
            )
        )
    try:
        return eu_vat.validate(compact)
    except stdnum_errors.ValidationError as exc:
        raise _problem(
            exc, _("%(prefix)s VAT ID") % {"prefix": prefix}, _EU_FORMATS.get(prefix, fmt)
        ) from None
