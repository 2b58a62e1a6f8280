"""Checkout Sessions for pay links (when the workspace chose Checkout): one fresh session per
click for what is still due, whose payment is attached to the Stripe invoice once it succeeds
(integrations.mirror.payments.on_checkout_session), so the invoice never stays open beside it."""

from datetime import datetime, timedelta

from django.utils import timezone

from billing.mirror import stripe_field as _get
from billing.models import StripeInvoice
from integrations.mirror.payments import INVOICE_METADATA_KEY
from integrations.models import StripeConnection
from integrations.push.executor import throttled_call
from integrations.stripe.client import make_client

# Stripe's bounds for a session's expires_at: 30 minutes to 24 hours ahead.
SHORTEST, LONGEST = timedelta(minutes=31), timedelta(hours=24)


def session_expiry(link_expires_at: datetime, now: datetime) -> datetime:
    """As long as the pay link still lives, within Stripe's bounds (the link itself outlives
    any one session: each click makes a new one). Pure."""
    return min(max(link_expires_at, now + SHORTEST), now + LONGEST)


def method_types(currency: str) -> list[str]:
    return ["card", "sepa_debit"] if currency.lower() == "eur" else ["card"]


def create_session(
    connection: StripeConnection,
    invoice: StripeInvoice,
    *,
    success_url: str,
    cancel_url: str,
    link_expires_at: datetime,
    amount: int | None = None,
) -> str:
    """A Checkout Session for ``amount`` (default: what Stripe says is still due on the
    invoice); returns its URL."""
    metadata = {
        INVOICE_METADATA_KEY: invoice.stripe_id,
        "mspercury_workspace": str(invoice.workspace.public_id),
    }
    expires = session_expiry(link_expires_at, timezone.now())
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "product_data": {"name": f"Invoice {invoice.number or invoice.stripe_id}"},
                    "unit_amount": invoice.amount_remaining if amount is None else amount,
                },
                "quantity": 1,
            }
        ],
        "allowed_payment_method_types": method_types(invoice.currency),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires.timestamp()),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    if invoice.stripe_customer_id:
        params["customer"] = invoice.stripe_customer_id
    client = make_client(connection.api_key)
    session = throttled_call(connection, lambda: client.v1.checkout.sessions.create(params))
    return session.url


def check_returned_session(connection: StripeConnection, session_id: str, invoice) -> str:
    """The success page's own check, not waiting for the webhook: "paid" (recorded now, once),
    "processing" (a SEPA debit on its way), "failed" (the debit bounced), "unpaid", or
    "unknown" for a session that is not this invoice's."""
    from integrations.mirror.payments import on_checkout_session
    from integrations.stripe.client import call
    from integrations.stripe.errors import StripeFailure

    client = make_client(connection.api_key)
    try:
        session = call(lambda: client.v1.checkout.sessions.retrieve(session_id))
    except StripeFailure:
        return "unknown"
    if _get(_get(session, "metadata") or {}, INVOICE_METADATA_KEY) != invoice.stripe_id:
        return "unknown"
    if session.payment_status == "paid":
        on_checkout_session(connection, session_id, client)
        return "paid"
    if session.status != "complete":
        return "unpaid"
    return _debit_state(client, _get(session, "payment_intent"))


def _debit_state(client, intent_id) -> str:
    from integrations.stripe.client import call
    from integrations.stripe.errors import StripeFailure

    try:
        intent = call(lambda: client.v1.payment_intents.retrieve(str(intent_id)))
    except StripeFailure:
        return "processing"  # the key may not read payment intents: assume it is on its way
    return "processing" if intent.status in ("processing", "succeeded") else "failed"
