"""Reconciliation: list recent events (or, for keys that may not read events, the objects
themselves) and process whatever the webhook missed, so nothing is lost."""

import json
import logging
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.models import Ownership, StripeInvoice, StripeSubscription
from integrations.mirror.payments import collect_invoice_payments
from integrations.mirror.sync import (
    ForeignObject,
    apply_invoice,
    apply_subscription,
    forget_foreign,
    sync_invoice,
    sync_subscription,
)
from integrations.models import StripeConnection, StripeEvent
from integrations.stripe.client import list_all, make_client
from integrations.stripe.errors import FailureKind, StripeFailure
from integrations.webhooks.dispatch import FOREIGN, HANDLERS, process_event
from integrations.webhooks.store import store_event
from mspercury import tenancy
from mspercury.models import Notification
from mspercury.notify import notify
from mspercury.texts import Text

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=3)
OVERLAP = timedelta(minutes=30)


def reconcile_all() -> dict:
    """Reconcile every connected workspace, each inside its own workspace alone."""
    # Which workspaces are connected is the only cross-tenant read here.
    with tenancy.system_context():
        workspaces = list(
            StripeConnection.objects.values_list("workspace_id", "workspace__public_id")
        )
    results = {}
    for workspace_id, public_id in workspaces:
        with tenancy.workspace_context(workspace_id):
            connected = StripeConnection.objects.select_related("workspace")
            connection = connected.for_workspace(workspace_id)
            if connection is None:  # disconnected meanwhile
                continue
            try:
                results[str(public_id)] = reconcile(connection)
            except StripeFailure as failure:
                logger.warning("reconciliation of %s failed: %s", workspace_id, failure)
                results[str(public_id)] = {"error": failure.message}
    return results


def reconcile(connection: StripeConnection, *, now=None) -> dict:
    now = now or timezone.now()
    since = (
        (connection.last_reconciled_at - OVERLAP)
        if connection.last_reconciled_at
        else (now - LOOKBACK)
    )
    client = make_client(connection.api_key)
    try:
        summary = _from_events(connection, client, since)
    except StripeFailure as failure:
        if failure.kind != FailureKind.PERMISSION:
            raise
        summary = _from_objects(connection, client, since)
    summary["verified"] = verify_unverified(connection, client)
    StripeConnection.objects.filter(pk=connection.pk).update(last_reconciled_at=now)
    if summary["missed"]:
        notify(
            connection.workspace,
            Notification.Kind.WEBHOOK_SILENT,
            f"webhook_silent:{now.date().isoformat()}",
            Text(gettext_noop("The Stripe webhook missed %(n)s updates"), n=summary["missed"]),
            Text(
                gettext_noop(
                    "Reconciliation found %(n)s changes in Stripe that never reached MSPercury's "
                    "webhook and applied them. Check the endpoint in Settings → Integrations and "
                    "use “Retry webhook configuration” if events keep going missing."
                ),
                n=summary["missed"],
            ),
            reverse("integrations:stripe_settings"),
        )
    return summary


def _from_events(connection, client, since) -> dict:
    missed = processed = 0
    params = {"limit": 100, "created": {"gte": int(since.timestamp())}, "types": sorted(HANDLERS)}
    events = list(list_all(client.v1.events, params))
    for event in sorted(events, key=lambda e: e.created):
        # Back to Stripe's wire format (decimals are strings there) before storing.
        payload = json.loads(json.dumps(event.to_dict(), default=str))
        row, created = store_event(connection, payload)
        if row is None:  # another workspace's event
            continue
        if row.status != StripeEvent.Status.PROCESSED:
            if process_event(row.pk) == FOREIGN:
                continue
            processed += 1
        if created:
            missed += 1
    return {"mode": "events", "seen": len(events), "missed": missed, "processed": processed}


def _from_objects(connection, client, since) -> dict:
    """Without Events: read, compare Stripe's objects with the mirror directly."""
    changed = 0
    # Customers come expanded: their metadata may be an object's only workspace identity.
    subscription_params = {"status": "all", "limit": 100, "expand": ["data.customer"]}
    for subscription in list_all(client.v1.subscriptions, subscription_params):
        before = _subscription_state(connection, subscription.id)
        try:
            apply_subscription(connection, subscription)
        except ForeignObject as foreign:
            forget_foreign(connection, foreign)
            continue
        changed += before != _subscription_state(connection, subscription.id)
    invoice_params = {
        "limit": 100,
        "created": {"gte": int(since.timestamp())},
        "expand": ["data.customer"],
    }
    for invoice in list_all(client.v1.invoices, invoice_params):
        before = _invoice_state(connection, invoice.id)
        try:
            mirror = apply_invoice(connection, invoice, client)
        except ForeignObject as foreign:
            forget_foreign(connection, foreign)
            continue
        if mirror.amount_paid or mirror.status == StripeInvoice.Status.PAID:
            collect_invoice_payments(connection, mirror, client)
        changed += before != _invoice_state(connection, invoice.id)
    return {"mode": "objects", "missed": changed, "processed": changed}


def verify_unverified(connection, client) -> int:
    """Re-read every mirror row stored before ownership was checked (see billing migration
    0003) and claim it, keep it as unlinked, or drop it as another workspace's."""
    done = 0
    for model, sync in ((StripeSubscription, sync_subscription), (StripeInvoice, sync_invoice)):
        rows = model.objects.filter(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            ownership=Ownership.UNVERIFIED,
        ).values_list("stripe_id", flat=True)
        for stripe_id in list(rows):
            try:
                sync(connection, stripe_id, client)
            except ForeignObject as foreign:
                forget_foreign(connection, foreign)
            # Gone from Stripe, so nobody can claim it.
            model.objects.filter(
                workspace=connection.workspace,
                account_ref=connection.account_ref,
                stripe_id=stripe_id,
                ownership=Ownership.UNVERIFIED,
            ).delete()
            done += 1
    return done


def _subscription_state(connection, stripe_id):
    return (
        StripeSubscription.objects.filter(
            workspace=connection.workspace, account_ref=connection.account_ref, stripe_id=stripe_id
        )
        .values_list("status", "amount", "cancel_at_period_end", "ended_at")
        .first()
    )


def _invoice_state(connection, stripe_id):
    return (
        StripeInvoice.objects.filter(
            workspace=connection.workspace, account_ref=connection.account_ref, stripe_id=stripe_id
        )
        .values_list("status", "amount_paid", "amount_remaining", "attempt_count")
        .first()
    )
