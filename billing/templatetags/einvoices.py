"""Which e-invoice an invoice has, for the download links on the invoice pages."""

from django import template

from billing.einvoice.problems import PROBLEMS
from billing.einvoice.source import FINALIZED, leitweg_id
from billing.models import Ownership

register = template.Library()


def einvoice_kind(invoice) -> str:
    """ "xrechnung" | "zugferd" | "" (drafts, voided invoices, invoices not from a quote)."""
    if (
        invoice.status not in FINALIZED
        or invoice.ownership != Ownership.OURS
        or invoice.quote_id is None
        or not invoice.number
    ):
        return ""
    customer = invoice.customer
    return "xrechnung" if customer is not None and leitweg_id(customer) else "zugferd"


@register.simple_tag
def einvoice_of(invoice) -> str:
    """The kind, shown to the MSP whether or not it can be built yet (the download says why)."""
    return einvoice_kind(invoice)


@register.simple_tag
def portal_einvoice_of(invoice, customer) -> str:
    """The kind, for the customer only when it can be built: the portal shows no dead links.
    ``customer`` is the signed-in one the page has loaded (with its workspace)."""
    from billing.einvoice.compose import missing_for_xrechnung
    from billing.einvoice.source import einvoice_from_stripe

    if invoice.customer_id == customer.pk:
        invoice.customer = customer
        invoice.workspace = customer.workspace
    kind = einvoice_kind(invoice)
    if not kind:
        return ""
    try:
        einvoice = einvoice_from_stripe(invoice)
    except PROBLEMS:
        return ""
    if kind == "xrechnung" and missing_for_xrechnung(einvoice):
        return ""
    return kind
