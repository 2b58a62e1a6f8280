"""Build an EInvoice from plain facts: Stripe's figures, Stripe's lines, the tax decision.

Pure. Stripe is the truth: the lines are Stripe's own (prorations and amendments included), each
with the category and rate of its Stripe tax and Stripe's tax amount rounded per line (checked
against the rate, one minor unit apart at most); their sums must equal Stripe's tax and total to
the cent. An invoice mirrored before its lines were falls back to the quote's lines, used only
when their net sum equals Stripe's. Anything else raises TotalsMismatch instead of issuing an
e-invoice that disagrees with the invoice (or credit note) it stands for.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

from billing.einvoice.means import PaymentMeans, girocode_amount
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
from rules.money import from_minor_units, line_net, quantum, round_money, tax_amount
from rules.tax import TaxTreatment

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
    amount_paid: int = 0  # paid so far (Stripe's amount_paid)
    credited_before_payment: int = 0  # the pre-payment amounts of its issued credit notes

    @property
    def payable(self) -> int:
        """BT-115: the total less payments and credit balance applied. A credit note taken off
        before payment is its own document (381), so it is not paid in advance (BT-113)."""
        return self.amount_due - self.amount_paid + self.credited_before_payment

    @property
    def to_transfer(self) -> int:
        """What the buyer still transfers: BT-115 less the credit notes that reduce it."""
        return self.amount_due - self.amount_paid


@dataclass(frozen=True)
class LineFacts:
    """A quote line as the invoice bills it."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal | None = None


@dataclass(frozen=True)
class StripeLineFacts:
    """One of Stripe's invoice or credit-note lines, amounts in minor units.

    ``treatment`` and ``rate`` are those of the Stripe tax rate on the line when MSPercury made
    it, else empty (the invoice's treatment applies). ``quote`` is the quote line it bills,
    when MSPercury pushed it: it knows units, fractional quantities and discounts."""

    description: str
    quantity: Decimal
    amount: int  # before discounts and tax
    discount: int = 0
    tax: int = 0
    taxed: bool = False  # Stripe put a tax (possibly 0) on the line
    taxable: int | None = None  # Stripe's taxable amount, when it says so
    treatment: str = ""
    rate: Decimal | None = None
    period: tuple[date, date] | None = None
    quote: LineFacts | None = None


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


def _stripe_line(
    position: int, fact: StripeLineFacts, currency: str, category: Category, rate: Decimal
) -> Line:
    """A Line from Stripe's amounts: the net is Stripe's, the quote only describes it better
    when it bills exactly that net (an unchanged line, not a proration)."""
    net_minor = fact.taxable if fact.taxable is not None else fact.amount - fact.discount
    net = from_minor_units(net_minor, currency)
    quoted = fact.quote
    unit = UNIT_CODES.get(quoted.unit, "C62") if quoted else "C62"
    common: dict[str, Any] = {
        "position": position,
        "description": fact.description or (quoted.description if quoted else ""),
        "unit_code": unit,
        "net": net,
        "category": category,
        "rate": rate,
        "tax": from_minor_units(fact.tax, currency),
        "period_start": fact.period[0] if fact.period else None,
        "period_end": fact.period[1] if fact.period else None,
    }
    if quoted and not fact.discount and net == _quoted_net(quoted, currency):
        (line,) = make_lines([quoted], currency, category, rate)
        return replace(line, **common)
    return Line(**common, **_price_of(fact, net, currency))


def _quoted_net(fact: LineFacts, currency: str) -> Decimal:
    return line_net(fact.quantity, fact.unit_price, fact.discount_percent, currency)


def _price_of(fact: StripeLineFacts, net: Decimal, currency: str) -> dict[str, Any]:
    """Quantity, unit price (BT-146, never negative: BR-27) and discount. A credit line
    (a proration's unused time) has a negative quantity. A price that is not a whole minor
    unit per unit is given for all of them (base quantity BT-149), so net = quantity × price
    stays exact."""
    quantity = abs(fact.quantity) or Decimal(1)
    negative = net < 0
    if negative:
        gross = abs(net)
    elif fact.taxable is not None:  # tax-inclusive: Stripe's amount holds the tax
        gross = net + from_minor_units(fact.discount, currency)
    else:
        gross = from_minor_units(fact.amount, currency)
    price = gross / quantity
    base = None
    if round_money(price, currency) != price:
        price, base = gross, quantity
    discount = Decimal(0) if negative else gross - net
    return {
        "quantity": -quantity if negative else quantity,
        "unit_price": price,
        "base_quantity": base,
        "discount": discount,
    }


def lines_from_stripe(
    facts: Sequence[StripeLineFacts], currency: str, treatment: str, rate: Decimal
) -> tuple[Line, ...]:
    """Stripe's lines, each with the category and rate of its own tax (the invoice's when
    Stripe's tax rate is not one MSPercury made); Stripe's tax per line is checked against
    the rate, one minor unit apart at most (Stripe rounds each line, rules.money rule 3)."""
    lines = []
    for position, fact in enumerate(facts, start=1):
        category, line_rate = category_for(
            fact.treatment or treatment, fact.rate if fact.rate is not None else rate
        )
        line = _stripe_line(position, fact, currency, category, line_rate)
        _check_line_tax(line, fact, currency)
        lines.append(line)
    return tuple(lines)


def _check_line_tax(line: Line, fact: StripeLineFacts, currency: str) -> None:
    if line.category == Category.STANDARD:
        if not fact.taxed and line.net:
            raise TotalsMismatch(
                f"line “{line.description}” carries no VAT in Stripe, but is standard rated"
            )
        expected = tax_amount(line.net, line.rate, currency)
    else:
        expected = Decimal(0)
    if abs(line.tax - expected) > quantum(currency):
        raise TotalsMismatch(
            f"line “{line.description}”: Stripe's tax {line.tax} does not fit {line.rate} % "
            f"on {line.net} ({expected} expected)"
        )


def breakdown(lines: Sequence[Line], currency: str) -> tuple[TaxSubtotal, ...]:
    """BG-23: one subtotal per category and rate, the sum of the lines' nets and taxes."""
    groups: dict[tuple[Category, Decimal], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.category, line.rate), []).append(line)
    return tuple(
        TaxSubtotal(
            category,
            rate,
            _net_sum(members, currency),
            round_money(sum((x.tax for x in members), Decimal(0)), currency),
        )
        for (category, rate), members in groups.items()
    )


def check_stripe_totals(
    number: str, lines: Sequence[Line], total: int, tax: int, currency: str
) -> None:
    """Stripe's lines must add up to Stripe's tax and total, to the cent."""
    net = _net_sum(lines, currency)
    line_tax = round_money(sum((x.tax for x in lines), Decimal(0)), currency)
    stripe_tax, stripe_total = from_minor_units(tax, currency), from_minor_units(total, currency)
    if line_tax != stripe_tax or net + line_tax != stripe_total:
        raise TotalsMismatch(
            f"{number}: Stripe's lines give {net} net + {line_tax} tax; Stripe's totals are "
            f"{stripe_total} with {stripe_tax} tax {currency}"
        )


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


def _check_tax(
    figures: StripeFigures, category: Category, rate: Decimal, lines: Sequence[Line]
) -> Decimal:
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
    candidates: Iterable[Sequence[LineFacts]] = (),
    stripe_lines: Sequence[StripeLineFacts] = (),
    payment_terms: str,
    pay_link: str = "",
    buyer_reference: str = "",
    order_reference: str = "",
    notes: Sequence[str] = (),
    language: str = "en",
    means: PaymentMeans | None = None,
    means_text: str = "",
) -> EInvoice:
    """The e-invoice (type 380) of one finalized Stripe invoice: from Stripe's own lines, or
    (an invoice mirrored before its lines were) from the quote lines that explain its totals."""
    currency = figures.currency
    if stripe_lines:
        lines = lines_from_stripe(stripe_lines, currency, treatment, rate)
        check_stripe_totals(figures.number, lines, figures.total, figures.tax, currency)
        subtotals = breakdown(lines, currency)
    else:
        category, rate = category_for(treatment, rate)
        lines = choose_lines(candidates, figures, category, rate)
        tax = _check_tax(figures, category, rate, lines)
        subtotals = (TaxSubtotal(category, rate, _net_sum(lines, currency), tax),)
    net = _net_sum(lines, currency)
    tax = from_minor_units(figures.tax, currency)
    grand = from_minor_units(figures.total, currency)
    due = from_minor_units(figures.payable, currency)
    payment = Payment(
        terms=payment_terms, due_date=figures.due_date, pay_link=pay_link, information=means_text
    )
    if means is not None:
        to_transfer = girocode_amount(means, from_minor_units(figures.to_transfer, currency))
        payment = replace(payment, means=means, to_transfer=to_transfer)
    return EInvoice(
        number=figures.number,
        issue_date=figures.issue_date,
        type_code=DocumentType.INVOICE,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=lines,
        subtotals=subtotals,
        totals=Totals(lines=net, tax=tax, grand=grand, prepaid=grand - due, due=due),
        payment=payment,
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        **service_dates(lines, figures.issue_date),
        notes=tuple(notes),
        language=language,
    )


def service_dates(lines: Sequence[Line], issued: date) -> dict[str, Any]:
    """§14 Abs. 4 Nr. 6 UStG: the time of the service, always explicit. Lines that all carry
    their period (BG-26) give the invoicing period (BG-14) from the first start to the last
    end; otherwise the services are dated the issue date (BT-72)."""
    periods = [(x.period_start, x.period_end) for x in lines]
    if lines and all(start and end for start, end in periods):
        spans = cast("list[tuple[date, date]]", periods)
        return {"period": (min(p[0] for p in spans), max(p[1] for p in spans))}
    return {"delivery_date": issued}


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


@dataclass(frozen=True)
class CreditNoteFigures:
    """What Stripe's credit note says, amounts in minor units (positive, as Stripe has them)."""

    number: str
    issue_date: date
    currency: str
    total: int
    tax: int
    preceding: PrecedingInvoice


def compose_credit_note(
    figures: CreditNoteFigures,
    *,
    seller: Party,
    buyer: Party,
    treatment: str,
    rate: Decimal,
    stripe_lines: Sequence[StripeLineFacts],
    payment_terms: str,
    buyer_reference: str = "",
    order_reference: str = "",
    notes: Sequence[str] = (),
    language: str = "en",
    means_text: str = "",
) -> EInvoice:
    """The credit note (381) of a Stripe credit note, citing its invoice (BG-3), with Stripe's
    lines and totals. EN 16931 credit notes carry positive amounts; the type code says they go
    the other way."""
    currency = figures.currency
    if not stripe_lines:
        raise TotalsMismatch(f"{figures.number}: Stripe's credit note has no lines")
    lines = lines_from_stripe(stripe_lines, currency, treatment, rate)
    check_stripe_totals(figures.number, lines, figures.total, figures.tax, currency)
    grand = from_minor_units(figures.total, currency)
    return EInvoice(
        number=figures.number,
        issue_date=figures.issue_date,
        type_code=DocumentType.CREDIT_NOTE,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=lines,
        subtotals=breakdown(lines, currency),
        totals=Totals(
            lines=_net_sum(lines, currency),
            tax=from_minor_units(figures.tax, currency),
            grand=grand,
            prepaid=Decimal(0),
            due=grand,
        ),
        payment=Payment(terms=payment_terms, information=means_text),
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        preceding=figures.preceding,
        **service_dates(lines, figures.preceding.issue_date),  # the supply it corrects
        notes=tuple(notes),
        language=language,
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
