"""Storing a verified Stripe event once per workspace, account and event id."""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.connection import ownership
from integrations.models import StripeConnection, StripeEvent


def store_event(
    connection: StripeConnection, event: dict, *, touch: bool = True
) -> tuple[StripeEvent | None, bool]:
    """Store a verified event once per workspace, account and event id. Returns (row, created);
    (None, False) for another workspace's event: answered, but nothing of it is kept."""
    if touch:  # a delivery (not reconciliation) proves the endpoint receives events
        StripeConnection.objects.filter(pk=connection.pk).update(last_event_at=timezone.now())
    if event_ownership(connection, event) == ownership.FOREIGN:
        return None, False
    created_ts = event.get("created")
    defaults = {
        "event_type": event.get("type", ""),
        "livemode": bool(event.get("livemode")),
        "api_version": event.get("api_version") or "",
        "created": datetime.fromtimestamp(created_ts, tz=UTC) if created_ts else None,
        "payload": event,
    }
    lookup = {
        "workspace": connection.workspace,
        "stripe_account": connection.account_ref,
        "event_id": event["id"],
    }
    try:
        with transaction.atomic():
            row, created = StripeEvent.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        return StripeEvent.objects.get(**lookup), False
    return row, created


def event_ownership(connection: StripeConnection, event: dict) -> str:
    """Whose the event's object is, judged from the payload alone (OURS, FOREIGN, NOBODY)."""
    from integrations.mirror.sync import ownership_of

    obj = (event.get("data") or {}).get("object") or {}
    return ownership_of(connection, obj)
