from django import template

from integrations.models import Push, StripeConnection

register = template.Library()

_PATHS = {
    "cus": "customers",
    "sub": "subscriptions",
    "in": "invoices",
    "prod": "products",
    "ii": "invoiceitems",
}


@register.simple_tag
def stripe_dashboard_url(connection, stripe_id: str) -> str:
    """A direct link into the Stripe Dashboard (test or live) for a Stripe object id."""
    if connection is None or not stripe_id:
        return ""
    prefix = stripe_id.split("_", 1)[0]
    path = _PATHS.get(prefix)
    return connection.dashboard_url(f"{path}/{stripe_id}") if path else connection.dashboard_url()


@register.inclusion_tag("integrations/_quote_stripe_panel.html", takes_context=True)
def quote_stripe_panel(context, quote):
    """The violet Stripe block on a quote's page (2 queries); the accounting tool's block
    instead when the workspace bills from Lexware Office or sevDesk (the push is there)."""
    request = context["request"]
    accounting = _accounting_block(quote)
    if accounting is not None:
        return {"request": request, "quote": quote, "accounting": accounting}
    connection = StripeConnection.objects.for_workspace(quote.workspace)
    push = None
    if connection is not None:
        push = Push.objects.for_quote(quote, connection).prefetch_related("steps").first()
    steps = list(push.steps.all()) if push else []
    return {
        "request": request,
        "quote": quote,
        "connection": connection,
        "push": push,
        "subscriptions": [s for s in steps if s.kind == "subscription" and s.stripe_id],
        "invoices": [s for s in steps if s.kind == "invoice" and s.stripe_id],
        "customer_step": next((s for s in steps if s.kind == "customer" and s.stripe_id), None),
    }


def _accounting_block(quote) -> dict | None:
    from billing.models import Contract
    from integrations.accounting.contracts import accounting_provider
    from integrations.models import BillingProvider

    provider = accounting_provider(quote.workspace)
    if provider is None:
        return None
    contract = Contract.objects.filter(
        workspace=quote.workspace, quote=quote, provider=provider
    ).first()
    return {"provider": provider, "label": BillingProvider(provider).label, "contract": contract}


@register.inclusion_tag("billing/_invoice_table.html")
def invoices_of(obj, limit: int = 20):
    """The mirrored Stripe invoices of a quote or a customer (one query)."""
    from billing.models import Ownership, StripeInvoice
    from customers.models import Customer

    field = "customer" if isinstance(obj, Customer) else "quote"
    invoices = list(
        StripeInvoice.objects.filter(**{field: obj}, ownership=Ownership.OURS).select_related(
            "customer", "quote"
        )[:limit]
    )
    return {"invoices": invoices}


@register.inclusion_tag("integrations/_customer_stripe_ids.html")
def stripe_customer_ids(customer):
    """The Stripe customer ids of a customer in the connected account (and others it had)."""
    from integrations.models import StripeObjectMap

    connection = StripeConnection.objects.for_workspace(customer.workspace)
    maps = list(
        StripeObjectMap.objects.filter(
            workspace=customer.workspace,
            kind=StripeObjectMap.Kind.CUSTOMER,
            local_ref=str(customer.public_id),
        )
    )
    rows = [
        {
            "stripe_id": m.stripe_id,
            "mode": m.mode,
            "current": connection is not None
            and (m.account_ref, m.mode) == (connection.account_ref, connection.mode),
        }
        for m in maps
    ]
    return {"rows": rows, "connection": connection}
