"""An accounting tool's document of an invoice (its PDF, read from the tool now) as the HTTP
answer the MSP's invoice page and the client portal both give."""

from django.http import HttpResponse


def document_response(document: tuple[str, str, bytes]) -> HttpResponse:
    """``(filename, content type, content)`` shown inline, the name cut to safe characters."""
    filename, content_type, content = document
    response = HttpResponse(content, content_type=content_type)
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "invoice.pdf"
    response["Content-Disposition"] = f'inline; filename="{safe}"'
    return response
