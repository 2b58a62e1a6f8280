"""From quote rows to the figures a page shows: line amounts, totals, margins, tax lines.

The arithmetic is in ``quotes.domain`` (pure); this module feeds it and labels the result.
Shared by the editor and the share page.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from customers.tax_parties import customer_party
from quotes import domain
from quotes.models import Quote, QuoteLine
from rules.indirect_taxes import not_calculated_note
from rules.tax import Party, TaxDecision, TaxTreatment, awaiting_vies, decide_tax

TREATMENT_LABELS = {
    TaxTreatment.DOMESTIC: _("Domestic VAT"),
    TaxTreatment.REVERSE_CHARGE: _("EU reverse charge"),
    TaxTreatment.EU_NO_VAT_ID: _("EU customer without VAT ID: domestic rate"),
    TaxTreatment.EXPORT: _("Export: not taxable in the supplier's country"),
    TaxTreatment.NOT_CALCULATED: _("VAT not calculated"),
}
TREATMENT_NOTES = {
    TaxTreatment.REVERSE_CHARGE: _(
        "0 %: the customer accounts for the VAT (reverse charge, Art. 196 VAT Directive)."
    ),
    TaxTreatment.EXPORT: _("0 %: the place of supply is outside the supplier's VAT area."),
}
SALES_TAX_NOT_CALCULATED = _("Sales tax: not calculated")
REVERSE_CHARGE_PENDING = _("Reverse charge pending VIES confirmation")
REVERSE_CHARGE_PENDING_NOTE = _(
    "VIES has not confirmed the customer's VAT ID yet (no answer so far, or the last one "
    "expired). MSPercury keeps asking; the customer page shows the checks."
)


def sales_tax_country(decision: TaxDecision) -> bool:
    return decision.treatment == TaxTreatment.NOT_CALCULATED and "no_national_vat" in decision.hints


HINT_MESSAGES = {
    "oss_may_apply": _(
        "EU customer without a VAT ID: taxed like a consumer at your domestic rate. For "
        "electronically supplied services, once such EU-wide sales pass €10,000 a year, the "
        "customer country's rate applies, declared through the One-Stop Shop (OSS)."
    ),
    "supplier_vat_id_missing": _(
        "Your workspace has no tax ID: add it in the workspace settings (needed on invoices and "
        "for reverse charge)."
    ),
    "customer_country_missing": _(
        "The customer has no country: the tax treatment assumes your own country."
    ),
    "supplier_country_missing": _("Your workspace has no country: set it to calculate VAT."),
    "customer_vat_id_invalid": _(
        "VIES says the customer's VAT ID is invalid: no reverse charge, your domestic rate "
        "applies until the customer gives a valid VAT ID."
    ),
}


@dataclass(frozen=True)
class LineRow:
    line: QuoteLine
    amounts: domain.LineAmounts


@dataclass(frozen=True)
class QuoteSummary:
    rows: list[LineRow]
    totals: domain.QuoteTotals
    tax: domain.TaxSummary
    supplier_country: str = ""
    # Reverse charge whose customer VAT ID VIES has not confirmed yet (rules.tax).
    vies_pending: bool = False

    @property
    def decision(self) -> TaxDecision:
        return self.tax.decision

    @property
    def sales_tax_not_calculated(self) -> bool:
        """A country whose indirect tax we do not compute (US sales tax, CA GST/HST…)."""
        return sales_tax_country(self.decision)

    @property
    def treatment_label(self):
        if self.sales_tax_not_calculated:
            return SALES_TAX_NOT_CALCULATED
        if self.vies_pending:
            return REVERSE_CHARGE_PENDING
        # Goods (INTRA_EU_GOODS) are not quoted yet: they get a label once they are.
        return TREATMENT_LABELS.get(self.decision.treatment, str(self.decision.treatment))

    @property
    def vies_pending_note(self):
        return REVERSE_CHARGE_PENDING_NOTE

    @property
    def treatment_note(self):
        return TREATMENT_NOTES.get(self.decision.treatment, "")

    @property
    def warnings(self) -> list:
        return [self._hint_message(hint) for hint in self.decision.hints]

    def _hint_message(self, hint: str):
        if hint == "no_national_vat":  # named by the country's own tax (rules.indirect_taxes)
            return not_calculated_note(self.supplier_country)
        return HINT_MESSAGES.get(hint, hint)


def line_input(line: QuoteLine) -> domain.LineInput:
    return domain.LineInput(
        quantity=line.quantity,
        unit_price=line.unit_price,
        billing_period=line.billing_period,
        discount_percent=line.discount_percent,
        cost_price=line.cost_price,
    )


def party(obj) -> Party:
    """A workspace or a customer as a tax party."""
    return Party(
        country=obj.country.code or "",
        tax_id_type=obj.tax_id_type,
        tax_id=obj.tax_id,
    )


def summarize(quote: Quote, lines: list[QuoteLine], workspace, today: date) -> QuoteSummary:
    """Totals and tax of ``quote`` with its ``lines`` (already loaded, in order)."""
    totals = domain.quote_totals([line_input(line) for line in lines], quote.currency)
    customer = customer_party(quote.customer)
    decision = decide_tax(party(workspace), customer, today)
    return QuoteSummary(
        rows=[LineRow(line, amounts) for line, amounts in zip(lines, totals.lines, strict=True)],
        totals=totals,
        tax=domain.tax_summary(totals, decision),
        supplier_country=workspace.country.code or "",
        vies_pending=awaiting_vies(decision.treatment, customer.vat_id_status),
    )
