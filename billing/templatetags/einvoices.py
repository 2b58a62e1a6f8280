"""Which e-invoice an invoice has, for the download links on the invoice pages."""

from django import template

from billing.einvoice.problems import PROBLEMS
from billing.einvoice.source import FINALIZED, leitweg_id
from billing.models import Ownership

register = template.Library()


def einvoice_kind(invoice) -> str:
    """ "xrechnung" | "zugferd" | "" (drafts, voided invoices, invoices not from a quote, and
    invoices Lexware Office or sevDesk issued: their e-invoice is the tool's own document, not
    a second one of ours)."""
    if (
        not invoice.from_stripe
        or invoice.status not in FINALIZED
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


@register.simple_tag
def einvoice_payment_warning(invoice, workspace) -> str:
    """For the MSP's invoice page: the customer pays this invoice by transfer (Stripe does not
    charge them) and the workspace (the page's own) has no IBAN, so its e-invoice can name no
    account (means ZZZ instead of 58). Read from what the page has loaded, without building
    the e-invoice."""
    from django.utils.translation import gettext as _

    from billing.einvoice.problems import MISSING_FOR_PAYMENT

    customer = invoice.customer
    if not einvoice_kind(invoice) or invoice.balance_due <= 0 or workspace.iban:
        return ""
    if customer is not None and customer.collection_method == "charge_automatically":
        return ""
    return _(
        "The e-invoice of invoice %(number)s names no way to pay it by bank: missing "
        "%(fields)s (Settings → Workspace)."
    ) % {"number": invoice.number, "fields": MISSING_FOR_PAYMENT["seller bank account (IBAN)"]}
