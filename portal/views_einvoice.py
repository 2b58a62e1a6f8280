"""The e-invoice of one of the signed-in customer's finalized invoices. When it cannot be
built, the customer gets a plain page and the MSP a notification saying why."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.einvoice.models import StripeCreditNote
from billing.einvoice.problems import (
    PROBLEMS,
    explain_to_customer,
    notify_credit_note_problem,
    notify_problem,
)
from billing.einvoice.source import FINALIZED
from billing.views_einvoice import attachment, credit_note_file, einvoice_file
from portal import links
from portal.access import portal_view


@require_GET
@portal_view
def einvoice(request, invoice_id):
    customer = request.portal_customer
    invoice = (
        links.visible_invoices(customer)
        .filter(public_id=invoice_id, status__in=FINALIZED)
        .select_related("customer", "quote", "workspace")
        .first()
    )
    if invoice is None or not invoice.from_stripe:  # an accounting tool's: its own e-invoice
        raise Http404
    try:
        filename, content_type, content = einvoice_file(invoice)
    except PROBLEMS as error:
        notify_problem(invoice, error, "portal")
        context = {"customer": customer, "invoice": invoice, "why": explain_to_customer(invoice)}
        return render(request, "portal/einvoice_unavailable.html", context, status=404)
    return attachment(filename, content_type, content)


@require_GET
@portal_view
def credit_note_einvoice(request, credit_note_id):
    """The e-invoice of an issued credit note on one of the customer's invoices."""
    customer = request.portal_customer
    note = (
        StripeCreditNote.objects.filter(
            workspace_id=customer.workspace_id,
            invoice__in=links.visible_invoices(customer).filter(status__in=FINALIZED),
            public_id=credit_note_id,
            status=StripeCreditNote.Status.ISSUED,
        )
        .select_related("invoice__customer", "invoice__quote", "invoice__workspace")
        .first()
    )
    if note is None:
        raise Http404
    try:
        filename, content_type, content = credit_note_file(note)
    except PROBLEMS as error:
        notify_credit_note_problem(note, error)
        invoice = note.invoice
        context = {"customer": customer, "invoice": invoice, "why": explain_to_customer(invoice)}
        return render(request, "portal/einvoice_unavailable.html", context, status=404)
    return attachment(filename, content_type, content)
