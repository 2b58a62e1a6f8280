"""Bring Stripe's invoices and subscriptions into our mirror.

Every update re-reads the object from Stripe, so the mirror shows Stripe's current state
whatever order events arrive in, and applying it twice changes nothing. Each read is checked for
ownership (integrations/connection/ownership.py): another workspace's objects are never kept,
nobody's are kept apart as unlinked.

What follows a mirrored invoice is called by name from `apply_invoice`, each time it saves one,
and runs after commit: its VAT evidence (`evidence.on_invoice_mirrored`: the supplies of an
issued invoice of ours) and then the customer's invoice email (`portal.emails.on_invoice_mirrored`:
a freshly finalized invoice of ours, once). The payments Stripe reports reach the settle path
(billing/payments.py), which says what follows a payment.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from billing.evidence import services as evidence
from billing.mirror import brings_revenue, external_status, line_facts, monthly_amount
from billing.mirror import stripe_field as _get
from billing.models import MrrMovement, Ownership, StripeInvoice, StripeSubscription
from billing.payments import resettle
from customers.models import Customer
from integrations.connection import ownership
from integrations.models import StripeConnection, StripeObjectMap
from integrations.push.locks import advisory_xact_lock
from integrations.stripe.client import call, make_client
from integrations.stripe.errors import StripeFailure
from portal import emails
from quotes.models import Quote
from rules.money import exponent


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _quote(workspace, metadata) -> Quote | None:
    ref = _get(metadata, "mspercury_quote_id") if metadata else None
    if not ref:
        return None
    try:
        return Quote.objects.filter(workspace=workspace, public_id=ref).first()
    except (ValueError, TypeError):  # not a UUID
        return None


def _our_customer_ids(connection: StripeConnection, stripe_customer_ids) -> set[str]:
    """Which of these Stripe customers our pushes created in the connected account."""
    wanted = [c for c in stripe_customer_ids if c]
    if not wanted:
        return set()
    return set(
        StripeObjectMap.objects.filter(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            mode=connection.mode,
            kind=StripeObjectMap.Kind.CUSTOMER,
            stripe_id__in=wanted,
        ).values_list("stripe_id", flat=True)
    )


def ownership_of(connection: StripeConnection, obj) -> str:
    """OURS, FOREIGN or NOBODY (see integrations/connection/ownership.py) for this workspace."""
    ours = _our_customer_ids(connection, [ownership.customer_id(obj)])
    return ownership.classify(obj, str(connection.workspace.public_id), ours)


def _stored_ownership(verdict: str) -> str:
    return Ownership.OURS if verdict == ownership.OURS else Ownership.UNLINKED


def _customer(connection: StripeConnection, stripe_customer_id: str) -> Customer | None:
    local = (
        StripeObjectMap.objects.filter(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            mode=connection.mode,
            kind=StripeObjectMap.Kind.CUSTOMER,
            stripe_id=stripe_customer_id,
        )
        .values_list("local_ref", flat=True)
        .first()
    )
    return (
        Customer.objects.filter(workspace=connection.workspace, public_id=local).first()
        if (local)
        else None
    )


class ForeignObject(Exception):
    """The object read from Stripe carries another workspace's identity: keep nothing of it."""

    def __init__(self, model, stripe_id: str):
        super().__init__(stripe_id)
        self.model = model
        self.stripe_id = stripe_id


def forget_foreign(connection: StripeConnection, foreign: ForeignObject) -> None:
    """Drop any row of ours that mirrored another workspace's object (outside the rolled-back
    transaction that found out)."""
    foreign.model.objects.filter(
        workspace=connection.workspace,
        account_ref=connection.account_ref,
        stripe_id=foreign.stripe_id,
    ).delete()


def _retrieve(fn):
    try:
        return call(fn)
    except StripeFailure as failure:
        if failure.is_missing:
            return None
        raise


def _invoices(connection: StripeConnection, stripe_id: str):
    return StripeInvoice.objects.filter(
        workspace=connection.workspace, account_ref=connection.account_ref, stripe_id=stripe_id
    )


# The invoices read while one Stripe event is processed (dispatch.process_event, inside
# ``fresh_reads``): what runs after the event's commit in the same task (the place-of-supply
# evidence, evidence_reads.ip_country) uses that read instead of reading the invoice again.
_fresh: ContextVar[dict | None] = ContextVar("mspercury_fresh_invoices", default=None)


@contextmanager
def fresh_reads():
    token = _fresh.set({})
    try:
        yield
    finally:
        _fresh.reset(token)


def fresh_invoice(invoice_id: str):
    """The invoice as read (with its customer) earlier in the current ``fresh_reads``, or None."""
    reads = _fresh.get()
    return reads.get(invoice_id) if reads is not None else None


def read_invoice(client, invoice_id: str, expand=()):
    """One invoice fresh from Stripe, with its customer (whose metadata may be the only
    identity) and whatever else ``expand`` names; None for a deleted draft."""
    invoice = _retrieve(
        lambda: client.v1.invoices.retrieve(invoice_id, {"expand": ["customer", *expand]})
    )
    reads = _fresh.get()
    if reads is not None and invoice is not None:
        reads[invoice_id] = invoice
    return invoice


def sync_invoice(
    connection: StripeConnection, invoice_id: str, client=None
) -> StripeInvoice | None:
    """Re-read one invoice and mirror it."""
    client = client or make_client(connection.api_key)
    return mirror_read(connection, invoice_id, read_invoice(client, invoice_id), client)


def mirror_read(
    connection: StripeConnection, invoice_id: str, invoice, client
) -> StripeInvoice | None:
    """Mirror an invoice ``read_invoice`` returned (None: a deleted draft)."""
    if invoice is None:  # a deleted draft
        _invoices(connection, invoice_id).update(
            status=StripeInvoice.Status.DELETED, external_status="DELETED"
        )
        return _invoices(connection, invoice_id).first()
    return apply_invoice(connection, invoice, client)


def apply_invoice(connection: StripeConnection, invoice, client=None) -> StripeInvoice:
    """Mirror an invoice read from Stripe; raises ForeignObject for another workspace's."""
    verdict = ownership_of(connection, invoice)
    if verdict == ownership.FOREIGN:
        raise ForeignObject(StripeInvoice, invoice.id)
    parent = _get(invoice, "parent") or {}
    details = _get(parent, "subscription_details") or {}
    metadata = _get(invoice, "metadata") or {}
    if not _get(metadata, "mspercury_quote_id"):
        metadata = _get(details, "metadata") or metadata
    taxes = _get(invoice, "total_taxes") or []
    tax = sum(int(_get(t, "amount", 0)) for t in taxes)
    status = _get(invoice, "status", "draft")
    attempts = int(_get(invoice, "attempt_count", 0))
    remaining = int(_get(invoice, "amount_remaining", 0))
    stripe_customer = _get(invoice, "customer", "")
    stripe_customer = stripe_customer if isinstance(stripe_customer, str) else stripe_customer.id
    values = {
        "livemode": bool(_get(invoice, "livemode", False)),
        "number": _get(invoice, "number", ""),
        "stripe_customer_id": stripe_customer,
        "customer": _customer(connection, stripe_customer),
        "quote": _quote(connection.workspace, metadata),
        "subscription_id": _get(details, "subscription", "") or "",
        "status": status,
        "external_status": external_status(
            status, attempts, remaining, int(_get(invoice, "amount_paid", 0))
        ),
        "currency": str(_get(invoice, "currency", "")).upper(),
        "total": int(_get(invoice, "total", 0)),
        "tax": tax,
        "amount_due": int(_get(invoice, "amount_due", 0)),
        "amount_paid": int(_get(invoice, "amount_paid", 0)),
        "amount_remaining": remaining,
        "attempt_count": attempts,
        "billing_reason": _get(invoice, "billing_reason", "") or "",
        "created": _ts(_get(invoice, "created")),
        "finalized_at": _issued_at(invoice, status),
        "voided_at": _ts(_get(_get(invoice, "status_transitions") or {}, "voided_at")),
        "due_date": _ts(_get(invoice, "due_date")),
        "hosted_invoice_url": _get(invoice, "hosted_invoice_url", "") or "",
        "invoice_pdf": _get(invoice, "invoice_pdf", "") or "",
        "ownership": _stored_ownership(verdict),
        "lines": [line_facts(line) for line in _all_lines(connection, invoice, client)],
    }
    mirror, _created = StripeInvoice.objects.update_or_create(
        workspace=connection.workspace,
        account_ref=connection.account_ref,
        stripe_id=invoice.id,
        defaults=values,
    )
    evidence.on_invoice_mirrored(mirror)
    emails.on_invoice_mirrored(mirror)
    # Stripe's own status (void, paid, …) feeds the derived payment status too.
    return resettle(mirror) if mirror.ownership == Ownership.OURS else mirror


# Stripe embeds an invoice's first 10 lines and lists the rest 100 at a time (at most 250 lines
# per invoice): a 250-line invoice costs the retrieve and three list calls.
LINES_PAGE = 100


def _issued_at(invoice, status: str) -> datetime | None:
    """Stripe's date of issue: ``effective_at`` (which equals the finalization unless the MSP
    set another, and then replaces "Date of issue" on Stripe's own PDF), else
    ``status_transitions.finalized_at``; none while a draft."""
    if status in ("draft", "deleted"):
        return None
    transitions = _get(invoice, "status_transitions") or {}
    return _ts(_get(invoice, "effective_at") or _get(transitions, "finalized_at"))


def _all_lines(connection: StripeConnection, invoice, client) -> list:
    """Every line of the invoice: those embedded in it, then the rest from
    `GET /v1/invoices/{id}/lines` (the SDK's `invoices.line_items`) after the last one seen."""
    listing = _get(invoice, "lines") or {}
    lines = list(_get(listing, "data") or [])
    if _get(listing, "has_more") and client is None:
        client = make_client(connection.api_key)
    while _get(listing, "has_more") and lines:
        params = {"limit": LINES_PAGE, "starting_after": _get(lines[-1], "id")}
        listing = call(lambda params=params: client.v1.invoices.line_items.list(invoice.id, params))
        lines.extend(listing.data)
    return lines


def sync_subscription(connection: StripeConnection, subscription_id: str, client=None):
    client = client or make_client(connection.api_key)
    with transaction.atomic():
        advisory_xact_lock(
            f"mirror:{connection.workspace_id}:{connection.account_ref}:{subscription_id}"
        )
        subscription = _retrieve(
            lambda: client.v1.subscriptions.retrieve(subscription_id, {"expand": ["customer"]})
        )
        if subscription is None:
            return None
        return apply_subscription(connection, subscription)


def apply_subscription(connection: StripeConnection, subscription) -> StripeSubscription:
    """Mirror a subscription read from Stripe; raises ForeignObject for another workspace's."""
    verdict = ownership_of(connection, subscription)
    if verdict == ownership.FOREIGN:
        raise ForeignObject(StripeSubscription, subscription.id)
    items = []
    amount = 0
    monthly = 0
    interval = ""
    currency = str(_get(subscription, "currency", "") or "").upper()
    period_end = None
    item_list = _get(subscription, "items") or {}
    for item in _get(item_list, "data", []):
        price = _get(item, "price") or {}
        recurring = _get(price, "recurring") or {}
        quantity = int(_get(item, "quantity", 1))
        unit_amount = int(_get(price, "unit_amount", 0))
        interval = _get(recurring, "interval", interval)
        count = int(_get(recurring, "interval_count", 1))
        currency = currency or str(_get(price, "currency", "")).upper()
        amount += quantity * unit_amount
        monthly += monthly_amount(interval, count, quantity * unit_amount)
        period_end = _get(item, "current_period_end", period_end)
        items.append(
            {
                "price": _get(price, "id", ""),
                "quantity": quantity,
                "unit_amount": unit_amount,
                "interval": interval,
                "interval_count": count,
            }
        )
    status = _get(subscription, "status", "")
    ended_at = _ts(_get(subscription, "ended_at"))
    stripe_customer = _get(subscription, "customer", "")
    stripe_customer = stripe_customer if isinstance(stripe_customer, str) else stripe_customer.id
    values = {
        "livemode": bool(_get(subscription, "livemode", False)),
        "stripe_customer_id": stripe_customer,
        "customer": _customer(connection, stripe_customer),
        "quote": _quote(connection.workspace, _get(subscription, "metadata") or {}),
        "status": status,
        "interval": interval,
        "currency": currency,
        "items": items,
        "amount": amount,
        "cancel_at_period_end": bool(_get(subscription, "cancel_at_period_end", False)),
        "cancel_at": _ts(_get(subscription, "cancel_at")),
        "canceled_at": _ts(_get(subscription, "canceled_at")),
        "ended_at": ended_at,
        "current_period_end": _ts(period_end),
        "created": _ts(_get(subscription, "created")),
        "ownership": _stored_ownership(verdict),
    }
    with transaction.atomic():
        mirror, _created = StripeSubscription.objects.update_or_create(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            stripe_id=subscription.id,
            defaults=values,
        )
        _record_movements(mirror, monthly)
    return mirror


def _month(moment: datetime, zone):
    """The first day of the MSP's local month the movement happened in."""
    return moment.astimezone(zone).date().replace(day=1)


def _record_movements(mirror: StripeSubscription, monthly) -> None:
    """New once when it first brings revenue; expansion or contraction when its monthly amount
    changed since (an amendment), by the difference; churn once when it stops for good, of what
    it brought until then. So a subscription's movements always sum to the MRR it brings. Only
    our subscriptions move our MRR; nobody's (unlinked) never do."""
    if mirror.ownership != Ownership.OURS:
        MrrMovement.objects.filter(subscription=mirror).delete()
        return
    monthly_major = Decimal(monthly).scaleb(-exponent(mirror.currency or "EUR"))
    revenue = brings_revenue(mirror.status, mirror.ended_at is not None)
    started = mirror.created or mirror.synced_at
    ended = mirror.status == "canceled" or mirror.ended_at is not None
    if revenue or mirror.status in ("canceled",):
        _move(mirror, MrrMovement.Kind.NEW, monthly_major, started, unique=True)
    booked = MrrMovement.objects.filter(subscription=mirror).aggregate(total=Sum("amount"))
    booked = booked["total"] or Decimal(0)
    if ended:
        happened = mirror.ended_at or mirror.canceled_at or mirror.synced_at
        _move(mirror, MrrMovement.Kind.CHURN, -booked, happened, unique=True)
    elif revenue and booked != monthly_major:
        change = monthly_major - booked
        kind = MrrMovement.Kind.EXPANSION if change > 0 else MrrMovement.Kind.CONTRACTION
        _move(mirror, kind, change, mirror.synced_at, unique=False)


def _move(mirror, kind, amount: Decimal, happened, *, unique: bool) -> None:
    values = {
        "workspace": mirror.workspace,
        "month": _month(happened, mirror.workspace.zone),
        "currency": mirror.currency,
        "amount": amount,
        "happened_at": happened,
    }
    if unique:
        MrrMovement.objects.get_or_create(subscription=mirror, kind=kind, defaults=values)
    else:
        MrrMovement.objects.create(subscription=mirror, kind=kind, **values)
