"""MSPercury's VAT decision for one invoice, as the accounting-tool connectors read it. Pure.

Lexware Office and sevDesk both take the treatment per invoice (Lexware ``taxType``, sevDesk
``taxRule``) and the rate per line, and both are German bookkeeping tools: they map a German
business's VAT under the UStG. ``rules.tax.decide_tax`` decides the treatment per supply; an
invoice carries one decision per line (its goods and services may differ). What a provider cannot
represent is refused with ``TaxRefused``, whose message says why in the user's language.

The mentions printed on zero-rated invoices come from ``rules.wording`` in the customer's
language (reverse charge: Art. 226(11a) VAT Directive, § 14a Abs. 1 UStG; services outside the
EU: § 3a Abs. 2 UStG; exported goods: § 4 Nr. 1 Buchst. a, § 6 UStG). The intra-Community supply
of goods (§ 4 Nr. 1 Buchst. b, § 6a UStG; Art. 138 VAT Directive) needs its own mention and both
VAT IDs (§ 14a Abs. 3 UStG), which ``rules.wording`` does not carry yet: it lives here, in German
and English.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from rules.tax import Supply, TaxTreatment
from rules.wording import exemption_text, export_notice, reverse_charge_notice

GERMANY = "DE"
ZERO = Decimal(0)

_INTRA_EU = {
    "de": (
        "Steuerfreie innergemeinschaftliche Lieferung",
        "Steuerfrei nach § 4 Nr. 1 Buchst. b i. V. m. § 6a UStG.",
        "USt-IdNr. des Lieferers",
        "USt-IdNr. des Abnehmers",
    ),
    "en": (
        "Exempt intra-Community supply",
        "Exempt under Art. 138 VAT Directive (§ 4 Nr. 1 Buchst. b i. V. m. § 6a UStG).",
        "Supplier's VAT ID",
        "Customer's VAT ID",
    ),
}
GERMAN_EXPORT_OF_GOODS = "Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1 Buchst. a i. V. m. § 6 UStG)."


class TaxRefused(Exception):
    """The provider cannot carry this invoice's VAT as MSPercury decided it.

    ``code`` is for programs and tests; ``message`` tells the MSP why, translated into the
    language active when it is read (the template stays lazy until then)."""

    def __init__(self, code: str, template: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.template = template
        self.params = params

    @property
    def message(self) -> str:
        return str(self.template) % self.params if self.params else str(self.template)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LineTax:
    """The decision for one invoice line: its treatment, its rate (percent) and whose rate."""

    treatment: str
    rate: Decimal
    rate_country: str = GERMANY
    supply: str = Supply.SERVICES


@dataclass(frozen=True)
class InvoiceTax:
    """One invoice's VAT as MSPercury decided it, with what the mentions need."""

    currency: str
    language: str  # the customer's
    supplier_country: str
    lines: tuple[LineTax, ...]
    supplier_vat_id: str = ""
    customer_vat_id: str = ""

    @classmethod
    def uniform(
        cls,
        treatment: str,
        rate: Decimal,
        *,
        lines: int,
        currency: str = "EUR",
        language: str = "de",
        supplier_country: str = GERMANY,
        rate_country: str = GERMANY,
        supply: str = Supply.SERVICES,
        supplier_vat_id: str = "",
        customer_vat_id: str = "",
    ) -> "InvoiceTax":
        """``lines`` lines under one decision (a quote's lines share the customer's)."""
        line = LineTax(str(treatment), Decimal(rate), rate_country.upper(), str(supply))
        return cls(
            currency.upper(),
            language,
            supplier_country.upper(),
            (line,) * lines,
            supplier_vat_id,
            customer_vat_id,
        )


@dataclass(frozen=True)
class Notice:
    """The mention an invoice carries: a short title and the whole text."""

    title: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.title}. {self.body}"


def base_language(language: str) -> str:
    return (language or "").lower().split("-")[0]


def check_common(invoice: InvoiceTax, provider: str) -> None:
    """What neither provider represents: no lines, a business outside Germany, VAT we did not
    calculate, or a rate of another member state (One-Stop-Shop, § 18j UStG)."""
    if not invoice.lines:
        raise TaxRefused("no_lines", _("An invoice needs at least one line."))
    if invoice.supplier_country != GERMANY:
        raise TaxRefused(
            "supplier_not_german",
            _("%(provider)s books German VAT only; this workspace's country is %(country)s."),
            provider=provider,
            country=invoice.supplier_country or "?",
        )
    for line in invoice.lines:
        if line.treatment == TaxTreatment.NOT_CALCULATED:
            raise TaxRefused(
                "not_calculated",
                _("MSPercury calculated no VAT for this invoice, so it cannot be booked."),
            )
        if line.rate and line.rate_country not in ("", GERMANY):
            raise TaxRefused(
                "foreign_rate",
                _(
                    "%(provider)s cannot take the %(rate)s %% VAT of %(country)s "
                    "(a One-Stop-Shop sale)."
                ),
                provider=provider,
                rate=percent(line.rate),
                country=line.rate_country,
            )


def single(kinds: list[str], provider: str, field: str) -> str:
    """The one treatment every line maps to; the provider takes it per invoice, not per line."""
    distinct = sorted(set(kinds))
    if len(distinct) != 1:
        raise TaxRefused(
            "mixed_treatments",
            _(
                "%(provider)s takes one %(field)s per invoice, but these lines need "
                "%(kinds)s: invoice them separately."
            ),
            provider=provider,
            field=field,
            kinds=", ".join(distinct),
        )
    return distinct[0]


def check_rates(invoice: InvoiceTax, allowed: tuple[Decimal, ...], provider: str) -> None:
    for line in invoice.lines:
        if line.rate not in allowed:
            raise TaxRefused(
                "rate_not_allowed",
                _("%(provider)s accepts the VAT rates %(allowed)s %%, not %(rate)s %%."),
                provider=provider,
                allowed=", ".join(percent(a) for a in allowed),
                rate=percent(line.rate),
            )


def percent(rate: Decimal) -> str:
    """19 → "19", 25.50 → "25.5"."""
    return format(rate.normalize(), "f")


def notice(invoice: InvoiceTax, treatment: str, supply: str) -> Notice | None:
    """The mention a zero-rated invoice must carry, in the customer's language where
    ``rules.wording`` has it (English otherwise); None where VAT is charged."""
    language = base_language(invoice.language)
    if treatment == TaxTreatment.REVERSE_CHARGE:
        words = reverse_charge_notice(
            language, invoice.supplier_country, invoice.supplier_vat_id, invoice.customer_vat_id
        )
        return Notice(str(words["title"]), str(words["body"]))
    if treatment == TaxTreatment.EXPORT and supply == Supply.GOODS:
        title = exemption_text("G", language)
        return Notice(title, GERMAN_EXPORT_OF_GOODS)
    if treatment == TaxTreatment.EXPORT:
        words = export_notice(language, invoice.supplier_country)
        return Notice(str(words["title"]), str(words["body"]))
    if treatment == TaxTreatment.INTRA_EU_GOODS:
        title, sentence, supplier, customer = _INTRA_EU.get(language, _INTRA_EU["en"])
        body = (
            f"{sentence} {supplier}: {invoice.supplier_vat_id} "
            f"{customer}: {invoice.customer_vat_id}"
        )
        return Notice(title, body)
    return None
