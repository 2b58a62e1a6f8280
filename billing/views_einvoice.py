"""The e-invoice of an invoice, for the MSP's members: the ZUGFeRD PDF (XRechnung for a
customer with a Leitweg-ID); ``?format=pdf`` the ZUGFeRD PDF whoever the customer is,
``?format=xml`` the bare CII XML of the ZUGFeRD. The same for each credit note of an invoice
(its corrective e-invoice, type 381)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from billing.access import access_invoice
from billing.einvoice import (
    PDF_CONTENT_TYPE,
    XRECHNUNG_CONTENT_TYPE,
    build_credit_note_pdf,
    build_credit_note_xml,
    build_facturx_pdf,
    build_facturx_xml,
    credit_note_einvoice_for,
    einvoice_for,
)
from billing.einvoice.models import StripeCreditNote
from billing.einvoice.problems import PROBLEMS, explain, explain_credit_note
from billing.models import Ownership
from mspercury.access import get_for_workspace, workspace_required


def attachment(filename: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def einvoice_file(invoice, form: str = "", pay_link: str | None = None):
    """(filename, content type, bytes) of the e-invoice in ``form`` ("" for the one the
    customer gets, "pdf" or "xml"); raises one of PROBLEMS."""
    if form == "xml":
        xml = build_facturx_xml(invoice, pay_link)
        return f"{invoice.number}-factur-x.xml", XRECHNUNG_CONTENT_TYPE, xml
    if form == "pdf":
        return f"{invoice.number}.pdf", PDF_CONTENT_TYPE, build_facturx_pdf(invoice, pay_link)
    return einvoice_for(invoice, pay_link)


@require_GET
@workspace_required
def einvoice(request, invoice_id):
    invoice = access_invoice(request, invoice_id, "customer", "quote", "workspace")
    if not invoice.from_stripe:  # the accounting tool issued it, with its own e-invoice
        raise Http404
    try:
        filename, content_type, content = einvoice_file(invoice, request.GET.get("format", ""))
    except PROBLEMS as error:
        messages.error(request, explain(invoice, error))
        return redirect("billing:invoice_detail", invoice_id=invoice.public_id)
    return attachment(filename, content_type, content)


def credit_note_file(note, form: str = ""):
    """(filename, content type, bytes) of a credit note's e-invoice, as einvoice_file."""
    if form == "xml":
        return f"{note.number}-factur-x.xml", XRECHNUNG_CONTENT_TYPE, build_credit_note_xml(note)
    if form == "pdf":
        return f"{note.number}.pdf", PDF_CONTENT_TYPE, build_credit_note_pdf(note)
    return credit_note_einvoice_for(note)


@require_GET
@workspace_required
def credit_note_einvoice(request, credit_note_id):
    notes = StripeCreditNote.objects.filter(invoice__ownership=Ownership.OURS).select_related(
        "invoice__customer", "invoice__quote", "invoice__workspace"
    )
    note = get_for_workspace(request, notes, public_id=credit_note_id)
    try:
        filename, content_type, content = credit_note_file(note, request.GET.get("format", ""))
    except PROBLEMS as error:
        messages.error(request, explain_credit_note(note, error))
        return redirect("billing:invoice_detail", invoice_id=note.invoice.public_id)
    return attachment(filename, content_type, content)
