"""MSPercury's VAT decision as a Lexware Office invoice's ``taxConditions`` and line rates. Pure.

Lexware takes ``taxConditions.taxType`` once per invoice and ``unitPrice.taxRatePercentage`` per
line (Lexware API reference, "Invoices" → "Tax Conditions Details"; notes/connectors-lexware-
sevdesk-polar.md §1.7, §1.14). The mapping, for a business in Germany:

| MSPercury treatment              | taxType                     | line rate | mention     |
|----------------------------------|-----------------------------|-----------|-------------|
| DOMESTIC (§ 1 Abs. 1 Nr. 1 UStG) | net                         | 0, 7, 19  | –           |
| EU_NO_VAT_ID at the German rate  | net                         | 0, 7, 19  | –           |
| REVERSE_CHARGE (§ 3a Abs. 2,     | externalService13b          | 0         | reverse     |
|   § 14a Abs. 1 UStG; Art. 196)   |                             |           | charge      |
| INTRA_EU_GOODS (§ 4 Nr. 1b, 6a)  | intraCommunitySupply        | 0         | intra-EU    |
| EXPORT, services (§ 3a Abs. 2)   | thirdPartyCountryService    | 0         | export      |
| EXPORT, goods (§ 4 Nr. 1a, § 6)  | thirdPartyCountryDelivery   | 0         | export      |

Refused (``TaxRefused``): a currency other than EUR ("Currently only EUR is supported", Unit
Price Details); a rate other than 0, 7 or 19 (FAQ "Valid tax rates": Lexware validates the
German rates; EU destination rates need ``distanceSalesPrinciple: DESTINATION``, which
MSPercury does not decide), so also a One-Stop-Shop sale at another state's rate; lines that
need different tax types (goods and services abroad on one invoice), since the type is per
invoice; a zero-rated type with a rate on a line ("taxRatePercentage must be 0 for vat-free
types"); anything not German (see ``check_common``). ``gross``, ``vatfree`` (§ 19 UStG small
businesses), ``constructionService13b``, ``photovoltaicEquipment`` and ``taxSubType`` are never
chosen: MSPercury prices net and does not decide those cases.

The mention goes into ``taxTypeNote`` (printed on vat-free types; Lexware prints the
organization's default text when it is omitted). Lexware prints documents in German or English
only (``language``), so the invoice is German for German-speaking customers and English
otherwise, while the mention is in the customer's own language where ``rules.wording`` has it.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from integrations.accounting.tax import (
    ZERO,
    InvoiceTax,
    TaxRefused,
    base_language,
    check_common,
    check_rates,
    notice,
    single,
)
from rules.tax import Supply, TaxTreatment

PROVIDER = "Lexware Office"
CURRENCY = "EUR"
RATES = (Decimal(0), Decimal(7), Decimal(19))
TAXED = "net"
ZERO_RATED_TYPES = frozenset(
    {
        "externalService13b",
        "intraCommunitySupply",
        "thirdPartyCountryService",
        "thirdPartyCountryDelivery",
    }
)
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class LexwareTax:
    tax_type: str
    line_rates: tuple[Decimal, ...]
    tax_type_note: str  # "" where VAT is charged
    language: str  # the document's: "de" or "en"
    treatment: str

    @property
    def needs_contact(self) -> bool:
        """Vat-free types "are only usable in combination with a referenced contact": the
        invoice's ``address`` must be a ``contactId``, not a one-time address."""
        return self.tax_type in ZERO_RATED_TYPES

    def tax_conditions(self) -> dict[str, Any]:
        """The invoice's ``taxConditions`` object."""
        conditions: dict[str, Any] = {"taxType": self.tax_type}
        if self.tax_type_note:
            conditions["taxTypeNote"] = self.tax_type_note
        return conditions


def tax_type_for(treatment: str, supply: str) -> str:
    """The Lexware tax type of one line's treatment (a German business's point of view)."""
    if treatment in (TaxTreatment.DOMESTIC, TaxTreatment.EU_NO_VAT_ID):
        return TAXED
    if treatment == TaxTreatment.REVERSE_CHARGE:
        return "externalService13b"
    if treatment == TaxTreatment.INTRA_EU_GOODS:
        return "intraCommunitySupply"
    if treatment == TaxTreatment.EXPORT:
        goods = supply == Supply.GOODS
        return "thirdPartyCountryDelivery" if goods else "thirdPartyCountryService"
    raise TaxRefused(
        "unknown_treatment",
        _("%(provider)s has no tax type for the treatment %(treatment)s."),
        provider=PROVIDER,
        treatment=treatment,
    )


def lexware_tax(invoice: InvoiceTax) -> LexwareTax:
    """Map ``invoice``'s decision to Lexware's fields, or raise TaxRefused saying why not."""
    if invoice.currency != CURRENCY:
        raise TaxRefused(
            "currency",
            _("Lexware Office invoices only in EUR, not in %(currency)s."),
            currency=invoice.currency,
        )
    check_common(invoice, PROVIDER)
    tax_type = single(
        [tax_type_for(line.treatment, line.supply) for line in invoice.lines],
        PROVIDER,
        "taxType",
    )
    check_rates(invoice, RATES, PROVIDER)
    if tax_type in ZERO_RATED_TYPES:
        check_rates(invoice, (ZERO,), PROVIDER)
    first = invoice.lines[0]
    mention = notice(invoice, first.treatment, first.supply)
    language = base_language(invoice.language)
    return LexwareTax(
        tax_type=tax_type,
        line_rates=tuple(line.rate for line in invoice.lines),
        tax_type_note=mention.text if mention else "",
        language=language if language in LANGUAGES else "en",
        treatment=first.treatment,
    )
