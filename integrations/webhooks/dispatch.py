"""Processing stored Stripe events: idempotent, order-independent (objects are re-read).

Whatever goes wrong while an event is processed is written on its row (the error, the attempt
count and when it is tried again). An outage (Stripe's 5xx, the network, a rate limit, a locked
database) passes: `retry_due_events` retries it with backoff, in the beat or in the demo's
in-process schedule. A failure that retrying cannot cure (an error in our code, a refusal by
Stripe) is not retried: it tells owners and admins once, in words, and waits for a replay.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Ownership
from integrations.connection import ownership
from integrations.mirror import payments, recheck, sync
from integrations.mirror.sync import (
    ForeignObject,
    _get,
    forget_foreign,
    sync_invoice,
    sync_subscription,
)
from integrations.models import StripeConnection, StripeEvent
from integrations.stripe.client import call, make_client
from integrations.stripe.errors import StripeFailure
from integrations.webhooks import coalesce, failures
from mspercury import tenancy
from mspercury.localtime import workspace_stamp
from mspercury.logging import redact
from mspercury.models import Notification, Workspace
from mspercury.notify import notify
from mspercury.texts import Text, plural
from rules.money import from_minor_units

logger = logging.getLogger(__name__)

FOREIGN = "foreign"
# process_event(wait=False): another task held the event's invoice; nothing was done.
DEFERRED = "deferred"
MAX_ATTEMPTS = 8  # then the event waits for a replay, and the alert says so
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
# An event still "Received" this long after it arrived lost its processing (worker restarted,
# queue unreachable): the retry task picks it up as if it had failed.
LOST_AFTER = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the given number of failed attempts: 30 s, 1, 2, 4 … minutes, at most 1 h."""
    return timedelta(
        seconds=min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    )


def _verdict(mirror) -> str | None:
    """NOBODY for a mirrored invoice that is not ours (foreign ones raise ForeignObject)."""
    if mirror is None or mirror.ownership == Ownership.OURS:
        return None
    return ownership.NOBODY


def _invoice(event: StripeEvent, connection: StripeConnection, client, also=frozenset()):
    """Re-read the invoice once and do what ``event`` and the events it covers (``also``, see
    coalesce.py) call for."""
    return _sync_invoice(event, connection, event.payload["data"]["object"]["id"], client, also)


def _sync_invoice(event, connection, invoice_id: str, client, also):
    jobs = {event.event_type, *also}
    if jobs & PAYMENT_EVENTS:
        mirror = payments.sync_and_collect(connection, invoice_id, client)
    else:
        mirror = sync_invoice(connection, invoice_id, client)
    if "invoice.created" in jobs:  # VAT re-check of a renewal draft (recheck.py)
        mirror = recheck.on_invoice_created(connection, mirror, client)
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
            Text(
                gettext_noop("Payment failed: %(number)s (%(who)s)"),
                number=mirror.number or invoice_id,
                who=who,
            ),
            Text(
                gettext_noop(
                    "Stripe could not collect %(amount)s for invoice %(number)s. Stripe retries "
                    "according to your settings; you may want to contact the customer."
                ),
                amount=amount,
                number=mirror.number or invoice_id,
            ),
            reverse("billing:invoices") + f"?status=open&q={mirror.number or invoice_id}",
        )
    return _verdict(mirror)


# Events whose invoice is read with its payments collected.
PAYMENT_EVENTS = {
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.updated",
    "invoice_payment.paid",
}


def _object_id(event: StripeEvent) -> str:
    return event.payload["data"]["object"]["id"]


def _invoice_payment(event: StripeEvent, connection: StripeConnection, client, also=frozenset()):
    """The invoice payment is re-read for the invoice it pays, which is then re-read with its
    payments (and what the events it covers call for)."""
    paid = call(lambda: client.v1.invoice_payments.retrieve(_object_id(event)))
    return _sync_invoice(event, connection, str(_get(paid, "invoice", "")), client, also)


def _checkout_session(event: StripeEvent, connection: StripeConnection, client):
    """Our pay links mark their sessions with our workspace; others' are not ours."""
    metadata = event.payload["data"]["object"].get("metadata") or {}
    verdict = ownership.classify({"metadata": metadata}, str(connection.workspace.public_id))
    if verdict != ownership.OURS:
        return verdict
    payments.on_checkout_session(connection, _object_id(event), client)
    return None


def _refund(event: StripeEvent, connection: StripeConnection, client):
    """A refund of money we recorded (by its payment intent) is ours; any other is re-read
    only as far as telling another workspace's from nobody's."""
    refund = event.payload["data"]["object"]
    if not payments.recorded_intent(connection, refund.get("payment_intent")):
        verdict = payments.payment_ownership(connection, refund, client)
        if verdict != ownership.OURS:
            return verdict
    payments.on_refund(connection, _object_id(event), client)
    return None


def _charge_refunded(event: StripeEvent, connection: StripeConnection, client):
    charge = event.payload["data"]["object"]
    if not payments.recorded_intent(connection, charge.get("payment_intent")):
        verdict = payments.payment_ownership(connection, charge, client)
        if verdict != ownership.OURS:
            return verdict
    refunds = (charge.get("refunds") or {}).get("data") or []
    payments.on_charge_refunded(connection, _object_id(event), client, refunds)
    return None


def _credit_note(event: StripeEvent, connection: StripeConnection, client):
    signed = event.payload["data"]["object"]
    recorded = payments.on_credit_note(connection, _object_id(event), client, signed)
    return None if recorded is not None else ownership.NOBODY


def _subscription(event: StripeEvent, connection: StripeConnection, client):
    mirror = sync_subscription(connection, event.payload["data"]["object"]["id"], client)
    return _verdict(mirror)


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
    "invoice_payment.paid": _invoice_payment,
    "checkout.session.completed": _checkout_session,
    "checkout.session.async_payment_succeeded": _checkout_session,
    "checkout.session.async_payment_failed": _checkout_session,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "credit_note.created": _credit_note,
    "credit_note.voided": _credit_note,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
}


def process_event(event_pk: int, *, wait: bool = True) -> str:
    """Apply one stored event. Returns its new status (FOREIGN: the event was another
    workspace's and is deleted; DEFERRED: without ``wait``, another task held its invoice and
    nothing was done, see coalesce.py); retryable Stripe failures raise."""
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
    connection = StripeConnection.objects.for_workspace(event.workspace)
    if connection is None:
        return _failed(event, _("Stripe is not connected any more."))
    try:  # what follows the commit (the payment's evidence) reuses the invoice just read
        with sync.fresh_reads(), transaction.atomic():
            group = coalesce.gather(event, wait=wait)
            verdict = _apply(group, handler, connection) if not group.already else None
            coalesce.cover(group, verdict)
    except coalesce.InvoiceBusy:
        # Not an attempt: nothing was tried.
        StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") - 1)
        return DEFERRED
    except ForeignObject as foreign:
        # Another workspace's object (seen only on the re-read): keep nothing of it.
        forget_foreign(connection, foreign)
        StripeEvent.objects.filter(pk=event.pk).delete()
        return FOREIGN
    except StripeFailure as failure:
        _failed(event, failure.message, retry=failure.retryable)
        if failure.retryable:
            raise
        failures.notify_failure(event, failure.message, ours=False)
        return StripeEvent.Status.FAILED
    except Exception as exc:
        logger.exception("processing Stripe event %s failed", event.event_id)
        if failures.is_outage(exc):
            return _failed(event, _describe(exc), retry=True)
        place = failures.where(exc)
        reason = redact(f"{_describe(exc)} at {place}")[:500] if place else _describe(exc)
        _failed(event, reason)
        failures.notify_failure(event, reason, ours=True)
        return StripeEvent.Status.FAILED
    if group.already:  # processed by the read of another event about the same invoice
        return group.already
    if verdict == ownership.FOREIGN:  # another workspace's: keep nothing of it
        StripeEvent.objects.filter(pk=event.pk).delete()
        return FOREIGN
    StripeEvent.objects.filter(pk=event.pk).update(
        status=StripeEvent.Status.PROCESSED,
        processed_at=timezone.now(),
        error="",
        next_attempt_at=None,
        not_ours=verdict == ownership.NOBODY,
    )
    for done in [event, *group.covered]:
        if done is event or done.status == StripeEvent.Status.FAILED:
            failures.resolve_failure(done)
    return StripeEvent.Status.PROCESSED


def _apply(group: coalesce.Group, handler, connection: StripeConnection):
    client = make_client(connection.api_key)
    if group.invoice_id:  # one read of the invoice does the covered events' jobs too
        return handler(group.event, connection, client, also=group.also)
    return handler(group.event, connection, client)


def _describe(exc: Exception) -> str:
    message = str(exc)
    return redact(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)[:500]


def _failed(event: StripeEvent, message: str, *, retry: bool = False) -> str:
    attempts = StripeEvent.objects.filter(pk=event.pk).values_list("attempts", flat=True).first()
    next_attempt = None
    if retry and attempts is not None and attempts < MAX_ATTEMPTS:
        next_attempt = timezone.now() + retry_delay(attempts)
    StripeEvent.objects.filter(pk=event.pk).update(
        status=StripeEvent.Status.FAILED, error=message, next_attempt_at=next_attempt
    )
    return StripeEvent.Status.FAILED


UNPROCESSED = (StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED)


def due_for_retry(now=None):
    """Stored events the retry task should process now (in the current workspace)."""
    now = now or timezone.now()
    return StripeEvent.objects.filter(
        Q(status__in=UNPROCESSED, next_attempt_at__lte=now)
        | Q(status=StripeEvent.Status.RECEIVED, received_at__lte=now - LOST_AFTER)
    )


def unprocessed_summary(workspace) -> dict:
    """How many of the workspace's stored events are not processed, and since when."""
    queryset = StripeEvent.objects.filter(workspace=workspace, status__in=UNPROCESSED)
    oldest = queryset.order_by("received_at").values_list("received_at", flat=True).first()
    return {"count": queryset.count(), "oldest": oldest}


def alert_after() -> timedelta:
    return timedelta(minutes=settings.MSPERCURY_EVENT_ALERT_MINUTES)


def alert_if_stuck(workspace, now=None) -> bool:
    """Notify owners and admins once per oldest stuck event, when it has waited too long."""
    now = now or timezone.now()
    # Failures that told owners on their own (not retried, not given up) are not "still being
    # retried".
    stuck = StripeEvent.objects.filter(
        workspace=workspace, status__in=UNPROCESSED, received_at__lte=now - alert_after()
    ).exclude(failures.WAITING & Q(attempts__lt=MAX_ATTEMPTS))
    oldest = stuck.order_by("received_at", "id").first()
    if oldest is None:
        return False
    count = stuck.count()
    notify(
        workspace,
        Notification.Kind.EVENTS_STUCK,
        f"events_stuck:{oldest.stripe_account}:{oldest.event_id}",
        plural(
            "%(count)s Stripe event not processed", "%(count)s Stripe events not processed", count
        ),
        Text(
            gettext_noop(
                "The oldest, %(type)s (%(event)s), arrived at %(when)s and is not processed yet: "
                "%(error)s. MSPercury keeps retrying; invoices, subscriptions and MRR may be out "
                "of date until then."
            ),
            type=oldest.event_type,
            event=oldest.event_id,
            when=workspace_stamp(workspace, oldest.received_at, "Y-m-d H:i"),
            error=oldest.error or Text(gettext_noop("still waiting to be processed")),
        ),
        reverse("integrations:stripe_events") + "?status=unprocessed",
    )
    return True


def retry_all_due(now=None, batch: int = 200) -> dict:
    """Retry due events workspace by workspace (each inside its own workspace alone) and alert
    on events waiting longer than MSPERCURY_EVENT_ALERT_MINUTES. Returns counts per status."""
    now = now or timezone.now()
    with tenancy.system_context():  # which workspaces have work is the only cross-tenant read
        workspace_ids = set(
            StripeEvent.objects.filter(status__in=UNPROCESSED).values_list(
                "workspace_id", flat=True
            )
        )
    results: dict[str, int] = {}
    for workspace_id in sorted(workspace_ids):
        with tenancy.workspace_context(workspace_id):
            for pk in (
                due_for_retry(now)
                .order_by("received_at", "id")
                .values_list("pk", flat=True)[:batch]
            ):
                status = str(_retry_one(pk))
                results[status] = results.get(status, 0) + 1
            workspace = Workspace.objects.get(pk=workspace_id)
            if alert_if_stuck(workspace, now):
                results["alerted"] = results.get("alerted", 0) + 1
    return results


def _retry_one(pk: int) -> str:
    try:
        return process_event(pk)
    except StripeFailure:  # retryable: already written on the row with its next attempt
        return StripeEvent.Status.FAILED
