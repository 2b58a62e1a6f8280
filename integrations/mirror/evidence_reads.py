"""Evidence items only Stripe knows: the paying card's or bank account's country (the latest
charge's payment_method_details) and an IP country the MSP put in metadata. A read that fails
(a key without the permission, Stripe unreachable) leaves the item missing; it never blocks."""

from __future__ import annotations

import logging

from billing.evidence.facts import CreditNote, Item
from billing.evidence.rules import CreditedLine
from billing.mirror import stripe_field as _get
from integrations.mirror.sync import fresh_invoice
from integrations.stripe.client import call
from integrations.stripe.errors import StripeFailure

logger = logging.getLogger(__name__)

# Metadata keys an MSP's checkout may fill with the customer's IP country, in this order.
IP_KEYS = ("ip_country", "ip_address_country")


def read_or_none(fn):
    try:
        return call(fn)
    except StripeFailure as failure:
        logger.info("evidence item not readable from Stripe: %s", failure)
        return None


def bank_country(client, payment_intents: list[str]) -> Item:
    """The card's (card.country) or SEPA account's (sepa_debit.country) country of the first
    payment intent whose latest charge names one."""
    for intent in payment_intents:
        if not intent.startswith("pi_"):
            continue
        found = read_or_none(
            lambda intent=intent: client.v1.payment_intents.retrieve(
                intent, {"expand": ["latest_charge"]}
            )
        )
        charge = _get(found, "latest_charge")
        details = _get(charge, "payment_method_details") if not isinstance(charge, str) else None
        kind = str(_get(details, "type", "") or "")
        country = _get(_get(details, kind) or {}, "country") if kind else None
        if country:
            return Item(str(country).upper(), f"{kind}:{intent}"[:40])
    return Item()


def _metadata_country(metadata) -> str:
    for key in IP_KEYS:
        value = str(_get(metadata or {}, key, "") or "").strip().upper()
        if len(value) == 2 and value.isalpha():
            return value
    return ""


def ip_country(client, invoice_id: str, line_metadata: list[dict]) -> Item:
    """An IP country from the invoice's metadata, its lines', or its customer's (in that
    order), as the MSP's checkout recorded it; Stripe itself never reveals the IP."""
    for metadata in line_metadata:
        if country := _metadata_country(metadata):
            return Item(country, "line metadata")
    invoice = fresh_invoice(invoice_id) or read_or_none(
        lambda: client.v1.invoices.retrieve(invoice_id, {"expand": ["customer"]})
    )
    if invoice is None:
        return Item()
    if country := _metadata_country(_get(invoice, "metadata")):
        return Item(country, "invoice metadata")
    customer = _get(invoice, "customer")
    expanded = customer is not None and not isinstance(customer, str)
    if expanded and (country := _metadata_country(_get(customer, "metadata"))):
        return Item(country, "customer metadata")
    return Item()


def _credited(line) -> CreditedLine:
    net = int(_get(line, "amount", 0)) - int(_get(line, "discount_amount", 0))
    tax = sum(int(_get(t, "amount", 0)) for t in _get(line, "taxes") or [])
    return CreditedLine(str(_get(line, "invoice_line_item", "") or ""), net, tax)


def credit_note(client, credit_note_id: str) -> CreditNote:
    """What a credit note made (refunds) and which invoice lines it credits; empty when it
    cannot be read. Lines are left out when Stripe lists more than it sent along."""
    note = read_or_none(lambda: client.v1.credit_notes.retrieve(credit_note_id))
    if note is None:
        return CreditNote()
    ids = [_get(entry, "refund") for entry in _get(note, "refunds") or []]
    refunds = tuple(r if isinstance(r, str) else str(_get(r, "id", "")) for r in ids if r)
    listing = _get(note, "lines") or {}
    if _get(listing, "has_more", False):
        return CreditNote(refunds)
    return CreditNote(refunds, tuple(_credited(line) for line in _get(listing, "data") or []))


class StripeEvidenceReader:
    """billing.evidence.facts.EvidenceReader over one workspace's Stripe client."""

    def __init__(self, client):
        self.client = client

    def bank_country(self, payment_intents: list[str]) -> Item:
        return bank_country(self.client, payment_intents)

    def ip_country(self, invoice_id: str, line_metadata: list[dict]) -> Item:
        return ip_country(self.client, invoice_id, line_metadata)

    def credit_note(self, credit_note_id: str) -> CreditNote:
        return credit_note(self.client, credit_note_id)
