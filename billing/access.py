"""The one way views reach the mirror's invoices: ours, by public id, within the active workspace.
Another workspace's invoice, one kept apart as unlinked and a missing one all give 404."""

from billing.models import Ownership, StripeInvoice
from mspercury.access import get_for_workspace


def our_invoices(workspace):
    """The workspace's own invoices (not those kept apart as another's or nobody's)."""
    return StripeInvoice.objects.filter(workspace=workspace, ownership=Ownership.OURS)


def access_invoice(request, invoice_id, *related: str) -> StripeInvoice:
    """One of our invoices, with the ``related`` rows joined in."""
    queryset = our_invoices(request.workspace)
    if related:  # select_related() without names would join every relation
        queryset = queryset.select_related(*related)
    return get_for_workspace(request, queryset, public_id=invoice_id)
