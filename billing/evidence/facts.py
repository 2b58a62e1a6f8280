"""What evidence learns from the billing provider, as plain data: the edge reads it
(billing.edge's ``evidence_reader``) and hands it in. A read that fails leaves an item empty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from billing.evidence.rules import CreditedLine


@dataclass(frozen=True)
class Item:
    country: str = ""
    source: str = ""


@dataclass(frozen=True)
class CreditNote:
    """The refunds (re_…) a credit note made and its lines; () where they are unknown."""

    refunds: tuple[str, ...] = ()
    lines: tuple[CreditedLine, ...] = ()


class EvidenceReader(Protocol):
    def bank_country(self, payment_intents: list[str]) -> Item:
        """The paying card's or bank account's country."""

    def ip_country(self, invoice_id: str, line_metadata: list[dict]) -> Item:
        """An IP country the MSP's checkout recorded."""

    def credit_note(self, credit_note_id: str) -> CreditNote:
        """The refunds a credit note made and the lines it credits."""
