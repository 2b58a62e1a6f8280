"""Registering the workspace's webhook endpoint in its Stripe account."""

from dataclasses import dataclass

from integrations.stripe.client import API_VERSION, call, make_client
from integrations.stripe.errors import StripeFailure

# Every event type the product handles (later issues process them; all are stored on arrival).
HANDLED_EVENTS = [
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.created",
    "invoice.finalized",
    "invoice.sent",
    "invoice.updated",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.deleted",
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "charge.refunded",
    "invoice_payment.paid",
    "refund.created",
    "refund.updated",
    "credit_note.created",
    "credit_note.voided",
]


@dataclass(frozen=True)
class RegisteredEndpoint:
    endpoint_id: str
    secret: str
    livemode: bool | None


def register_endpoint(api_key: str, url: str, workspace_ref: str) -> RegisteredEndpoint:
    client = make_client(api_key)
    endpoint = call(
        lambda: client.v1.webhook_endpoints.create(
            {
                "url": url,
                "enabled_events": HANDLED_EVENTS,
                "api_version": API_VERSION,
                "description": "MSPercury (quotes and invoices)",
                "metadata": {"created_by": "mspercury", "mspercury_workspace": workspace_ref},
            }
        )
    )
    return RegisteredEndpoint(
        endpoint_id=endpoint.id,
        secret=endpoint.secret,
        livemode=getattr(endpoint, "livemode", None),
    )


def list_endpoint_workspaces(api_key: str) -> set[str]:
    """The MSPercury workspace ids named on the account's webhook endpoints."""
    client = make_client(api_key)
    marks = set()
    listing = call(lambda: client.v1.webhook_endpoints.list({"limit": 100}))
    for endpoint in listing.data:
        metadata = getattr(endpoint, "metadata", None) or {}
        metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
        mark = metadata.get("mspercury_workspace")
        if mark:
            marks.add(str(mark))
    return marks


def delete_endpoint(api_key: str, endpoint_id: str) -> None:
    """Delete our own endpoint; one that is already gone is fine."""
    client = make_client(api_key)
    try:
        call(lambda: client.v1.webhook_endpoints.delete(endpoint_id))
    except StripeFailure as failure:
        if failure.is_missing:
            return
        raise
