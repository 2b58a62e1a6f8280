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
    """The violet Stripe block on a quote's page (2 queries)."""
    request = context["request"]
    connection = StripeConnection.objects.filter(workspace=quote.workspace).first()
    push = None
    if connection is not None:
        push = (
            Push.objects.filter(
                quote=quote, account_ref=connection.account_ref, mode=connection.mode
            )
            .prefetch_related("steps")
            .first()
        )
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
