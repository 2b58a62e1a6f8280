"""The one way views reach the workspace's Stripe and accounting tool rows, within the active
workspace: what is not there, or not this workspace's, is a 404."""

from django.http import Http404

from integrations.models import AccountingConnection, Push, StripeConnection
from integrations.push.actions import connected_push


def access_connection(request) -> StripeConnection:
    """The workspace's Stripe connection; 404 while Stripe is not connected."""
    connection = StripeConnection.objects.for_workspace(request.workspace)
    if connection is None:
        raise Http404("Stripe is not connected")
    return connection


def access_accounting_connection(request, provider: str) -> AccountingConnection:
    """The workspace's Lexware Office or sevDesk connection; 404 while it is not connected."""
    connection = AccountingConnection.objects.for_workspace(request.workspace, provider)
    if connection is None:
        raise Http404(f"{provider} is not connected")
    return connection


def access_push(request, quote) -> Push:
    """The quote's push to the connected account once it succeeded (what amendments change)."""
    push = connected_push(request.workspace, quote)
    if push is None or push.status != Push.Status.SUCCEEDED:
        raise Http404
    return push
