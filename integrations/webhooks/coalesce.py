"""A burst of events about one Stripe invoice, processed with one fresh read of it.

At month end Stripe sends several events per invoice within seconds: `invoice.created`,
`invoice.finalized`, `invoice_payment.paid`, `invoice.paid`, `invoice.payment_succeeded`. Each
is processed by re-reading the invoice (dispatch.py), never from its payload, so one fresh read
says everything all of them say. The task of one such event (the leader):

1. locks the invoice (a PostgreSQL advisory lock held until its transaction ends), so the tasks
   of one invoice run one after another. A worker's task does not wait for the lock: it is
   deferred (queued again a moment later) and its worker goes on with the next event, usually
   another invoice's, so two workers in a burst work on two invoices instead of one waiting
   for the other; when it runs again it mostly finds its event processed and reads nothing.
   The retry sweep and the reconciliation, which run events one after another, wait;
2. lists the other stored events about the invoice that are not processed yet (COVERABLE);
3. reads the invoice once and applies it with every job those events call for: collecting the
   payments (a payment event among them), the VAT re-check of a new draft (`invoice.created`);
4. marks them processed in the same transaction as the mirror it wrote.

Why a covered event needs nothing more: Stripe sends an event after the change it reports, and
the webhook stores it before its task is queued; an event whose row was committed before the
list was taken (2) was sent before the read (3) began, so the read shows its change or a later
state. An event stored after the list is not covered: its own task reads again. When the read
or applying fails, or the invoice turns out to be another workspace's, nothing is covered and
every event is processed on its own, as before.

Not coalesced: `invoice.payment_failed` (it notifies once per event; it may lead, but is never
covered), Checkout sessions (they attach a payment to the invoice), refunds and
`charge.refunded` (about refunds, not the invoice), credit notes (they record the credit note
itself) and subscriptions (another object). On SQLite (the demo, one process) nothing is locked
and nothing needs to be.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from integrations.connection import ownership
from integrations.models import StripeEvent
from integrations.push.locks import advisory_xact_lock, try_advisory_xact_lock

# Events that may lead: their handler re-reads the invoice and takes the covered events' jobs.
LEADS = {
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
    "invoice_payment.paid",
}
# Events a leader's read covers: all they do is mirror the invoice's state (and its payments).
COVERABLE = LEADS - {"invoice.payment_failed"}
PENDING = (StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED)


class InvoiceBusy(Exception):
    """Another task holds the event's invoice; the event is to be processed a moment later."""


@dataclass
class Group:
    """An event and the events its read covers (empty for an event that is not coalesced)."""

    event: StripeEvent
    invoice_id: str = ""
    covered: list[StripeEvent] = field(default_factory=list)
    # The event's status when another task's read covered it while this one waited for the
    # invoice ("missing": deleted meanwhile); empty while it is this task's to process.
    already: str = ""

    @property
    def also(self) -> frozenset[str]:
        """The covered events' types: the jobs the event's handler does on top of its own."""
        return frozenset(other.event_type for other in self.covered)


def lock_name(event: StripeEvent, invoice_id: str) -> str:
    return f"stripe_invoice:{event.workspace_id}:{event.stripe_account}:{invoice_id}"


def pending_about(event: StripeEvent, invoice_id: str):
    """The other stored events about the invoice that a read of it now covers."""
    return StripeEvent.objects.filter(
        workspace_id=event.workspace_id,
        stripe_account=event.stripe_account,
        invoice_ref=invoice_id,
        status__in=PENDING,
        event_type__in=COVERABLE,
    ).exclude(pk=event.pk)


def gather(event: StripeEvent, *, wait: bool = True) -> Group:
    """Inside the transaction that processes ``event``, before its read: lock its invoice and
    list the events the read will cover (see the module's text). Without ``wait``, raises
    InvoiceBusy when another task holds the invoice."""
    invoice_id = event.invoice_ref if event.event_type in LEADS else None
    if not invoice_id:
        return Group(event)
    if wait:
        advisory_xact_lock(lock_name(event, invoice_id))
    elif not try_advisory_xact_lock(lock_name(event, invoice_id)):
        raise InvoiceBusy(invoice_id)
    status = StripeEvent.objects.filter(pk=event.pk).values_list("status", flat=True).first()
    if status not in PENDING:
        return Group(event, invoice_id, already=status or "missing")
    covered = list(pending_about(event, invoice_id).only("pk", "event_type", "status"))
    return Group(event, invoice_id, covered)


def cover(group: Group, verdict: str | None) -> None:
    """In the same transaction, after the read was applied: the covered events are processed
    (with the event's verdict: the same invoice is ours, nobody's, or another workspace's)."""
    if verdict == ownership.FOREIGN or not group.covered:
        return  # another workspace's invoice: each event is deleted by its own task
    StripeEvent.objects.filter(pk__in=[other.pk for other in group.covered]).update(
        status=StripeEvent.Status.PROCESSED,
        processed_at=timezone.now(),
        error="",
        next_attempt_at=None,
        not_ours=verdict == ownership.NOBODY,
    )
