"""The e-invoice of an invoice, for the MSP's members: the ZUGFeRD PDF (XRechnung for a
customer with a Leitweg-ID); ``?format=pdf`` the ZUGFeRD PDF whoever the customer is,
``?format=xml`` the bare CII XML of the ZUGFeRD."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from billing.einvoice import (
    PDF_CONTENT_TYPE,
    XRECHNUNG_CONTENT_TYPE,
    build_facturx_pdf,
    build_facturx_xml,
    einvoice_for,
)
from billing.einvoice.problems import PROBLEMS, explain
from billing.models import Ownership, StripeInvoice
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
    invoices = StripeInvoice.objects.filter(workspace=request.workspace, ownership=Ownership.OURS)
    invoice = get_for_workspace(
        request, invoices.select_related("customer", "quote", "workspace"), public_id=invoice_id
    )
    try:
        filename, content_type, content = einvoice_file(invoice, request.GET.get("format", ""))
    except PROBLEMS as error:
        messages.error(request, explain(invoice, error))
        return redirect("billing:invoice_detail", invoice_id=invoice.public_id)
    return attachment(filename, content_type, content)
