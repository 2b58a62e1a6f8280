"""Stripe's credit notes on our invoices, mirrored once each (integrations.mirror.payments calls
record_credit_note with the note it read from Stripe), and the facts their e-invoices need."""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.einvoice.compose import (
    CreditNoteFigures,
    NotAnEInvoice,
    compose_credit_note,
)
from billing.einvoice.means import MUTUALLY_DEFINED, PaymentMeans
from billing.einvoice.model import EInvoice, PrecedingInvoice
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.paying import means_text
from billing.einvoice.source import (
    buyer_party,
    legal_notes,
    leitweg_id,
    mapped_tax_rates,
    quoted_lines,
    seller_party,
    stripe_line_facts,
    tax_parties,
)
from billing.mirror import plain_dict, stripe_field
from billing.models import Ownership, StripeInvoice
from mspercury.localtime import local_date
from rules.tax import decide_tax

MUTUALLY = PaymentMeans(MUTUALLY_DEFINED)


def credit_note_line_facts(line) -> dict:
    """What the mirror keeps of one credit-note line: amounts before tax in minor units, the
    tax per rate, and the invoice line it credits (its period and rate come from there)."""
    rates = [stripe_field(r, "id", "") for r in stripe_field(line, "tax_rates") or []]
    return {
        "id": stripe_field(line, "id", ""),
        "description": stripe_field(line, "description") or "",
        "quantity": str(stripe_field(line, "quantity") or 1),
        "amount": int(stripe_field(line, "amount", 0)),
        "discount": int(stripe_field(line, "discount_amount", 0) or 0),
        "invoice_line_item": stripe_field(line, "invoice_line_item") or "",
        "type": stripe_field(line, "type") or "",
        "taxes": [
            {
                "amount": int(stripe_field(tax, "amount", 0)),
                "taxable_amount": int(stripe_field(tax, "taxable_amount", 0)),
                "tax_rate": stripe_field(stripe_field(tax, "tax_rate_details") or {}, "tax_rate")
                or (rates[0] if rates else ""),
                "behavior": stripe_field(tax, "tax_behavior") or "",
            }
            for tax in stripe_field(line, "taxes") or []
        ],
        "metadata": plain_dict(stripe_field(line, "metadata") or {}),
    }


def _tax(note) -> int:
    taxes = stripe_field(note, "total_taxes") or []
    if taxes:
        return sum(int(stripe_field(t, "amount", 0)) for t in taxes)
    excluding = stripe_field(note, "total_excluding_tax")
    return int(stripe_field(note, "total", 0)) - int(excluding) if excluding is not None else 0


def _lines(note) -> list[dict]:
    listing = stripe_field(note, "lines") or {}
    return [credit_note_line_facts(line) for line in stripe_field(listing, "data") or []]


def record_credit_note(mirror: StripeInvoice, note) -> StripeCreditNote:
    """Mirror ``note`` (a Stripe credit note of ``mirror``): created once, updated on later
    events (a void). The workspace is the invoice's."""
    created = stripe_field(note, "created")
    values = {
        "invoice": mirror,
        "number": str(stripe_field(note, "number") or ""),
        "status": str(stripe_field(note, "status") or StripeCreditNote.Status.ISSUED),
        "reason": str(stripe_field(note, "reason") or ""),
        "memo": str(stripe_field(note, "memo") or ""),
        "currency": str(stripe_field(note, "currency") or mirror.currency).upper(),
        "total": int(stripe_field(note, "total", 0)),
        "tax": _tax(note),
        "pre_payment_amount": int(stripe_field(note, "pre_payment_amount", 0) or 0),
        "post_payment_amount": int(stripe_field(note, "post_payment_amount", 0) or 0),
        "lines": _lines(note),
        "created": datetime.fromtimestamp(created, tz=UTC) if created else timezone.now(),
    }
    with transaction.atomic():
        row, _created = StripeCreditNote.objects.update_or_create(
            workspace=mirror.workspace, stripe_id=str(stripe_field(note, "id")), defaults=values
        )
    return row


REASONS = {
    "duplicate": gettext_lazy("Duplicate invoice"),
    "fraudulent": gettext_lazy("Fraudulent charge"),
    "order_change": gettext_lazy("Order change"),
    "product_unsatisfactory": gettext_lazy("Service unsatisfactory"),
}


def _notes(note: StripeCreditNote, invoice: StripeInvoice, language: str) -> list[str]:
    """BT-22: why the invoice is corrected (Stripe's reason and memo), in the reader's language."""
    with translation.override(language):
        why = str(REASONS.get(note.reason, _("Correction")))
        notes = [_("Reason for the correction: %(reason)s") % {"reason": why}]
    return notes + ([note.memo] if note.memo else [])


def _terms(note: StripeCreditNote, invoice: StripeInvoice, language: str) -> str:
    with translation.override(language):
        if note.post_payment_amount <= 0:
            text = _("Deducted from the amount due on invoice %(number)s.")
        elif note.pre_payment_amount <= 0:
            text = _("Refunded or credited after payment of invoice %(number)s.")
        else:
            text = _(
                "Partly deducted from the amount due on invoice %(number)s, the rest refunded "
                "or credited."
            )
        return text % {"number": invoice.number}


def _line_facts(note: StripeCreditNote, invoice: StripeInvoice):
    invoice_lines = {line["id"]: line for line in invoice.lines}
    rates = mapped_tax_rates(invoice.workspace_id, [*note.lines, *invoice.lines])
    quoted = quoted_lines(invoice.quote)
    zone = invoice.workspace.zone
    return [
        stripe_line_facts(line, rates, quoted, invoice_lines.get(line["invoice_line_item"]), zone)
        for line in note.lines
    ]


def einvoice_from_credit_note(note: StripeCreditNote) -> EInvoice:
    """The credit note (381) of an issued Stripe credit note on a finalized invoice of ours,
    citing that invoice's number and date (BG-3)."""
    invoice = note.invoice
    if note.status != StripeCreditNote.Status.ISSUED:
        raise NotAnEInvoice(f"credit note {note} is void")
    if invoice.ownership != Ownership.OURS or not invoice.number or invoice.created is None:
        raise NotAnEInvoice(f"credit note {note} is not on a finalized invoice of ours")
    workspace = invoice.workspace
    customer = invoice.customer or (invoice.quote.customer if invoice.quote else None)
    if customer is None:
        raise NotAnEInvoice(f"credit note {note} has no customer")
    invoiced = invoice.issued_on  # the preceding invoice's BT-2
    seller, buyer = seller_party(workspace), buyer_party(customer)
    decision = decide_tax(*tax_parties(workspace, customer), invoiced)
    figures = CreditNoteFigures(
        number=note.number,
        issue_date=local_date(workspace, note.created),  # its local created date
        currency=note.currency.upper(),
        total=note.total,
        tax=note.tax,
        preceding=PrecedingInvoice(invoice.number, invoiced),
    )
    language = customer.language or workspace.default_language
    legal = legal_notes(decision.treatment, workspace, seller, buyer, language)
    return compose_credit_note(
        figures,
        seller=seller,
        buyer=buyer,
        treatment=decision.treatment,
        rate=decision.rate,
        stripe_lines=_line_facts(note, invoice),
        payment_terms=_terms(note, invoice, language),
        buyer_reference=leitweg_id(customer),
        order_reference=invoice.quote.number if invoice.quote else "",
        notes=[*_notes(note, invoice, language), *legal],
        language=language,
        means_text=means_text(MUTUALLY, "", language),
    )
