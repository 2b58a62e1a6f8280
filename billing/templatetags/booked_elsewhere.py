"""Which accounting tools booked some of the workspace's invoices (the VAT report and the DATEV
export leave those out: billing.evidence.services.issued)."""

from django import template

from billing.models import Invoice, Provider

register = template.Library()


@register.simple_tag
def booked_elsewhere(workspace) -> str:
    """ "Lexware Office", "sevDesk" or both, joined; "" when every invoice is Stripe's."""
    used = (
        Invoice.objects.filter(workspace=workspace)
        .exclude(provider=Provider.STRIPE)
        .order_by()
        .values_list("provider", flat=True)
        .distinct()
    )
    return " / ".join(sorted(Provider(p).label for p in used))
