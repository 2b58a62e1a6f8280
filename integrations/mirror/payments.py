"""Payments read from Stripe, recorded through the one settle path (billing.payments).

Every source re-reads the object it names and records the money by Stripe's id for it: the
invoice payment (inpay_…), a Checkout session's payment intent (pi_…), a refund (re_…), a credit
note (cn_…). A paid-out-of-band amount that no manual payment of ours explains is recorded as
"marked paid in Stripe". Applying any of it twice records nothing new.
"""

import logging
from datetime import UTC, datetime

from django.utils import timezone

from billing.einvoice.credit_notes import record_credit_note
from billing.evidence.services import withdraw
from billing.models import Ownership, Payment, StripeInvoice
from billing.payments import record_payment, resettle
from integrations.connection import ownership
from integrations.mirror.sync import _get, mirror_read, ownership_of, read_invoice, sync_invoice
from integrations.models import StripeConnection
from integrations.stripe.client import call, list_all
from integrations.stripe.errors import FailureKind, StripeFailure

logger = logging.getLogger(__name__)

MARKED_PAID_IN_STRIPE = "Marked paid in Stripe"
# Checkout sessions made for one of our invoices name it (Stripe's invoice id) in metadata.
INVOICE_METADATA_KEY = "mspercury_invoice"


def _when(value) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC) if value else timezone.now()


def _ours(mirror: StripeInvoice | None) -> bool:
    return mirror is not None and mirror.ownership == Ownership.OURS


def collect_invoice_payments(
    connection: StripeConnection, mirror: StripeInvoice, client, invoice=None
) -> int:
    """Record every paid invoice payment of the invoice (and what Stripe calls paid off Stripe
    beyond our manual payments; ``invoice``, when given, was read with OFF_STRIPE expanded).
    Returns how many were new."""
    if not _ours(mirror):
        return 0
    new = 0
    params = {"invoice": mirror.stripe_id, "limit": 100}
    for paid in list_all(client.v1.invoice_payments, params):
        if _get(paid, "status") != "paid":
            continue
        payment = _get(paid, "payment") or {}
        _p, created = record_payment(
            mirror,
            provider_id=paid.id,
            source=Payment.Source.STRIPE,
            amount=int(_get(paid, "amount_paid", 0)),
            currency=str(_get(paid, "currency", mirror.currency)),
            paid_at=_when(_get(_get(paid, "status_transitions") or {}, "paid_at")),
            payment_intent=_get(payment, "payment_intent", "")
            or _get(payment, "payment_record", "")
            or "",
        )
        new += created
    if mirror.status == StripeInvoice.Status.PAID:
        new += _record_off_stripe(mirror, client, invoice)
    resettle(mirror)
    return new


# Stripe's paid-off-Stripe sum is only in an invoice read that expands it.
OFF_STRIPE = ("amount_paid_off_stripe",)


def _record_off_stripe(mirror: StripeInvoice, client, invoice=None) -> int:
    """Stripe's paid-off-Stripe sum, less the manual payments we reported there ourselves."""
    if invoice is None:
        invoice = call(
            lambda: client.v1.invoices.retrieve(mirror.stripe_id, {"expand": list(OFF_STRIPE)})
        )
    off_stripe = int(_get(invoice, "amount_paid_off_stripe", 0))
    ours = sum(
        Payment.objects.filter(
            invoice=mirror, source=Payment.Source.MANUAL, recorded_in_stripe=True
        ).values_list("amount", flat=True)
    )
    missing = off_stripe - ours
    if missing <= 0:
        return 0
    _p, created = record_payment(
        mirror,
        provider_id=f"oob:{mirror.stripe_id}",
        source=Payment.Source.MANUAL,
        amount=missing,
        currency=mirror.currency,
        paid_at=_when(_get(_get(invoice, "status_transitions") or {}, "paid_at")),
        method=Payment.Method.OTHER,
        note=MARKED_PAID_IN_STRIPE,
    )
    return int(created)


def sync_and_collect(connection: StripeConnection, invoice_id: str, client) -> StripeInvoice | None:
    """Re-read the invoice (once, with what paid it off Stripe), mirror it and record its
    payments."""
    invoice = read_invoice(client, invoice_id, OFF_STRIPE)
    mirror = mirror_read(connection, invoice_id, invoice, client)
    if _ours(mirror):
        collect_invoice_payments(connection, mirror, client, invoice)
    return mirror


def on_checkout_session(connection: StripeConnection, session_id: str, client):
    """A paid Checkout session for one of our invoices: its payment is attached to the Stripe
    invoice (so Stripe's invoice is paid too) and recorded by its payment intent. SEPA and bank
    transfers complete unpaid and are recorded when async_payment_succeeded; a failed debit
    records nothing and the invoice stays due."""
    session = call(lambda: client.v1.checkout.sessions.retrieve(session_id))
    metadata = _get(session, "metadata") or {}
    invoice_id = _get(metadata, INVOICE_METADATA_KEY)
    intent = _get(session, "payment_intent")
    intent = intent if isinstance(intent, str) else _get(intent, "id")
    if _get(session, "payment_status") != "paid" or not invoice_id or not intent:
        return None
    named = _get(metadata, "mspercury_workspace")
    if named and named != str(connection.workspace.public_id):
        return None  # another workspace's session on a shared Stripe account
    mirror = sync_invoice(connection, invoice_id, client)
    if not _ours(mirror):
        return None
    _attach(client, invoice_id, intent)
    mirror = sync_invoice(connection, invoice_id, client) or mirror
    methods = _get(session, "payment_method_types") or []
    return record_payment(
        mirror,
        provider_id=intent,
        source=Payment.Source.STRIPE,
        amount=int(_get(session, "amount_total", 0)),
        currency=str(_get(session, "currency", mirror.currency)),
        paid_at=timezone.now(),
        method=_method(_paid_with(client, intent, methods)),
        payment_intent=intent,
    )


def _attach(client, invoice_id: str, intent: str) -> None:
    """Attach the session's payment to the invoice, once (a redelivered event replays the same
    idempotency key). An invoice that was paid meanwhile keeps the money as an overpayment,
    still recorded against it, for the MSP to refund."""
    try:
        call(
            lambda: client.v1.invoices.attach_payment(
                invoice_id,
                {"payment_intent": intent},
                {"idempotency_key": f"checkout-attach:{intent}"},
            )
        )
    except StripeFailure as failure:
        if failure.retryable:
            raise
        logger.warning("Checkout payment %s not attached to %s: %s", intent, invoice_id, failure)


def _paid_with(client, intent: str, methods: list) -> str:
    if len(methods) == 1:
        return methods[0]
    try:
        found = call(
            lambda: client.v1.payment_intents.retrieve(intent, {"expand": ["latest_charge"]})
        )
    except StripeFailure as failure:
        if failure.retryable:
            raise
        return ""  # the key may not read payment intents: the method stays unnamed
    charge = _get(found, "latest_charge")
    details = _get(charge, "payment_method_details") if not isinstance(charge, str) else None
    return str(_get(details, "type", "")) if details else ""


def _method(stripe_type: str) -> str:
    known = {"card": Payment.Method.CARD, "sepa_debit": Payment.Method.SEPA_DEBIT}
    return known.get(stripe_type, Payment.Method.BANK_TRANSFER if stripe_type else "")


def on_refund(connection: StripeConnection, refund_id: str, client):
    """A refund of money we recorded (found by its payment intent), as a negative payment."""
    refund = call(lambda: client.v1.refunds.retrieve(refund_id))
    if _get(refund, "status") not in ("succeeded", "pending"):
        return None
    intent = _get(refund, "payment_intent")
    original = (
        Payment.objects.filter(
            workspace=connection.workspace, payment_intent=intent, source=Payment.Source.STRIPE
        )
        .select_related("invoice")
        .first()
        if intent
        else None
    )
    if original is None:
        return None
    return record_payment(
        original.invoice,
        provider_id=refund.id,
        source=Payment.Source.REFUND,
        amount=-int(_get(refund, "amount", 0)),
        currency=str(_get(refund, "currency", original.currency)),
        paid_at=_when(_get(refund, "created")),
        method=original.method,
        payment_intent=intent,
    )


def on_charge_refunded(
    connection: StripeConnection, charge_id: str, client, payload_refunds
) -> bool:
    """charge.refunded names its refunds (older payloads list them); each is re-read. Returns
    whether any of them refunded money we recorded."""
    recorded = False
    for refund in payload_refunds:
        ref = refund["id"] if isinstance(refund, dict) else refund
        recorded = on_refund(connection, ref, client) is not None or recorded
    return recorded


def recorded_intent(connection: StripeConnection, intent) -> bool:
    """Whether we recorded a payment by this payment intent (a Stripe payment of our invoice)."""
    if not intent or not isinstance(intent, str):
        return False
    return Payment.objects.filter(
        workspace=connection.workspace, payment_intent=intent, source=Payment.Source.STRIPE
    ).exists()


def payment_ownership(connection: StripeConnection, obj, client) -> str:
    """Whose money a charge or refund we recorded nothing of is: FOREIGN (another workspace's
    customer or pay link), OURS or NOBODY (see integrations/connection/ownership.py).

    A charge names its customer; a refund only its payment intent, which is re-read (Payment
    Intents: Read, optional: without it the refund counts as nobody's). A customer no workspace
    of ours pushed is re-read for the identity our pushes put in its metadata."""
    if _get(obj, "object") == "refund":
        intent = _get(obj, "payment_intent")
        if not intent:
            return ownership.NOBODY
        try:
            obj = call(lambda: client.v1.payment_intents.retrieve(str(intent)))
        except StripeFailure as failure:
            if failure.retryable:
                raise
            return ownership.NOBODY
    verdict = ownership_of(connection, obj)
    customer_id = ownership.customer_id(obj)
    if verdict != ownership.NOBODY or not customer_id:
        return verdict
    try:
        customer = call(lambda: client.v1.customers.retrieve(customer_id))
    except StripeFailure as failure:
        if failure.retryable:
            raise
        return ownership.NOBODY
    return ownership.classify(customer, str(connection.workspace.public_id))


def on_credit_note(connection: StripeConnection, credit_note_id: str, client, signed=None):
    """A credit note lowers what is owed on its invoice (a voided one no longer does). Re-read
    from Stripe; a key without Credit Notes read uses the event's signed copy instead."""
    try:
        note = call(lambda: client.v1.credit_notes.retrieve(credit_note_id))
    except StripeFailure as failure:
        if failure.kind != FailureKind.PERMISSION or signed is None:
            raise
        note = signed
    mirror = sync_invoice(connection, str(_get(note, "invoice", "")), client)
    if not _ours(mirror):
        return None
    record_credit_note(mirror, note)
    payment, created = record_payment(
        mirror,
        provider_id=str(_get(note, "id")),
        source=Payment.Source.CREDIT_NOTE,
        amount=-int(_get(note, "total", 0)),
        currency=str(_get(note, "currency", mirror.currency)),
        paid_at=_when(_get(note, "created")),
        reference=str(_get(note, "number", "")),
    )
    if _get(note, "status") == "void" and payment.voided_at is None:
        Payment.objects.filter(pk=payment.pk).update(voided_at=timezone.now())
        resettle(mirror)
        withdraw(payment)  # the supplies it reduced are whole again
    return payment, created
