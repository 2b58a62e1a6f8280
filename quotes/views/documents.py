"""The quote's PDF for staff: prepare it (Celery), watch it become ready, download it.

Stored documents are served from the database exactly as rendered: the accepted quote and the
agreement stay byte-identical whatever changes later.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from mspercury.access import get_for_workspace, workspace_required
from quotes.access import access_quote
from quotes.models import DocumentKind, QuoteDocument
from quotes.stored_documents import do_request_quote_pdf


def pdf_response(document: QuoteDocument, *, attachment: bool = False) -> HttpResponse:
    """The stored bytes, unchanged (no-transform keeps proxies from recompressing them)."""
    quote_number = document.quote.number
    suffix = "agreement" if document.kind == DocumentKind.AGREEMENT else f"r{document.revision}"
    name = f"{quote_number}-{suffix}.pdf"
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "private, no-transform"
    response["X-Document-SHA256"] = document.sha256
    return response


def _panel_context(quote):
    documents = list(
        QuoteDocument.objects.defer("pdf", "snapshot").filter(quote=quote).order_by("-revision")
    )
    current = next(
        (d for d in documents if d.kind == DocumentKind.QUOTE and d.revision == quote.revision),
        None,
    )
    return {"quote": quote, "document": current, "documents": documents}


@workspace_required
def quote_pdf(request, quote_id):
    """GET: the PDF panel (htmx polls it every second while the PDF is prepared) or page.
    POST: prepare the PDF of the current revision."""
    quote = access_quote(request, quote_id)
    if request.method == "POST":
        do_request_quote_pdf(quote, user=request.user)
        if not request.htmx:
            return redirect("quotes:quote_pdf", quote_id=quote.public_id)
    template = "quotes/_pdf_panel.html" if request.htmx else "quotes/documents.html"
    return render(request, template, _panel_context(quote))


@workspace_required
@require_GET
def document_download(request, quote_id, document_id):
    quote = access_quote(request, quote_id)
    document = get_for_workspace(request, QuoteDocument.objects, public_id=document_id, quote=quote)
    if not document.is_ready:
        return redirect("quotes:quote_pdf", quote_id=quote.public_id)
    document.quote = quote
    return pdf_response(document, attachment=request.GET.get("download") == "1")
