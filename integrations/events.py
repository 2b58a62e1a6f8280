"""Processing stored Stripe events: idempotent, order-independent (objects are re-read)."""

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Notification, Ownership
from billing.money import from_minor_units
from billing.notify import notify
from integrations.models import StripeConnection, StripeEvent
from integrations.stripe.client import make_client
from integrations.stripe.errors import StripeFailure
from integrations.sync import ForeignObject, forget_foreign, sync_invoice, sync_subscription

FOREIGN = "foreign"


def _invoice(event: StripeEvent, connection: StripeConnection, client):
    invoice_id = event.payload["data"]["object"]["id"]
    mirror = sync_invoice(connection, invoice_id, client)
    if (
        event.event_type == "invoice.payment_failed"
        and mirror is not None
        and mirror.ownership == Ownership.OURS
    ):
        who = mirror.customer.company_name if mirror.customer else mirror.stripe_customer_id
        amount = f"{from_minor_units(mirror.amount_remaining, mirror.currency)} {mirror.currency}"
        notify(
            connection.workspace,
            Notification.Kind.PAYMENT_FAILED,
            f"payment_failed:{invoice_id}:{event.event_id}",
            _("Payment failed: %(number)s (%(who)s)")
            % {"number": mirror.number or invoice_id, "who": who},
            _(
                "Stripe could not collect %(amount)s for invoice %(number)s. Stripe retries "
                "according to your settings; you may want to contact the customer."
            )
            % {"amount": amount, "number": mirror.number or invoice_id},
            reverse("billing:invoices") + f"?status=open&q={mirror.number or invoice_id}",
        )


def _subscription(event: StripeEvent, connection: StripeConnection, client):
    sync_subscription(connection, event.payload["data"]["object"]["id"], client)


HANDLERS = {
    "invoice.created": _invoice,
    "invoice.finalized": _invoice,
    "invoice.sent": _invoice,
    "invoice.updated": _invoice,
    "invoice.paid": _invoice,
    "invoice.payment_succeeded": _invoice,
    "invoice.payment_failed": _invoice,
    "invoice.voided": _invoice,
    "invoice.marked_uncollectible": _invoice,
    "invoice.deleted": _invoice,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
}


def process_event(event_pk: int) -> str:
    """Apply one stored event. Returns its new status (FOREIGN: the event was another
    workspace's and is deleted); retryable Stripe failures raise."""
    event = StripeEvent.objects.select_related("workspace").filter(pk=event_pk).first()
    if event is None:
        return "missing"
    if event.status == StripeEvent.Status.PROCESSED:
        return event.status
    StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        StripeEvent.objects.filter(pk=event.pk).update(
            status=StripeEvent.Status.IGNORED, processed_at=timezone.now(), error=""
        )
        return StripeEvent.Status.IGNORED
    connection = StripeConnection.objects.filter(workspace=event.workspace).first()
    if connection is None:
        return _failed(event, _("Stripe is not connected any more."))
    try:
        with transaction.atomic():
            handler(event, connection, make_client(connection.api_key))
    except ForeignObject as foreign:
        # Another workspace's object (seen only on the re-read): keep nothing of it.
        forget_foreign(connection, foreign)
        StripeEvent.objects.filter(pk=event.pk).delete()
        return FOREIGN
    except StripeFailure as failure:
        _failed(event, failure.message)
        if failure.retryable:
            raise
        return StripeEvent.Status.FAILED
    StripeEvent.objects.filter(pk=event.pk).update(
        status=StripeEvent.Status.PROCESSED, processed_at=timezone.now(), error=""
    )
    return StripeEvent.Status.PROCESSED


def _failed(event: StripeEvent, message: str) -> str:
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.FAILED, error=message)
    return StripeEvent.Status.FAILED
