"""The e-invoice as plain data (EN 16931 terms, BT-/BG- numbers in the comments). Pure.

Amounts are Decimal in major units, already rounded to the currency's minor unit; the builder
(compose.py) makes them equal to the mirrored Stripe invoice to the cent.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.einvoice.means import MUTUALLY_DEFINED, PaymentMeans
from rules.wording import exemption_text

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


class Profile(StrEnum):
    """BT-24, the specification a document claims to follow."""

    EN16931 = EN16931
    XRECHNUNG = XRECHNUNG_3


class DocumentType(StrEnum):
    """BT-3 (UNTDID 1001)."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


class Category(StrEnum):
    """BT-151 / BT-118 (UNTDID 5305, the subset EN 16931 allows)."""

    STANDARD = "S"
    REVERSE_CHARGE = "AE"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


# BT-121 exemption reason code per category that needs one; BT-120, its text, is the wording of
# the invoice's language (rules.wording.exemption_text: "Αντίστροφη επιβάρυνση" for Greek).
EXEMPTION_CODES: dict[Category, str] = {
    Category.REVERSE_CHARGE: "VATEX-EU-AE",
    Category.EXPORT: "VATEX-EU-G",
    Category.OUTSIDE_SCOPE: "VATEX-EU-O",
}


def exemption(category: Category, language: str = "en") -> tuple[str, str] | None:
    """(BT-121, BT-120) of ``category`` in ``language``, or None where none is needed."""
    code = EXEMPTION_CODES.get(category)
    return (code, exemption_text(category, language)) if code else None


@dataclass(frozen=True)
class Address:
    """BG-5 / BG-8."""

    country: str
    street: str = ""
    street2: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""


@dataclass(frozen=True)
class Contact:
    """BG-6 / BG-9."""

    name: str = ""
    phone: str = ""
    email: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.email)


@dataclass(frozen=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str
    address: Address
    vat_id: str = ""  # BT-31 / BT-48
    tax_number: str = ""  # BT-32 (the German Steuernummer), seller only
    contact: Contact = field(default_factory=Contact)
    email: str = ""  # BT-34 / BT-49 electronic address, scheme EM


@dataclass(frozen=True)
class Line:
    """BG-25. ``net`` is quantity × unit price less the discount, rounded once (rules.money)."""

    position: int
    description: str
    quantity: Decimal
    unit_code: str  # BT-130, UN/ECE Rec. 20 (C62 one, HUR hour)
    unit_price: Decimal  # BT-146
    net: Decimal  # BT-131
    category: Category
    rate: Decimal  # BT-152, percent
    discount: Decimal = Decimal(0)  # BG-27 allowance amount
    discount_percent: Decimal | None = None
    tax: Decimal = Decimal(0)  # Stripe's tax on this line (summed per rate into BG-23)
    base_quantity: Decimal | None = None  # BT-149, when the price is for several units
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135 (the last day of the period, inclusive)


@dataclass(frozen=True)
class TaxSubtotal:
    """BG-23: one per category and rate."""

    category: Category
    rate: Decimal
    basis: Decimal
    tax: Decimal

    @property
    def exemption(self) -> tuple[str, str] | None:
        return exemption(self.category)


@dataclass(frozen=True)
class Totals:
    """BG-22."""

    lines: Decimal  # BT-106
    tax: Decimal  # BT-110
    grand: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    due: Decimal  # BT-115

    @property
    def tax_exclusive(self) -> Decimal:  # BT-109 (no document-level allowances or charges)
        return self.lines


@dataclass(frozen=True)
class Payment:
    """BG-16 and BT-20: how and by when. ``information`` is BT-82 in the reader's language;
    ``to_transfer`` what is still to be transferred (the GiroCode's amount), when anything."""

    terms: str
    due_date: date | None = None
    pay_link: str = ""
    means: PaymentMeans = field(default_factory=lambda: PaymentMeans(MUTUALLY_DEFINED))
    information: str = ""
    to_transfer: Decimal | None = None

    @property
    def means_code(self) -> str:
        return self.means.code

    @property
    def means_text(self) -> str:
        if self.information:
            return self.information
        return f"Pay online: {self.pay_link}" if self.pay_link else "As agreed"


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3: the invoice a credit note corrects."""

    number: str
    issue_date: date


@dataclass(frozen=True)
class EInvoice:
    number: str  # BT-1
    issue_date: date  # BT-2
    type_code: DocumentType
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    subtotals: tuple[TaxSubtotal, ...]
    totals: Totals
    payment: Payment
    buyer_reference: str = ""  # BT-10 (the Leitweg-ID for public buyers)
    order_reference: str = ""  # BT-13 (the quote number)
    preceding: PrecedingInvoice | None = None
    delivery_date: date | None = None  # BT-72
    period: tuple[date, date] | None = None  # BG-14 (BT-73, BT-74)
    notes: tuple[str, ...] = ()  # BT-22
    language: str = "en"

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == DocumentType.CREDIT_NOTE
