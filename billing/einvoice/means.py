"""How an invoice is paid (EN 16931 BG-16), decided from plain facts. Pure.

UNTDID 4461 codes as XRechnung 3.0 checks them (einvoicing notes §5): 58 SEPA credit transfer
needs the payee's IBAN (BR-DE-23-a, BR-61); 59 SEPA direct debit needs the mandate reference,
the creditor identifier and the debited account (BR-DE-25-a, BR-DE-30, BR-DE-31); 48 bank card
needs the card's number, at most its first 6 and last 4 digits (BR-DE-24-a, BR-51). ZZZ
(mutually defined) stands for "charged automatically by Stripe" where Stripe has not yet said
with what, and for a pay link without a bank account.
"""

from dataclasses import dataclass
from decimal import Decimal

CHARGE_AUTOMATICALLY = "charge_automatically"
SEND_INVOICE = "send_invoice"

SEPA_CREDIT_TRANSFER = "58"
SEPA_DIRECT_DEBIT = "59"
BANK_CARD = "48"
MUTUALLY_DEFINED = "ZZZ"

# What is missing, named as missing_for_xrechnung names things (problems.MISSING words them).
NO_BANK_ACCOUNT = "seller bank account (IBAN)"
NO_CREDITOR_ID = "seller SEPA creditor identifier"
NO_MANDATE = "customer's SEPA mandate reference"
NO_DEBITED_ACCOUNT = "customer's debited account"

# IBAN lengths (ISO 13616 registry) of the SEPA countries, to mask an account Stripe only
# shows by its last four digits.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


@dataclass(frozen=True)
class PaymentFacts:
    """What is known about paying one invoice.

    ``collection`` is Stripe's collection_method; ``method`` the payment-method type Stripe
    charges or charged ("card", "sepa_debit", or "" when unknown). ``card_number`` and
    ``debited_account`` are as Stripe shows them (masked)."""

    collection: str
    method: str = ""
    reference: str = ""  # BT-83, the invoice number
    iban: str = ""
    bic: str = ""
    account_holder: str = ""
    creditor_id: str = ""
    mandate_reference: str = ""
    debited_account: str = ""
    card_number: str = ""
    card_holder: str = ""


@dataclass(frozen=True)
class PaymentMeans:
    """BG-16 with BG-17 (credit transfer), BG-18 (card) or BG-19 (direct debit)."""

    code: str  # BT-81
    iban: str = ""  # BT-84
    account_name: str = ""  # BT-85
    bic: str = ""  # BT-86
    card_number: str = ""  # BT-87
    card_holder: str = ""  # BT-88
    mandate_reference: str = ""  # BT-89
    creditor_id: str = ""  # BT-90
    debited_account: str = ""  # BT-91
    remittance: str = ""  # BT-83
    missing: tuple[str, ...] = ()

    @property
    def is_credit_transfer(self) -> bool:
        return self.code == SEPA_CREDIT_TRANSFER

    @property
    def is_direct_debit(self) -> bool:
        return self.code == SEPA_DIRECT_DEBIT

    @property
    def is_card(self) -> bool:
        return self.code == BANK_CARD


def compact(value: str) -> str:
    return "".join((value or "").split()).upper()


def masked_card(number: str) -> str:
    """BR-51: at most the first 6 and the last 4 digits of a card number; the rest masked.
    Stripe gives only the last 4, which is what we keep."""
    digits = "".join(c for c in number or "" if c.isdigit())
    return digits[-4:] if digits else ""


def masked_iban(country: str, last4: str) -> str:
    """The debited account as Stripe shows it: its country and last four digits, the rest
    masked, at the IBAN's length for that country (22 when unknown)."""
    country = (country or "").upper()
    if not (country and last4):
        return ""
    return country + "*" * (IBAN_LENGTHS.get(country, 22) - 2 - len(last4)) + last4


def decide_means(facts: PaymentFacts) -> PaymentMeans:
    """The means (BT-81) and its details for an invoice. Stripe collecting by SEPA debit → 59;
    by card → 48 (when the card's number is known); Stripe collecting with a method it has not
    named yet → ZZZ; the buyer paying the invoice → 58 to the MSP's account, or ZZZ naming the
    missing bank account."""
    reference = facts.reference
    if facts.collection == CHARGE_AUTOMATICALLY:
        if facts.method == "sepa_debit":
            return _direct_debit(facts)
        if facts.method == "card" and masked_card(facts.card_number):
            return PaymentMeans(
                BANK_CARD,
                card_number=masked_card(facts.card_number),
                card_holder=facts.card_holder,
                remittance=reference,
            )
        return PaymentMeans(MUTUALLY_DEFINED, remittance=reference)
    iban = compact(facts.iban)
    if iban:
        return PaymentMeans(
            SEPA_CREDIT_TRANSFER,
            iban=iban,
            account_name=facts.account_holder,
            bic=compact(facts.bic),
            remittance=reference,
        )
    return PaymentMeans(MUTUALLY_DEFINED, remittance=reference, missing=(NO_BANK_ACCOUNT,))


def _direct_debit(facts: PaymentFacts) -> PaymentMeans:
    required = {
        NO_CREDITOR_ID: compact(facts.creditor_id),
        NO_MANDATE: facts.mandate_reference.strip(),
        NO_DEBITED_ACCOUNT: facts.debited_account.strip(),
    }
    missing = tuple(name for name, value in required.items() if not value)
    if missing:  # a 59 without them breaks BR-DE-30/31: say what is missing instead
        return PaymentMeans(MUTUALLY_DEFINED, remittance=facts.reference, missing=missing)
    return PaymentMeans(
        SEPA_DIRECT_DEBIT,
        mandate_reference=required[NO_MANDATE],
        creditor_id=required[NO_CREDITOR_ID],
        debited_account=required[NO_DEBITED_ACCOUNT],
        remittance=facts.reference,
    )


def girocode_amount(means: PaymentMeans, to_transfer: Decimal) -> Decimal | None:
    """The amount a GiroCode (EPC069-12) asks for: only for a credit transfer with something
    left to transfer, within the EPC's 0.01–999,999,999.99."""
    if not means.is_credit_transfer or to_transfer <= 0:
        return None
    return min(to_transfer, Decimal("999999999.99"))
