"""The staff's copy of an accounting tool's invoice PDF, read from the tool now."""

from django.http import Http404, HttpResponse

from billing.access import access_invoice
from integrations.accounting.files import invoice_file
from mspercury.access import workspace_required


@workspace_required
def invoice_pdf(request, invoice_id):
    invoice = access_invoice(request, invoice_id)
    document = None if invoice.from_stripe else invoice_file(invoice)
    if document is None:
        raise Http404
    filename, content_type, content = document
    response = HttpResponse(content, content_type=content_type)
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "invoice.pdf"
    response["Content-Disposition"] = f'inline; filename="{safe}"'
    return response
