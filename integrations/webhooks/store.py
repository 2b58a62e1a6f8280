"""Storing a verified Stripe event once per workspace, account and event id: a webhook delivery
in one statement (``store_delivery``), an event found by reconciliation (``store_event``)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import F, Q
from django.utils import timezone

from integrations.connection import ownership
from integrations.models import StripeConnection, StripeEvent
from integrations.webhooks.endpoints import Endpoint

# One statement per delivery. It stores the event only while the connection row is still the one
# the (possibly kept) endpoint was read from; a duplicate of a stored event id changes nothing;
# and a delivery proves the endpoint receives events, which last_event_at records at most once a
# minute (or at once after a failed delivery, so the settings card turns green again).
DELIVERY_SQL = """
WITH endpoint AS (
    SELECT id FROM integrations_stripeconnection
    WHERE id = %(connection)s AND webhook_token = %(token)s
      AND webhook_secret_encrypted = %(secret_encrypted)s AND mode = %(mode)s
      AND account_identity = %(account_identity)s AND account_id = %(account_id)s
), stored AS (
    INSERT INTO integrations_stripeevent (
        public_id, workspace_id, stripe_account, event_id, event_type, livemode, api_version,
        created, payload, status, error, attempts, received_at, not_ours
    )
    SELECT %(public_id)s, %(workspace)s, %(account)s, %(event_id)s, %(event_type)s,
        %(livemode)s, %(api_version)s, %(created)s, %(payload)s::jsonb, %(status)s, '', 0,
        now(), false
    FROM endpoint
    ON CONFLICT (workspace_id, stripe_account, event_id) DO NOTHING
    RETURNING id
), touched AS (
    UPDATE integrations_stripeconnection SET last_event_at = now()
    WHERE id IN (SELECT id FROM endpoint)
      AND (last_event_at IS NULL OR last_event_at < now() - interval '1 minute'
           OR last_delivery_error_at >= last_event_at)
)
SELECT EXISTS (SELECT 1 FROM endpoint), (SELECT id FROM stored)
"""


@dataclass(frozen=True)
class Delivery:
    endpoint_current: bool  # False: the connection row changed (or went); nothing was stored
    event_pk: int | None  # the new row; None for a duplicate (or when nothing was stored)


def store_delivery(endpoint: Endpoint, event: dict, body: bytes) -> Delivery:
    """Store a verified delivery (``event`` is ``body`` parsed) in one statement, in the current
    workspace; the payload is the body exactly as Stripe sent it."""
    created_ts = event.get("created")
    params = {
        "connection": endpoint.connection_id,
        "token": endpoint.token,
        "secret_encrypted": endpoint.secret_encrypted,
        "mode": endpoint.mode,
        "account_identity": endpoint.account_identity,
        "account_id": endpoint.account_id,
        "public_id": uuid.uuid4(),
        "workspace": endpoint.workspace_id,
        "account": endpoint.account_ref,
        "event_id": event["id"],
        "event_type": event["type"],
        "livemode": bool(event.get("livemode")),
        "api_version": event.get("api_version") or "",
        "created": datetime.fromtimestamp(created_ts, tz=UTC) if created_ts else None,
        "payload": body.decode("utf-8"),
        "status": StripeEvent.Status.RECEIVED,
    }
    if database.vendor != "postgresql":  # the SQLite demo: the same steps, one by one
        return _store_delivery_portably(endpoint, params, event)
    with database.cursor() as cursor:
        cursor.execute(DELIVERY_SQL, params)
        current, event_pk = cursor.fetchone()
    return Delivery(endpoint_current=current, event_pk=event_pk)


def _store_delivery_portably(endpoint: Endpoint, params: dict, event: dict) -> Delivery:
    now = timezone.now()
    with transaction.atomic():
        connections = StripeConnection.objects.filter(
            pk=endpoint.connection_id,
            webhook_token=endpoint.token,
            webhook_secret_encrypted=endpoint.secret_encrypted,
            mode=endpoint.mode,
            account_identity=endpoint.account_identity,
            account_id=endpoint.account_id,
        )
        if not connections.exists():
            return Delivery(endpoint_current=False, event_pk=None)
        row, created = StripeEvent.objects.get_or_create(
            workspace_id=endpoint.workspace_id,
            stripe_account=endpoint.account_ref,
            event_id=params["event_id"],
            defaults={
                "public_id": params["public_id"],
                "event_type": params["event_type"],
                "livemode": params["livemode"],
                "api_version": params["api_version"],
                "created": params["created"],
                "payload": event,
            },
        )
        connections.filter(
            Q(last_event_at__isnull=True)
            | Q(last_event_at__lt=now - timedelta(minutes=1))
            | Q(last_delivery_error_at__gte=F("last_event_at"))
        ).update(last_event_at=now)
    return Delivery(endpoint_current=True, event_pk=row.pk if created else None)


def store_event(connection: StripeConnection, event: dict) -> tuple[StripeEvent | None, bool]:
    """Store an event read from Stripe's API once per workspace, account and event id. Returns
    (row, created); (None, False) for another workspace's event: nothing of it is kept."""
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
    except IntegrityError:  # stored meanwhile by a delivery
        return StripeEvent.objects.get(**lookup), False
    return row, created


def event_ownership(connection: StripeConnection, event: dict) -> str:
    """Whose the event's object is, judged from the payload alone (OURS, FOREIGN, NOBODY)."""
    from integrations.mirror.sync import ownership_of

    obj = (event.get("data") or {}).get("object") or {}
    return ownership_of(connection, obj)
