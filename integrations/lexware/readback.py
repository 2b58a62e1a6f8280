"""Lexware Office tells MSPercury when an invoice or its payments change: event subscriptions
(registered on connect, repaired on demand) call back a URL of ours carrying an unguessable
token; a callback says only which invoice changed ("thin payload", notes §1.12), so the task
reads the invoice and its payments (``GET /v1/invoices/{id}``, ``GET /v1/payments/{id}``) and
feeds the ledger (integrations.accounting.readback).

Lexware's payments cannot be written by API ("The status of an invoice cannot be changed via
the api", notes §1.13): a manual payment recorded in MSPercury stays MSPercury's only.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_noop

from billing.models import Invoice, Payment
from integrations.accounting import readback
from integrations.accounting.http import ProviderError, ValidationRefused
from integrations.lexware.client import LexwareClient
from integrations.models import AccountingConnection, AccountingEvent, WebhookStatus
from mspercury import audit
from mspercury.texts import Text

# The events that change what MSPercury shows of an invoice ("Event Types"): created, changed,
# its status, and its payments (also fired when an open invoice goes back to draft).
EVENT_TYPES = ("invoice.created", "invoice.changed", "invoice.status.changed", "payment.changed")
STATUS = {
    "draft": Invoice.Status.DRAFT,
    "open": Invoice.Status.OPEN,
    "overdue": Invoice.Status.OPEN,
    "paid": Invoice.Status.PAID,
    "voided": Invoice.Status.VOID,
}
# Payment items that are money received ("Payments": paymentItemType); a credit note reduces
# what is owed; cash discount, dunning costs and the like are not payments.
METHODS = {
    "partPaymentFinancialTransaction": Payment.Method.BANK_TRANSFER,
    "manualPayment": Payment.Method.OTHER,
    "partPaymentCashBox": Payment.Method.CASH,
}
CREDIT_NOTE_ITEM = "partPaymentCreditNote"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def callback_url(token: str) -> str:
    path = reverse("integrations:lexware_callback", args=[token])
    return f"{settings.MSPERCURY_PUBLIC_URL.rstrip('/')}{path}"


def find_connection(token: str) -> AccountingConnection | None:
    """The Lexware connection a callback token belongs to (call in the system context)."""
    return (
        AccountingConnection.objects.filter(
            provider="lexware", callback_token_hash=hash_token(token)
        )
        .select_related("workspace")
        .first()
    )


def register_callbacks(connection: AccountingConnection) -> bool:
    """(Re)register the event subscriptions with a fresh token: those registered before are
    deleted first (Lexware has no update), so a repaired connection gets each event once.
    Failures are kept on the connection; returns whether it worked."""
    client = LexwareClient(connection.api_key)
    token = secrets.token_urlsafe(32)
    made: list[str] = []
    try:
        drop_subscriptions(client, connection.callback_subscriptions)
        # Known before Lexware's HEAD probe of the new URL arrives.
        connection.callback_token_hash = hash_token(token)
        connection.callback_subscriptions = made
        connection.save(update_fields=["callback_token_hash", "callback_subscriptions"])
        for kind in EVENT_TYPES:
            made.append(str(client.create_event_subscription(kind, callback_url(token))["id"]))
    except ProviderError as failure:
        connection.callback_status = WebhookStatus.FAILED
        connection.callback_error = str(failure)
    else:
        connection.callback_status = WebhookStatus.REGISTERED
        connection.callback_error = ""
    # What was made is kept either way, so the next repair deletes it.
    connection.callback_subscriptions = made
    connection.save(update_fields=["callback_subscriptions", "callback_status", "callback_error"])
    return connection.callback_status == WebhookStatus.REGISTERED


def drop_subscriptions(client: LexwareClient, subscription_ids: list[str]) -> None:
    from integrations.accounting.http import NotFound

    for subscription_id in subscription_ids or []:
        with contextlib.suppress(NotFound):
            client.delete_event_subscription(subscription_id)


def do_repair_callbacks(request, connection: AccountingConnection) -> bool:
    """The settings page's "register again" (like Stripe's webhook repair), audited."""
    worked = register_callbacks(connection)
    audit.record(
        request,
        connection.workspace,
        "accounting.callbacks_registered" if worked else "accounting.callbacks_failed",
        Text(
            gettext_noop("Lexware Office event subscriptions registered again")
            if worked
            else gettext_noop("Lexware Office event subscriptions could not be registered")
        ),
        provider="lexware",
        error=connection.callback_error,
    )
    return worked


# -- reading an invoice back --------------------------------------------------------------------
def _when(value) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(str(value))
    if moment is None:
        day = parse_date(str(value)[:10])
        return timezone.make_aware(datetime(day.year, day.month, day.day)) if day else None
    return moment


def invoice_changes(invoice: dict) -> dict:
    """The ledger fields a Lexware invoice decides: status, number, dates, amounts."""
    totals = invoice.get("totalPrice") or {}
    shipping = invoice.get("shippingConditions") or {}
    start, end = _when(shipping.get("shippingDate")), _when(shipping.get("shippingEndDate"))
    changes = {
        "status": STATUS.get(str(invoice.get("voucherStatus")), Invoice.Status.OPEN),
        "number": str(invoice.get("voucherNumber") or ""),
        "due_date": _when(invoice.get("dueDate")),
        "total": readback.minor_units(totals.get("totalGrossAmount")),
        "tax": readback.minor_units(totals.get("totalTaxAmount")),
        "net": readback.minor_units(totals.get("totalNetAmount")),
    }
    if start:
        changes["service_start"] = start.date()
    if end:
        changes["service_end"] = end.date()
    return {key: value for key, value in changes.items() if value not in ("", None)}


def payment_facts(invoice_id: str, state: dict) -> list[readback.PaymentFact]:
    """Lexware's payment items as payments. Items carry no id: each is named by its invoice and
    a digest of its type, posting date, amount and a counter for identical ones, so reading the
    list again records nothing twice."""
    seen: dict[tuple, int] = {}
    facts = []
    for item in state.get("paymentItems") or []:
        kind = str(item.get("paymentItemType") or "")
        if kind not in METHODS and kind != CREDIT_NOTE_ITEM:
            continue
        amount = readback.minor_units(item.get("amount"))
        key = (kind, str(item.get("postingDate") or ""), amount)
        seen[key] = seen.get(key, 0) + 1
        credit = kind == CREDIT_NOTE_ITEM
        facts.append(
            readback.PaymentFact(
                provider_id=f"lexware:{invoice_id}:{_item_id(*key, seen[key])}",
                amount=-abs(amount) if credit else abs(amount),
                paid_at=_when(item.get("postingDate")) or timezone.now(),
                method="" if credit else METHODS[kind],
                source=Payment.Source.CREDIT_NOTE if credit else Payment.Source.ACCOUNTING,
                note="Lexware Office",
            )
        )
    return facts


def _item_id(kind: str, posted: str, amount: int, occurrence: int) -> str:
    return hashlib.sha256(f"{kind}|{posted}|{amount}|{occurrence}".encode()).hexdigest()[:20]


def sync_invoice(connection: AccountingConnection, invoice_id: str) -> str:
    """Read the invoice and its payments from Lexware into the ledger. "ignored" when the
    ledger has no such invoice of this connection's organization."""
    ref = readback.account_ref(connection)
    invoice = readback.ledger_invoice(connection.workspace, "lexware", ref, invoice_id)
    if invoice is None:
        return "ignored"
    client = LexwareClient(connection.api_key)
    found = client.get_invoice(invoice_id)
    try:
        state = client.get_payments(invoice_id)
    except ValidationRefused:  # a draft has no payments (406, "not an error condition")
        state = {}
    readback.apply(invoice, invoice_changes(found), payment_facts(invoice_id, state))
    return "processed"


def process_event(event_pk: int) -> str:
    """Apply a stored callback (idempotent: reading the invoice again records nothing twice)."""
    event = AccountingEvent.objects.select_related("connection__workspace").get(pk=event_pk)
    if event.status in (AccountingEvent.Status.PROCESSED, AccountingEvent.Status.IGNORED):
        return event.status
    event.attempts += 1
    try:
        outcome = sync_invoice(event.connection, event.resource_id)
    except ProviderError as failure:
        event.status, event.error = AccountingEvent.Status.FAILED, str(failure)
        event.save(update_fields=["status", "error", "attempts"])
        raise
    event.status = outcome
    event.error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])
    return outcome


def store_event(connection: AccountingConnection, body: bytes, payload: dict) -> int | None:
    """Store a verified callback once (by the digest of its body); its pk, or None when it was
    stored before (Lexware delivers again after a failure)."""
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        event, created = AccountingEvent.objects.get_or_create(
            workspace_id=connection.workspace_id,
            digest=digest,
            defaults={
                "connection": connection,
                "event_type": str(payload.get("eventType") or "")[:60],
                "resource_id": str(payload.get("resourceId") or "")[:80],
                "event_date": str(payload.get("eventDate") or "")[:40],
                "payload": payload,
            },
        )
        AccountingConnection.objects.filter(pk=connection.pk).update(last_event_at=timezone.now())
    return event.pk if created else None


# A stored callback whose task was lost or failed is processed again by the beat task; after
# this many attempts it stays failed (the events' error says why) until Lexware sends another.
MAX_ATTEMPTS = 8
LOST_AFTER = timedelta(minutes=2)


def due_events(now: datetime | None = None) -> list[tuple[int, int]]:
    """(workspace id, event id) of every stored callback to process again: failed ones, and
    received ones whose task never ran. The only cross-tenant read here; call it in the system
    context."""
    now = now or timezone.now()
    return list(
        AccountingEvent.objects.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(
            Q(status=AccountingEvent.Status.FAILED)
            | Q(status=AccountingEvent.Status.RECEIVED, received_at__lt=now - LOST_AFTER)
        )
        .order_by("received_at")
        .values_list("workspace_id", "pk")[:500]
    )
