"""The GiroCode (EPC QR code) for paying an invoice by bank transfer: the payload as the
European Payments Council's "Quick Response Code: Guidelines to Enable Data Capture for the
Initiation of a SEPA Credit Transfer" (EPC069-12, version 002) lays it down, and its QR code.

Pure except for drawing the QR code: the payee, amount and reference in, the payload out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import segno

MAX_AMOUNT = Decimal("999999999.99")
MAX_BYTES = 331  # EPC069-12 §3.4: the payload's maximum size


@dataclass(frozen=True)
class Transfer:
    """What a bank transfer needs: the payee's account, the amount, the reference to quote."""

    name: str
    iban: str
    bic: str
    amount: Decimal
    reference: str


def epc_payload(transfer: Transfer) -> str:
    """The EPC069-12 payload, one field per line (LF): service tag ``BCD``, version ``002``,
    character set ``1`` (UTF-8), identification ``SCT``, BIC (optional in version 002),
    beneficiary name (≤ 70), IBAN, amount ``EUR`` + amount with two decimals (0.01 to
    999,999,999.99), purpose (empty), structured reference (empty: an invoice number is not an
    ISO 11649 creditor reference), unstructured remittance text (≤ 140: the reference).
    Raises ValueError for what the EPC does not allow."""
    name = " ".join(transfer.name.split())
    iban = "".join(transfer.iban.split()).upper()
    bic = "".join(transfer.bic.split()).upper()
    text = " ".join(transfer.reference.split())
    if not 0 < len(name) <= 70:
        raise ValueError("The payee's name must have 1 to 70 characters.")
    if not 15 <= len(iban) <= 34:
        raise ValueError("The IBAN must have 15 to 34 characters.")
    if bic and len(bic) not in (8, 11):
        raise ValueError("The BIC must have 8 or 11 characters.")
    if not Decimal("0.01") <= transfer.amount <= MAX_AMOUNT:
        raise ValueError("The amount must be between 0.01 and 999,999,999.99 euros.")
    if len(text) > 140:
        raise ValueError("The remittance text must have at most 140 characters.")
    amount = transfer.amount.quantize(Decimal("0.01"))
    fields = ["BCD", "002", "1", "SCT", bic, name, iban, f"EUR{amount}", "", "", text]
    payload = "\n".join(fields)
    if len(payload.encode()) > MAX_BYTES:
        raise ValueError("The payload is longer than 331 bytes.")
    return payload


def girocode_svg(payload: str) -> str:
    """The QR code of ``payload`` as an SVG data URI: error correction level M, as EPC069-12
    requires, byte mode in UTF-8."""
    code = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    return code.svg_data_uri(scale=4, border=2)
