"""The PDF of an invoice MSPercury issued in the workspace's accounting tool, read from the tool
when someone asks for it (``GET /v1/invoices/{id}/file`` at Lexware Office, ``getPdf`` at
sevDesk): the tool's own document, never a copy of ours."""

from __future__ import annotations

from billing.models import Provider
from integrations.accounting.http import ProviderError
from integrations.lexware.client import LexwareClient
from integrations.models import AccountingConnection
from integrations.sevdesk.client import SevdeskClient


def invoice_file(invoice) -> tuple[str, str, bytes] | None:
    """(filename, content type, content) of the provider's PDF; None when the workspace is not
    connected to the invoice's provider or the provider has no file for it (a draft)."""
    if invoice.provider not in (Provider.LEXWARE, Provider.SEVDESK):
        return None
    connection = AccountingConnection.objects.for_workspace(invoice.workspace_id, invoice.provider)
    if connection is None:
        return None
    fallback = f"{invoice.number or invoice.stripe_id}.pdf"
    try:
        if invoice.provider == Provider.LEXWARE:
            found = LexwareClient(connection.api_key).get_invoice_file(invoice.stripe_id)
            return found.filename or fallback, found.content_type, found.content
        pdf = SevdeskClient(connection.api_key).get_pdf(invoice.stripe_id)
        return pdf.filename or fallback, "application/pdf", pdf.content
    except ProviderError:
        return None
