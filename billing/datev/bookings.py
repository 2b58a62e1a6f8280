"""From mirrored invoices and payments (as plain facts) to DATEV bookings. Pure.

Every booking is seen from ``Konto``:
- invoice:      debtor S  against revenue (the gross amount; automatic accounts split the VAT)
- credit note:  debtor H  against revenue (the reverse of the invoice)
- payment:      clearing / bank S  against debtor (Stripe payments go through Geldtransit)
- refund:       clearing / bank H  against debtor (the reverse of the payment)
- a voided invoice or payment keeps its booking and gets a reversal ("Storno") on the day it
  was voided, so a period already handed to the tax advisor never changes.
Belegfeld 1 is the invoice number (the credit note's own number for credit notes), so DATEV's
open items match payments to invoices; Beleginfo 1 carries the Stripe invoice id of every row.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from billing.datev.accounts import TAXED_TREATMENTS, AccountPlan, UnmappedTreatment
from billing.datev.extf import MAX_AMOUNT_CENTS, Booking, Side
from rules.tax import TaxTreatment

STRIPE_INVOICE = "Stripe-Rechnung"
STRIPE_MONEY = {
    "stripe": "Stripe-Zahlung",
    "manual": "Zahlung manuell",
    "refund": "Stripe-Erstattung",
    "credit_note": "Stripe-Gutschrift",
    "accounting": "Zahlung laut Buchhaltung",
}
# The file is read by a German tax advisor's DATEV, so its texts are German whatever the UI is.
TEXTS = {
    "invoice": "Rechnung",
    "credit_note": "Gutschrift",
    "stripe": "Zahlung",
    "manual": "Zahlung",
    "refund": "Erstattung",
    "accounting": "Zahlung",
}
STORNO = "Storno"


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    stripe_id: str
    number: str
    day: date  # invoice date (Berlin)
    total: int  # minor units, with VAT
    tax: int
    currency: str
    treatment: str
    debtor: str
    customer_name: str
    vat_id: str = ""
    due_date: date | None = None
    voided_on: date | None = None


@dataclass(frozen=True, slots=True)
class MoneyFact:
    """A row of billing.Payment: payment, refund or credit note (amount signed as stored)."""

    provider_id: str
    source: str
    method: str
    amount: int
    day: date
    invoice: InvoiceFact
    reference: str = ""
    voided_on: date | None = None


# What can be wrong with an invoice's facts; the export page says it in the user's language.
NO_VAT_ON_TAXED = "no_vat_on_taxed"
VAT_ON_UNTAXED = "vat_on_untaxed"
UNMAPPED_TREATMENT = "unmapped_treatment"


@dataclass(frozen=True)
class Problem:
    stripe_id: str
    code: str


def _side(amount: int, positive: Side) -> Side:
    if amount > 0:
        return positive
    return Side.CREDIT if positive == Side.DEBIT else Side.DEBIT


def _reverse(booking: Booking, day: date) -> Booking:
    flipped = Side.CREDIT if booking.side == Side.DEBIT else Side.DEBIT
    return replace(
        booking, side=flipped, day=day, text=f"{STORNO} {booking.text}", service_date=None
    )


def _text(word: str, number: str, name: str) -> str:
    return f"{word} {number} {name}".strip()


# Bookings that the EC Sales List reports carry the customer's VAT ID.
EC_SALES_LIST = frozenset({TaxTreatment.REVERSE_CHARGE, "intra_eu_goods"})


def _vat_id(invoice: InvoiceFact) -> str:
    return invoice.vat_id if invoice.treatment in EC_SALES_LIST else ""


def invoice_bookings(invoice: InvoiceFact, plan: AccountPlan) -> list[Booking]:
    """The invoice (debtor S vs revenue), and its reversal when it was voided."""
    if invoice.total == 0:
        return []
    revenue, tax_key = plan.revenue(invoice.treatment)
    booking = Booking(
        amount=abs(invoice.total),
        side=_side(invoice.total, Side.DEBIT),
        account=invoice.debtor,
        contra_account=revenue,
        tax_key=tax_key,
        day=invoice.day,
        document=invoice.number,
        text=_text(TEXTS["invoice"], invoice.number, invoice.customer_name),
        service_date=invoice.day,
        due_date=invoice.due_date,
        vat_id=_vat_id(invoice),
        infos=((STRIPE_INVOICE, invoice.stripe_id),),
        party=invoice.customer_name,
        currency=invoice.currency,
    )
    if invoice.voided_on is None:
        return [booking]
    return [booking, replace(_reverse(booking, invoice.voided_on), due_date=None)]


def money_bookings(money: MoneyFact, plan: AccountPlan) -> list[Booking]:
    """A payment, refund or credit note, and its reversal when it was voided."""
    if money.amount == 0:
        return []
    invoice = money.invoice
    if money.source == "credit_note":
        booking = _credit_note(money, plan)
    else:
        booking = Booking(
            amount=abs(money.amount),
            side=_side(money.amount, Side.DEBIT),
            account=plan.money(money.source, money.method),
            contra_account=invoice.debtor,
            day=money.day,
            document=invoice.number,
            text=_text(TEXTS[money.source], invoice.number, invoice.customer_name),
            infos=_money_infos(money),
            party=invoice.customer_name,
            currency=invoice.currency,
        )
    if money.voided_on is None:
        return [booking]
    return [booking, _reverse(booking, money.voided_on)]


def _credit_note(money: MoneyFact, plan: AccountPlan) -> Booking:
    invoice = money.invoice
    revenue, tax_key = plan.revenue(invoice.treatment)
    number = money.reference or invoice.number
    return Booking(
        amount=abs(money.amount),
        side=_side(-money.amount, Side.CREDIT),  # stored negative: the debtor is credited
        account=invoice.debtor,
        contra_account=revenue,
        tax_key=tax_key,
        day=money.day,
        document=number,
        text=_text(TEXTS["credit_note"], number, invoice.customer_name),
        service_date=invoice.day,  # it corrects the invoice's supply
        vat_id=_vat_id(invoice),
        infos=(*_money_infos(money), ("Rechnung", invoice.number)),
        party=invoice.customer_name,
        currency=invoice.currency,
    )


def _money_infos(money: MoneyFact) -> tuple[tuple[str, str], ...]:
    return (
        (STRIPE_INVOICE, money.invoice.stripe_id),
        (STRIPE_MONEY.get(money.source, money.source), money.provider_id),
    )


def tax_problems(invoice: InvoiceFact) -> list[Problem]:
    """Where the invoice's VAT contradicts its treatment (the advisor should look at it)."""
    taxed = invoice.treatment in TAXED_TREATMENTS
    if taxed and invoice.tax == 0 and invoice.total != 0:
        return [Problem(invoice.stripe_id, NO_VAT_ON_TAXED)]
    if not taxed and invoice.tax != 0:
        return [Problem(invoice.stripe_id, VAT_ON_UNTAXED)]
    return []


def build(
    invoices: list[InvoiceFact], money: list[MoneyFact], plan: AccountPlan
) -> tuple[list[Booking], list[Problem]]:
    """All bookings of these facts (any date; the caller keeps the period's) and the facts that
    have no revenue account."""
    bookings: list[Booking] = []
    problems: list[Problem] = []
    for invoice in invoices:
        try:
            bookings += invoice_bookings(invoice, plan)
        except UnmappedTreatment:
            problems.append(Problem(invoice.stripe_id, UNMAPPED_TREATMENT))
    for item in money:
        try:
            bookings += money_bookings(item, plan)
        except UnmappedTreatment:
            problems.append(Problem(item.invoice.stripe_id, UNMAPPED_TREATMENT))
    return bookings, problems


# The export page's four counts; a booking's text says which it belongs to.
INVOICES, CREDIT_NOTES, PAYMENTS, REVERSALS = "invoices", "credit_notes", "payments", "reversals"
KINDS = (INVOICES, CREDIT_NOTES, PAYMENTS, REVERSALS)


def kind(text: str) -> str:
    if text.startswith(f"{STORNO} "):
        return REVERSALS
    if text.startswith(f"{TEXTS['credit_note']} "):
        return CREDIT_NOTES
    return INVOICES if text.startswith(f"{TEXTS['invoice']} ") else PAYMENTS


@dataclass
class Tally:
    """What build() makes of the facts within a period, counted instead of made: bookings per
    (day, kind), the problems, and the bookings whose texts ``plain`` did not vouch for (made,
    keyed by their place in build()'s order, for the encoding check)."""

    per_day: dict[tuple[date, str], int]
    problems: list[Problem]
    unsure: list[tuple[tuple[object, ...], Booking]]


def tally(
    invoices: list[InvoiceFact],
    money: list[MoneyFact],
    plan: AccountPlan,
    period: tuple[date, date],
    plain: Callable[..., bool],
) -> Tally:
    """``plain(texts)`` says whether texts need no encoding check; the rest is build()'s rules
    (a test holds the two together)."""
    first, last = period
    per_day: dict[tuple[date, str], int] = {}
    problems: list[Problem] = []
    unsure: list[tuple[tuple[object, ...], Booking]] = []

    def count(day: date, kind_: str) -> None:
        if first <= day <= last:
            per_day[day, kind_] = per_day.get((day, kind_), 0) + 1

    def check(seq: int, made: list[Booking]) -> None:
        for n, booking in enumerate(made):
            if first <= booking.day <= last:
                unsure.append(((booking.day, booking.document, seq, n), booking))

    vouched: dict[str, bool] = {}  # by invoice: its texts need no check

    def plain_invoice(invoice: InvoiceFact) -> bool:
        known = vouched.get(invoice.stripe_id)
        if known is None:
            known = vouched[invoice.stripe_id] = plain(_invoice_texts(invoice))
        return known

    for seq, invoice in enumerate(invoices):
        if invoice.total == 0:
            continue
        try:
            plan.revenue(invoice.treatment)
        except UnmappedTreatment:
            problems.append(Problem(invoice.stripe_id, UNMAPPED_TREATMENT))
            continue
        count(invoice.day, kind(_text(TEXTS["invoice"], invoice.number, invoice.customer_name)))
        if invoice.voided_on is not None:
            count(invoice.voided_on, REVERSALS)
        if abs(invoice.total) > MAX_AMOUNT_CENTS or not plain_invoice(invoice):
            check(seq, invoice_bookings(invoice, plan))
    for seq, item in enumerate(money, start=len(invoices)):
        if item.amount == 0:
            continue
        invoice = item.invoice
        if item.source == "credit_note":
            try:
                plan.revenue(invoice.treatment)
            except UnmappedTreatment:
                problems.append(Problem(invoice.stripe_id, UNMAPPED_TREATMENT))
                continue
            word, number = TEXTS["credit_note"], item.reference or invoice.number
        else:
            word, number = TEXTS[item.source], invoice.number
        count(item.day, kind(_text(word, number, invoice.customer_name)))
        if item.voided_on is not None:
            count(item.voided_on, REVERSALS)
        if (
            abs(item.amount) > MAX_AMOUNT_CENTS
            or not plain_invoice(invoice)
            or not plain((item.provider_id, item.reference, item.source))
        ):
            check(seq, money_bookings(item, plan))
    return Tally(per_day, problems, unsure)


def _invoice_texts(invoice: InvoiceFact) -> tuple[str, ...]:
    return (invoice.number, invoice.customer_name, invoice.vat_id, invoice.stripe_id)
