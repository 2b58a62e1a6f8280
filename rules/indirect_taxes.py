"""The indirect taxes of countries outside our VAT table, named as they are called. Pure.

MSPercury computes the VATs of ``rules.tax.STANDARD_RATES``. Elsewhere a country has its own
indirect tax, which MSPercury does not calculate (Stripe Tax can, when the MSP turns it on):
Canada's GST/HST (Excise Tax Act, Part IX), Australia's GST (A New Tax System (Goods and Services
Tax) Act 1999), New Zealand's GST (Goods and Services Tax Act 1985), Singapore's GST (Goods and
Services Tax Act 1993), India's GST (CGST/SGST/IGST Acts 2017), Japan's consumption tax
(Consumption Tax Act 1988), and the sales taxes of the US states (the US has no VAT). The pages
say which tax goes uncalculated, never that a country "has no VAT".
"""

from django.utils.translation import gettext_lazy as _
from django_countries import countries

INDIRECT_TAXES = {
    "US": _("US sales tax"),
    "CA": _("Canada's GST/HST"),
    "AU": _("Australia's GST"),
    "NZ": _("New Zealand's GST"),
    "SG": _("Singapore's GST"),
    "IN": _("India's GST"),
    "JP": _("Japan's consumption tax"),
}


def indirect_tax_name(country: str) -> str:
    """ "Canada's GST/HST"; for a country we have no name for, "the taxes of Brazil"."""
    country = (country or "").upper()
    if country in INDIRECT_TAXES:
        return str(INDIRECT_TAXES[country])
    return str(_("the taxes of %(country)s") % {"country": countries.name(country) or country})


def not_calculated_note(country: str) -> str:
    """What the quote says about a workspace in ``country``: which tax MSPercury leaves out."""
    return str(
        _(
            "MSPercury does not calculate %(tax)s; only Stripe Tax, when it is on, adds it to "
            "the invoices in Stripe."
        )
        % {"tax": indirect_tax_name(country)}
    )


def not_calculated_warning(country: str) -> str:
    """The warning while Stripe Tax is off: the invoices carry none of that tax."""
    return str(
        _(
            "MSPercury does not calculate %(tax)s and Stripe Tax is off: the invoices pushed to "
            "Stripe carry none of it."
        )
        % {"tax": indirect_tax_name(country)}
    )
