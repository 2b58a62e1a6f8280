"""The staff's copy of an accounting tool's invoice PDF, read from the tool now."""

from django.http import Http404

from billing.access import access_invoice
from billing.files import document_response
from integrations.accounting.files import invoice_file
from mspercury.access import workspace_required


@workspace_required
def invoice_pdf(request, invoice_id):
    invoice = access_invoice(request, invoice_id)
    document = None if invoice.from_stripe else invoice_file(invoice)
    if document is None:
        raise Http404
    return document_response(document)
