"""The credit notes of an invoice, for the lists on the MSP's and the portal's invoice pages."""

from django import template

from billing.einvoice.models import StripeCreditNote

register = template.Library()


@register.simple_tag
def credit_notes_of(invoice, issued_only: bool = False):
    """The invoice's mirrored credit notes, oldest first (one query); the portal lists only
    issued ones."""
    notes = StripeCreditNote.objects.filter(workspace_id=invoice.workspace_id, invoice=invoice)
    if issued_only:
        notes = notes.filter(status=StripeCreditNote.Status.ISSUED)
    return list(notes)


@register.simple_tag
def portal_credit_notes_of(invoice):
    """The issued credit notes whose e-invoice can be made: the portal shows no dead links."""
    from billing.einvoice.compose import missing_for_xrechnung
    from billing.einvoice.credit_notes import einvoice_from_credit_note
    from billing.einvoice.problems import PROBLEMS
    from billing.einvoice.source import leitweg_id

    notes = []
    for note in credit_notes_of(invoice, issued_only=True):
        note.invoice = invoice
        try:
            einvoice = einvoice_from_credit_note(note)
        except PROBLEMS:
            continue
        if invoice.customer and leitweg_id(invoice.customer) and missing_for_xrechnung(einvoice):
            continue
        notes.append(note)
    return notes
