"""Workspaces and customers as the tax parties of rules.tax (the one place that builds them).

A customer's VAT-ID status comes from the VIES checks (``customers.vatids.services.status_for``);
without that module every status is "" (not checked), which never blocks reverse charge.
"""

from rules.tax import Party


def vat_id_status(customer) -> str:
    """ "valid" | "invalid" | "unconfirmed" | "" for the customer's current VAT ID."""
    try:
        from customers.vatids.services import status_for
    except ImportError:
        return ""
    return status_for(customer) or ""


def party(obj) -> Party:
    """A workspace (or a customer, without its VIES status) as a tax party."""
    return Party(country=obj.country.code or "", tax_id_type=obj.tax_id_type, tax_id=obj.tax_id)


def customer_party(customer) -> Party:
    """A customer as a tax party, with what VIES said about its VAT ID."""
    return Party(
        country=customer.country.code or "",
        tax_id_type=customer.tax_id_type,
        tax_id=customer.tax_id,
        vat_id_status=vat_id_status(customer),
    )
