"""MSPercury's VAT on Stripe invoices: which Stripe TaxRate a supply needs, and the legal
wording the invoice carries. Pure.

A TaxRate's percentage and inclusive flag are immutable in Stripe, so a rate is identified by
(country, percent, inclusive, treatment): a rate change (EE 22 → 24 %) is a new key and a new
TaxRate, while every later push reuses the one it created (``StripeObjectMap``, kind
``tax_rate``). Reverse charge and exports get a 0 % rate of their own, so the Stripe invoice
shows the 0 % line, plus the mention in the customer's language in its footer and both VAT IDs
as custom fields.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rules.tax import TaxTreatment
from rules.wording import export_notice, reverse_charge_notice

# The treatments that put a tax rate on the invoice (NOT_CALCULATED leaves tax alone).
WITH_TAX_RATE = frozenset(
    {
        TaxTreatment.DOMESTIC,
        TaxTreatment.EU_NO_VAT_ID,
        TaxTreatment.REVERSE_CHARGE,
        TaxTreatment.INTRA_EU_GOODS,
        TaxTreatment.EXPORT,
    }
)
_DISPLAY: dict[str, str] = {
    TaxTreatment.REVERSE_CHARGE: "VAT (reverse charge)",
    TaxTreatment.INTRA_EU_GOODS: "VAT (intra-EU supply)",
    TaxTreatment.EXPORT: "VAT (not taxable here)",
}
# Codes Stripe's `country` field does not take (not ISO 3166-1): left to `jurisdiction`.
_NOT_ISO = {"XI", "IC", "EA", "EL"}


@dataclass(frozen=True)
class TaxRateSpec:
    country: str  # whose rate (the decision's rate country)
    percent: Decimal
    inclusive: bool
    treatment: str

    @property
    def key(self) -> str:
        behaviour = "inclusive" if self.inclusive else "exclusive"
        percent = format(self.percent.normalize(), "f")
        return f"{self.country or '-'}:{percent}:{behaviour}:{self.treatment}"

    def create_params(self) -> dict[str, Any]:
        """What POST /v1/tax_rates gets (the same for every workspace on the account)."""
        params: dict[str, Any] = {
            "display_name": _DISPLAY.get(self.treatment, "VAT"),
            "percentage": self.percent,
            "inclusive": self.inclusive,
            "tax_type": "vat",
            "description": f"MSPercury {self.key}",
            "metadata": {"mspercury_tax_rate": self.key},
        }
        if self.country:
            params["jurisdiction"] = self.country
            if self.country not in _NOT_ISO:
                params["country"] = self.country
        return params


def tax_rate_spec(
    treatment: str, percent: Decimal, country: str, inclusive: bool = False
) -> TaxRateSpec | None:
    """The TaxRate a supply with this decision needs, or None (no tax calculated)."""
    if treatment not in WITH_TAX_RATE:
        return None
    return TaxRateSpec(country.upper(), Decimal(percent), inclusive, str(treatment))


@dataclass(frozen=True)
class InvoiceWording:
    footer: str  # appended to the invoice footer
    custom_fields: tuple[dict[str, str], ...]  # up to 4 {"name" ≤ 40, "value" ≤ 140}


def invoice_wording(
    treatment: str,
    language: str,
    supplier_country: str,
    supplier_vat_id: str,
    customer_vat_id: str,
) -> InvoiceWording | None:
    """The mention a reverse-charge or export invoice must carry, in the customer's language."""
    if treatment == TaxTreatment.REVERSE_CHARGE:
        notice = reverse_charge_notice(language, supplier_country, supplier_vat_id, customer_vat_id)
    elif treatment == TaxTreatment.EXPORT:
        notice = export_notice(language, supplier_country)
    else:
        return None
    fields = [{"name": notice["title"][:40], "value": notice["lines"][0][:140]}]
    if treatment == TaxTreatment.REVERSE_CHARGE:
        # The last two lines name both VAT IDs ("Supplier's VAT ID: DE…").
        for line in notice["lines"][-2:]:
            name, _sep, value = line.partition(": ")
            if value:
                fields.append({"name": name[:40], "value": value[:140]})
    return InvoiceWording(f"{notice['title']}. {notice['body']}", tuple(fields))
