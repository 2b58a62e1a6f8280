"""MSPercury's VAT decision as a sevDesk invoice's ``taxRule``, ``taxText`` and line rates. Pure.

sevDesk (bookkeeping system "Update 2.0") takes ``taxRule`` once per invoice and ``taxRate`` per
position, and answers 422 when a position's rate is one the rule does not allow (sevDesk API,
"Tax Rules"; notes/connectors-lexware-sevdesk-polar.md §2.13). The mapping, for a business in
Germany:

| MSPercury treatment             | taxRule                                         | rate     |
|---------------------------------|-------------------------------------------------|----------|
| DOMESTIC                        | 1 Umsatzsteuerpflichtige Umsätze                | 0, 7, 19 |
| EU_NO_VAT_ID at the German rate | 1 Umsatzsteuerpflichtige Umsätze                | 0, 7, 19 |
| REVERSE_CHARGE (EU services)    | 21 Reverse Charge gem. § 18b UStG (field 21)    | 0        |
| INTRA_EU_GOODS                  | 3 Innergemeinschaftliche Lieferungen            | 0        |
| EXPORT, services                | 17 Nicht im Inland steuerbare Leistung          | 0        |
| EXPORT, goods                   | 2 Ausfuhren                                     | 0        |

Why 21 and not 5 for reverse charge: 5 is the domestic § 13b UStG case (field 60 of the VAT
return, e.g. construction services); a German MSP's B2B service to another member state is
taxable there (§ 3a Abs. 2 UStG), reported in field 21 and the EC Sales List (§ 18a, § 18b
UStG). Rules 17 and 21 are not allowed on advance, partial or final invoices (AR/TR/ER).

Refused (``TaxRefused``): rates other than those the rule allows; lines needing different
rules (the rule is per invoice); a rate of another member state (the One-Stop-Shop rules 18–20
take the destination's rates, which MSPercury does not decide, and cannot be e-invoices);
anything not German (``check_common``). Rule 4 (§ 4 exemptions) and 11 (§ 19 small business)
are never chosen: MSPercury does not decide those cases. sevDesk takes any ISO 4217 currency.

``taxText`` is printed with the totals: "Umsatzsteuer 19 %" where VAT is charged, else the
mention's title; the whole mention (in the customer's language where ``rules.wording`` has it)
goes into ``footText``. The old ``taxType`` field is not sent: ``taxRule`` replaces it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from integrations.accounting.tax import (
    ZERO,
    InvoiceTax,
    TaxRefused,
    check_common,
    check_rates,
    notice,
    percent,
    single,
)
from rules.tax import Supply, TaxTreatment

PROVIDER = "sevDesk"
TAXABLE = "1"
EXPORT_OF_GOODS = "2"
INTRA_EU_SUPPLY = "3"
NOT_TAXABLE_HERE = "17"
REVERSE_CHARGE_18B = "21"
# The position rates each rule allows (sevDesk "Tax Rules"; rule 3 allows 7 and 19 too, but
# an exempt intra-Community supply has none).
RULE_RATES: dict[str, tuple[Decimal, ...]] = {
    TAXABLE: (Decimal(0), Decimal(7), Decimal(19)),
    EXPORT_OF_GOODS: (ZERO,),
    INTRA_EU_SUPPLY: (ZERO,),
    NOT_TAXABLE_HERE: (ZERO,),
    REVERSE_CHARGE_18B: (ZERO,),
}
NOT_ON_PART_INVOICES = frozenset({NOT_TAXABLE_HERE, REVERSE_CHARGE_18B})
PART_INVOICE_TYPES = frozenset({"AR", "TR", "ER"})


@dataclass(frozen=True)
class SevdeskTax:
    tax_rule: str
    line_rates: tuple[Decimal, ...]
    tax_text: str
    foot_text: str  # the whole mention, "" where VAT is charged
    treatment: str

    def invoice_fields(self) -> dict[str, Any]:
        """The tax fields of ``saveInvoice``'s ``invoice`` (``taxRate`` is unused there)."""
        return {
            "taxRule": {"id": self.tax_rule, "objectName": "TaxRule"},
            "taxText": self.tax_text,
            "taxRate": 0,
        }


def tax_rule_for(treatment: str, supply: str) -> str:
    """The sevDesk tax rule of one line's treatment (a German business's point of view)."""
    if treatment in (TaxTreatment.DOMESTIC, TaxTreatment.EU_NO_VAT_ID):
        return TAXABLE
    if treatment == TaxTreatment.REVERSE_CHARGE:
        return REVERSE_CHARGE_18B
    if treatment == TaxTreatment.INTRA_EU_GOODS:
        return INTRA_EU_SUPPLY
    if treatment == TaxTreatment.EXPORT:
        return EXPORT_OF_GOODS if supply == Supply.GOODS else NOT_TAXABLE_HERE
    raise TaxRefused(
        "unknown_treatment",
        _("%(provider)s has no tax rule for the treatment %(treatment)s."),
        provider=PROVIDER,
        treatment=treatment,
    )


def sevdesk_tax(invoice: InvoiceTax, invoice_type: str = "RE") -> SevdeskTax:
    """Map ``invoice``'s decision to sevDesk's fields, or raise TaxRefused saying why not."""
    if not re.fullmatch(r"[A-Z]{3}", invoice.currency):
        raise TaxRefused(
            "currency",
            _("%(currency)s is not an ISO 4217 currency code."),
            currency=invoice.currency,
        )
    check_common(invoice, PROVIDER)
    rule = single(
        [tax_rule_for(line.treatment, line.supply) for line in invoice.lines],
        PROVIDER,
        "taxRule",
    )
    check_rates(invoice, RULE_RATES[rule], PROVIDER)
    if rule in NOT_ON_PART_INVOICES and invoice_type in PART_INVOICE_TYPES:
        raise TaxRefused(
            "rule_not_for_invoice_type",
            _("sevDesk does not allow tax rule %(rule)s on invoices of type %(type)s."),
            rule=rule,
            type=invoice_type,
        )
    first = invoice.lines[0]
    mention = notice(invoice, first.treatment, first.supply)
    rates = sorted({line.rate for line in invoice.lines if line.rate})
    if mention:
        tax_text = mention.title
    elif rates:
        tax_text = "Umsatzsteuer " + " / ".join(f"{percent(r)} %" for r in rates)
    else:
        tax_text = "Umsatzsteuer 0 %"
    return SevdeskTax(
        tax_rule=rule,
        line_rates=tuple(line.rate for line in invoice.lines),
        tax_text=tax_text,
        foot_text=mention.text if mention else "",
        treatment=first.treatment,
    )
