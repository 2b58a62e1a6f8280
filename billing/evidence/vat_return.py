"""The VAT return as the law computes it, from plain data: no ORM, no clock.

Each invoice line is a supply (a Teilleistung where it bills a period) with the day its service
was performed. What a line contributes to a period is ``counted(end) - counted(start)``, where
``counted(day)`` is the gross amount that has become taxable for the line before ``day``. Every
cent therefore lands in exactly one period, and a change lands in the period it happens in
(§17 Abs. 1 S. 8 UStG: the earlier return is never reopened). ``counted`` depends on the timing:

- AGREED (Soll, §13 Abs. 1 Nr. 1 a UStG, the default): once performed, the agreed amount less
  the reductions so far; before that, what was received (Anzahlungen, S. 4: taxed in the period
  received), so only the unpaid rest counts at performance.
- RECEIVED (Ist, §13 Abs. 1 Nr. 1 b, §20 UStG): what was received less what was paid back,
  whenever the service was performed.
- PERFORMED (§18b S. 3 UStG for Kz 21/41, §18a Abs. 8 UStG and UStAE 18a.3 Abs. 1 S. 3-4 for
  the EC Sales List): the agreed amount less reductions once performed, nothing before,
  whichever method the MSP uses.

Reductions (§17 UStG; UStAE 17.1 Abs. 2 S. 3): the part of a credit note that lowers what was
still owed counts on the note's day; money already paid lowers the base only when it is paid
back (the refund's day); a credit note's part that neither lowers the amount owed nor is
refunded (credited to the customer's balance, refunded outside Stripe) counts on its day.

A void (Stripe voids only open invoices) is such a reduction too: a credit note of what was
still owed on the void's day (``void_note``). The supplies keep counting in the periods they
counted in; the void lowers the performed part in its own period, a line performed later never
counts, and what was paid stays paid unless it is refunded.

Money is split over an invoice's lines by gross share (largest remainder, ``rules.split``):
receipts cumulatively (so a fully paid line has received exactly its gross), each refund and
credit note on its own; each line's gross over net and VAT by the line's own proportion, also
cumulatively, so the parts add up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from billing.evidence.rules import split


class Timing(StrEnum):
    AGREED = "agreed"
    RECEIVED = "received"
    PERFORMED = "performed"


# Treatments reported by the day of performance whatever the method (Kz 21 and 41, the ZM).
BY_PERFORMANCE = frozenset({"reverse_charge", "intra_eu_goods"})
# The EC Sales List's kind of supply (BZSt: S other services, L intra-EU goods).
SALES_LIST_KINDS = {"reverse_charge": "S", "intra_eu_goods": "L"}


@dataclass(frozen=True)
class Line:
    """One invoice line as a supply: gross = net + tax in minor units, performed on a day."""

    key: str
    treatment: str
    rate: str  # percent as text ("19", "7", "0")
    currency: str
    net: int
    tax: int
    performed_on: date
    country: str = ""  # the place of supply
    vat_id: str = ""
    customer: str = ""
    goods: bool = False

    @property
    def gross(self) -> int:
        return self.net + self.tax


@dataclass(frozen=True)
class Movement:
    """Money on an invoice: a receipt (positive) or a refund paid out (negative)."""

    key: str
    on: date
    amount: int
    seq: int = 0  # orders movements and credit notes of the same day


@dataclass(frozen=True)
class CreditNote:
    """A credit note of ``amount`` gross (positive); ``refunds`` are the keys of the refunds it
    made; ``lines`` its gross per line key where known (else it is shared by gross)."""

    key: str
    on: date
    amount: int
    refunds: tuple[str, ...] = ()
    lines: tuple[tuple[str, int], ...] = ()
    seq: int = 0
    void: bool = False  # the invoice's void: lowers what was owed, never money paid


@dataclass(frozen=True)
class Invoice:
    key: str
    lines: tuple[Line, ...]
    movements: tuple[Movement, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()


@dataclass(frozen=True)
class Event:
    """What one dated fact does to each line, in gross minor units (one entry per line)."""

    on: date
    kind: str  # receipt | refund | owed (lowers what is owed) | returned (credited back)
    parts: tuple[int, ...]


def _order(item) -> tuple:
    return (item.on, item.seq)


def _weights(invoice: Invoice) -> list[int]:
    return [line.gross for line in invoice.lines]


def _note_weights(invoice: Invoice, note: CreditNote) -> list[int]:
    """A credit note's lines where they name ours and add up to it, else the lines' gross."""
    index = {line.key: i for i, line in enumerate(invoice.lines)}
    if note.lines and all(key in index for key, _ in note.lines):
        weights = [0] * len(invoice.lines)
        for key, gross in note.lines:
            weights[index[key]] += gross
        if sum(weights) == note.amount:
            return weights
    return _weights(invoice)


def credit_note_parts(invoice: Invoice) -> dict[str, tuple[int, int, int]]:
    """Per credit note (owed, refunded, returned): the part that lowered what was still owed
    on its day, the part it refunded (counted with its refunds) and the rest (credited back
    on its day). Refunds the note made itself do not change what was owed before it."""
    total = sum(_weights(invoice))
    refund_amounts = {m.key: -m.amount for m in invoice.movements if m.amount < 0}
    parts: dict[str, tuple[int, int, int]] = {}
    credited = 0
    for note in sorted(invoice.credit_notes, key=_order):
        if note.void:
            parts[note.key] = (note.amount, 0, 0)
            credited += note.amount
            continue
        paid = sum(
            m.amount
            for m in invoice.movements
            if _order(m) <= _order(note) and m.key not in note.refunds
        )
        owed = min(note.amount, max(0, total - credited - paid))
        post = note.amount - owed
        refunded = min(post, sum(refund_amounts.get(key, 0) for key in note.refunds))
        parts[note.key] = (owed, refunded, post - refunded)
        credited += note.amount
    return parts


def void_note(invoice: Invoice, key: str, on: date, seq: int = 0) -> CreditNote | None:
    """A void on ``on`` as a credit note of what was still owed then (§17 Abs. 1 S. 8 UStG:
    the change counts in the period it happens in; UStAE 18a.4 for the EC Sales List): per line
    its gross less its share of the receipts and of the credit notes' ``owed`` parts so far,
    split as ``events`` splits them, so a performed line nets to what was kept. None when
    nothing was owed."""
    moment = (on, seq)
    weights = _weights(invoice)
    received = sum(m.amount for m in invoice.movements if m.amount >= 0 and _order(m) <= moment)
    rest = [g - r for g, r in zip(weights, split(received, weights), strict=True)]
    notes = {note.key: note for note in invoice.credit_notes if _order(note) <= moment}
    for note_key, (owed, _refunded, _returned) in credit_note_parts(invoice).items():
        if note_key in notes:
            shares = split(owed, _note_weights(invoice, notes[note_key]))
            rest = [r - s for r, s in zip(rest, shares, strict=True)]
    amount = sum(rest)
    if amount <= 0:
        return None
    lines = tuple((line.key, r) for line, r in zip(invoice.lines, rest, strict=True))
    return CreditNote(key, on, amount, lines=lines, seq=seq, void=True)


def events(invoice: Invoice) -> list[Event]:
    """The invoice's dated facts split over its lines (see the module docstring)."""
    weights = _weights(invoice)
    found: list[Event] = []
    received = 0
    before = [0] * len(weights)
    refund_weights = {}
    for note in invoice.credit_notes:
        for key in note.refunds:
            refund_weights[key] = _note_weights(invoice, note)
    for m in sorted(invoice.movements, key=_order):
        if m.amount >= 0:
            received += m.amount
            now = split(received, weights)
            found.append(
                Event(m.on, "receipt", tuple(a - b for a, b in zip(now, before, strict=True)))
            )
            before = now
        else:
            parts = split(-m.amount, refund_weights.get(m.key, weights))
            found.append(Event(m.on, "refund", tuple(parts)))
    notes = {note.key: note for note in invoice.credit_notes}
    for key, (owed, _refunded, returned) in credit_note_parts(invoice).items():
        note = notes[key]
        note_weights = _note_weights(invoice, note)
        found.append(Event(note.on, "owed", tuple(split(owed, note_weights))))
        found.append(Event(note.on, "returned", tuple(split(returned, note_weights))))
    return found


def counted(line: Line, index: int, found: Sequence[Event], timing: Timing, day: date) -> int:
    """Gross of ``line`` (the invoice's ``index``-th) taxable before ``day`` under ``timing``."""
    sums = {"receipt": 0, "refund": 0, "owed": 0, "returned": 0}
    for event in found:
        if event.on < day:
            sums[event.kind] += event.parts[index]
    performed = line.performed_on < day
    if timing == Timing.RECEIVED or (timing == Timing.AGREED and not performed):
        return sums["receipt"] - sums["refund"] - sums["returned"]
    if not performed:
        return 0
    return line.gross - sums["owed"] - sums["returned"] - sums["refund"]


def timing_of(line: Line, method: Timing) -> Timing:
    """§18b S. 3 UStG: Kz 21 and 41 by performance even for an Ist-Versteuerer."""
    return Timing.PERFORMED if line.treatment in BY_PERFORMANCE else method


@dataclass(frozen=True)
class Contribution:
    """What one line adds to a period (negative for a correction)."""

    invoice: str
    line: Line
    net: int
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax


def _net_tax(line: Line, gross: int) -> tuple[int, int]:
    net, tax = split(gross, [line.net, line.tax])
    return net, tax


def contributions(
    invoices: Iterable[Invoice], method: Timing, start: date, end: date, *, all_by=None
) -> list[Contribution]:
    """Every line's non-zero contribution to the period [start, end) under ``method`` (Kz 21/41
    lines by performance); ``all_by`` forces one timing on every line (the cash view of the
    reconciliation, the EC Sales List)."""
    out = []
    for invoice in invoices:
        found = events(invoice)
        for index, line in enumerate(invoice.lines):
            timing = all_by or timing_of(line, method)
            upto = _net_tax(line, counted(line, index, found, timing, end))
            since = _net_tax(line, counted(line, index, found, timing, start))
            net, tax = upto[0] - since[0], upto[1] - since[1]
            if net or tax:
                out.append(Contribution(invoice.key, line, net, tax))
    return out


# -- the UStVA's Kennzahlen ----------------------------------------------------------------------

# Kz, label, whether the form takes the tax next to it. Labels as in the 2026 form USt 1 A.
FIELDS = {
    "81": ("Steuerpflichtige Umsätze zum Steuersatz von 19 %", True),
    "86": ("Steuerpflichtige Umsätze zum Steuersatz von 7 %", True),
    "35": ("Umsätze, die anderen Steuersätzen unterliegen", True),
    "41": ("Innergemeinschaftliche Lieferungen an Abnehmer mit USt-IdNr.", False),
    "43": ("Weitere steuerfreie Umsätze mit Vorsteuerabzug (Ausfuhrlieferungen)", False),
    "21": ("Nicht steuerbare sonstige Leistungen gem. § 18b Satz 1 Nr. 2 UStG", False),
    "45": ("Übrige nicht steuerbare Umsätze (Leistungsort nicht im Inland)", False),
}
TAXED_AT_HOME = frozenset({"domestic", "eu_no_vat_id"})


def kennzahl(line: Line) -> str | None:
    """The UStVA field of a German MSP's supply (notes §2): 81/86 for German VAT at 19/7 %
    (domestic and EU B2C general-rule services, §3a Abs. 1), 35 for another German rate, 21 for
    EU B2B services (§3a Abs. 2, reverse charge there), 41 for intra-EU goods, 43 for exports of
    goods, 45 for third-country services; None for what the return does not take."""
    if line.treatment in TAXED_AT_HOME:
        if line.rate in ("0", ""):
            return None
        return {"19": "81", "7": "86"}.get(line.rate, "35")
    if line.treatment == "reverse_charge":
        return "21"
    if line.treatment == "intra_eu_goods":
        return "41"
    if line.treatment == "export":
        return "43" if line.goods else "45"
    return None


def whole_euros(cents: int) -> int:
    """A base as the form takes it: "in vollen Euro (ohne Centbeträge)" (Anleitung zur UStVA),
    i.e. the cents dropped, toward zero (-12.99 → -12)."""
    return cents // 100 if cents >= 0 else -(-cents // 100)


@dataclass(frozen=True)
class Field:
    code: str
    label: str
    base: int  # cents, as summed from the lines
    tax: int | None  # cents; None where the form takes no tax
    lines: int

    @property
    def base_euros(self) -> int:
        return whole_euros(self.base)


def ustva(found: Iterable[Contribution]) -> tuple[list[Field], list[Contribution]]:
    """The return's fields from a period's contributions in euros (the tax per field is the sum
    of the lines' tax as invoiced), and the contributions no field takes (other currencies,
    not calculated)."""
    sums: dict[str, list[int]] = {}
    left = []
    for c in found:
        code = kennzahl(c.line) if c.line.currency == "EUR" else None
        if code is None:
            left.append(c)
            continue
        entry = sums.setdefault(code, [0, 0, 0])
        entry[0] += c.net
        entry[1] += c.tax
        entry[2] += 1
    fields = [
        Field(code, FIELDS[code][0], base, tax if FIELDS[code][1] else None, count)
        for code, (base, tax, count) in sums.items()
    ]
    return sorted(fields, key=lambda f: list(FIELDS).index(f.code)), left


@dataclass(frozen=True)
class SalesListEntry:
    """One EC Sales List line of the period: per customer VAT ID, kind and currency."""

    vat_id: str
    country: str
    kind: str
    currency: str
    net: int
    customer: str = ""


def sales_list(found: Iterable[Contribution]) -> list[SalesListEntry]:
    """§18a UStG: net per VAT ID and kind of the period's reverse-charge services and intra-EU
    goods, corrections netted in (the sum may be negative, UStAE 18a.4)."""
    sums: dict[tuple, int] = {}
    names: dict[tuple, str] = {}
    for c in found:
        kind = SALES_LIST_KINDS.get(c.line.treatment)
        if kind is None:
            continue
        key = (c.line.vat_id, c.line.vat_id[:2], kind, c.line.currency)
        sums[key] = sums.get(key, 0) + c.net
        names.setdefault(key, c.line.customer)
    return [SalesListEntry(*key, net=net, customer=names[key]) for key, net in sorted(sums.items())]


@dataclass
class Return:
    method: Timing
    contributions: list[Contribution] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    outside: list[Contribution] = field(default_factory=list)
    sales_list: list[SalesListEntry] = field(default_factory=list)


def vat_return(invoices: Sequence[Invoice], method: Timing, start: date, end: date) -> Return:
    """The period's return under ``method`` and its EC Sales List (always by performance)."""
    found = contributions(invoices, method, start, end)
    fields, outside = ustva(found)
    performed = contributions(invoices, method, start, end, all_by=Timing.PERFORMED)
    return Return(method, found, fields, outside, sales_list(performed))
