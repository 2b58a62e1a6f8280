"""Build an EInvoice from plain facts: Stripe's figures, the quote's lines, the tax decision.

Pure. Stripe's invoice is the truth for the totals: the quote's lines are used only when their
net sum equals Stripe's total less Stripe's tax to the cent, and Stripe's tax amount is used as
is (checked against the rate within Stripe's per-line rounding). Anything else raises
TotalsMismatch instead of issuing an e-invoice that disagrees with the invoice it stands for.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing.einvoice.model import (
    Category,
    DocumentType,
    EInvoice,
    Line,
    Party,
    Payment,
    PrecedingInvoice,
    TaxSubtotal,
    Totals,
)
from billing.money import from_minor_units, line_net, quantum, round_money, tax_amount
from billing.tax import TaxTreatment

UNIT_CODES = {"hour": "HUR"}  # everything else is counted in pieces (C62)


class TotalsMismatch(ValueError):
    """The quote's lines cannot stand for this Stripe invoice's totals."""


class NotAnEInvoice(ValueError):
    """No EN 16931 VAT category fits (e.g. an MSP in a country without a national VAT)."""


@dataclass(frozen=True)
class StripeFigures:
    """What the mirrored Stripe invoice says, amounts in minor units."""

    number: str
    issue_date: date
    currency: str
    total: int
    tax: int
    amount_due: int
    due_date: date | None = None


@dataclass(frozen=True)
class LineFacts:
    """A quote line as the invoice bills it."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal | None = None


def category_for(treatment: str, rate: Decimal) -> tuple[Category, Decimal]:
    """EN 16931 category and rate for our tax treatment.

    Third-country B2B services are O (outside the scope of VAT: the place of supply is the
    customer's country, Art. 44), not G, which is the exemption of exported goods (Art. 146)."""
    if treatment in (TaxTreatment.DOMESTIC, TaxTreatment.EU_NO_VAT_ID):
        return Category.STANDARD, rate
    if treatment == TaxTreatment.REVERSE_CHARGE:
        return Category.REVERSE_CHARGE, Decimal(0)
    if treatment == TaxTreatment.EXPORT:
        return Category.OUTSIDE_SCOPE, Decimal(0)
    raise NotAnEInvoice(f"no EN 16931 VAT category for treatment {treatment!r}")


def make_lines(
    facts: Iterable[LineFacts], currency: str, category: Category, rate: Decimal
) -> tuple[Line, ...]:
    lines = []
    for position, fact in enumerate(facts, start=1):
        net = line_net(fact.quantity, fact.unit_price, fact.discount_percent, currency)
        gross = round_money(fact.quantity * fact.unit_price, currency)
        lines.append(
            Line(
                position=position,
                description=fact.description,
                quantity=fact.quantity,
                unit_code=UNIT_CODES.get(fact.unit, "C62"),
                unit_price=round_money(fact.unit_price, currency),
                net=net,
                category=category,
                rate=rate,
                discount=gross - net,
                discount_percent=fact.discount_percent or None,
            )
        )
    return tuple(lines)


def _net_sum(lines: Sequence[Line], currency: str) -> Decimal:
    return round_money(sum((line.net for line in lines), Decimal(0)), currency)


def choose_lines(
    candidates: Iterable[Sequence[LineFacts]],
    figures: StripeFigures,
    category: Category,
    rate: Decimal,
) -> tuple[Line, ...]:
    """The first candidate set of lines whose net sum is Stripe's net total to the cent."""
    net = from_minor_units(figures.total - figures.tax, figures.currency)
    tried = []
    for facts in candidates:
        lines = make_lines(facts, figures.currency, category, rate)
        if lines and _net_sum(lines, figures.currency) == net:
            return lines
        tried.append(str(_net_sum(lines, figures.currency)))
    raise TotalsMismatch(
        f"invoice {figures.number}: Stripe's net total is {net} {figures.currency}; "
        f"the quote's lines give {', '.join(tried) or 'nothing'}"
    )


def _check_tax(figures: StripeFigures, category: Category, rate: Decimal, lines) -> Decimal:
    """Stripe's tax, after checking it fits the rate (Stripe rounds per line: one minor unit
    of difference per line at most)."""
    tax = from_minor_units(figures.tax, figures.currency)
    net = _net_sum(lines, figures.currency)
    expected = tax_amount(net, rate, figures.currency) if category == Category.STANDARD else 0
    if abs(tax - expected) > quantum(figures.currency) * len(lines):
        raise TotalsMismatch(
            f"invoice {figures.number}: Stripe's tax {tax} does not fit {rate} % on {net} "
            f"({expected} expected)"
        )
    return tax


def compose(
    figures: StripeFigures,
    *,
    seller: Party,
    buyer: Party,
    treatment: str,
    rate: Decimal,
    candidates: Iterable[Sequence[LineFacts]],
    payment_terms: str,
    pay_link: str = "",
    buyer_reference: str = "",
    order_reference: str = "",
    notes: Sequence[str] = (),
    language: str = "en",
) -> EInvoice:
    """The e-invoice (type 380) of one finalized Stripe invoice."""
    category, rate = category_for(treatment, rate)
    lines = choose_lines(candidates, figures, category, rate)
    tax = _check_tax(figures, category, rate, lines)
    currency = figures.currency
    net = _net_sum(lines, currency)
    grand = from_minor_units(figures.total, currency)
    due = from_minor_units(figures.amount_due, currency)
    return EInvoice(
        number=figures.number,
        issue_date=figures.issue_date,
        type_code=DocumentType.INVOICE,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=lines,
        subtotals=(TaxSubtotal(category, rate, net, tax),),
        totals=Totals(lines=net, tax=tax, grand=grand, prepaid=grand - due, due=due),
        payment=Payment(terms=payment_terms, due_date=figures.due_date, pay_link=pay_link),
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        delivery_date=figures.issue_date,  # services billed as of the invoice date
        notes=tuple(notes),
        language=language,
    )


def credit_note(
    invoice: EInvoice, number: str, issue_date: date, *, terms: str = "Refund"
) -> EInvoice:
    """A credit note (381) that reverses ``invoice`` in full, citing it (BG-3). EN 16931 credit
    notes carry positive amounts; the type code says they go the other way."""
    totals = invoice.totals
    return replace(
        invoice,
        number=number,
        issue_date=issue_date,
        type_code=DocumentType.CREDIT_NOTE,
        totals=replace(totals, prepaid=Decimal(0), due=totals.grand),
        payment=Payment(terms=terms),
        preceding=PrecedingInvoice(invoice.number, invoice.issue_date),
    )


class EInvoiceIncomplete(ValueError):
    """Data an XRechnung needs is missing (say which, so the MSP can fill it in)."""

    def __init__(self, message: str, missing: Sequence[str] = ()):
        super().__init__(message)
        self.missing = tuple(missing)


def missing_for_xrechnung(invoice: EInvoice) -> list[str]:
    """What the KoSIT rules (BR-DE-*) require that this invoice lacks, in the MSP's words."""
    seller, buyer = invoice.seller, invoice.buyer
    required = {
        "customer's Leitweg-ID (buyer reference)": invoice.buyer_reference,
        "seller contact name": seller.contact.name,
        "seller contact phone": seller.contact.phone,
        "seller contact email": seller.contact.email,
        "seller email address": seller.email,
        "seller postal code": seller.address.postal_code,
        "seller city": seller.address.city,
        "customer email address": buyer.email,
        "customer postal code": buyer.address.postal_code,
        "customer city": buyer.address.city,
    }
    return [name for name, value in required.items() if not value]
