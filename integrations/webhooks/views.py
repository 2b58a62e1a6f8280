"""Stripe's webhook and the events page: view → verify → store (webhooks.store) → dispatch
(webhooks.dispatch, in a Celery task)."""

import logging
import uuid

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.models import StripeConnection, StripeEvent
from integrations.stripe.client import WebhookSignatureError, construct_event
from integrations.tasks import process_stripe_event
from integrations.webhooks.intake import parse_event_body
from integrations.webhooks.store import store_event
from mspercury import audit, ratelimit, tenancy
from mspercury.access import admin_required, get_for_workspace
from mspercury.texts import Text

logger = logging.getLogger(__name__)


def _enqueue_processing(workspace_pk: int, event_pk: int) -> None:
    # Stripe must get its 2xx once the event is stored; processing problems stay on the row.
    try:
        process_stripe_event.delay(workspace_pk, event_pk)
    except Exception:
        logger.exception("processing of stored Stripe event %s failed", event_pk)


@csrf_exempt
@require_POST
def stripe_webhook(request, token):
    """Webhook intake: verify with this workspace's secret, store once, answer fast."""
    if not ratelimit.hit("webhook", token[:16], 600, 60):
        return JsonResponse({"error": "rate limited"}, status=429)
    # The token is the only thing that names the workspace: look it up across tenants, then
    # do everything else inside that workspace alone.
    with tenancy.system_context():
        connection = (
            StripeConnection.objects.select_related("workspace").filter(webhook_token=token).first()
        )
    if connection is None:
        raise Http404
    with tenancy.workspace_context(connection.workspace_id):
        return _receive(request, connection)


def _receive(request, connection: StripeConnection):
    secret = connection.webhook_secret
    if not secret:
        return HttpResponseBadRequest("No webhook signing secret is configured.")
    # Parsed before verification so that no body shape can make the SDK or the database fail.
    payload = parse_event_body(request.body)
    if payload is None:
        return HttpResponseBadRequest("The body is not a Stripe event object.")
    try:
        event = construct_event(request.body, request.headers.get("Stripe-Signature", ""), secret)
    except WebhookSignatureError:
        StripeConnection.objects.filter(pk=connection.pk).update(
            last_delivery_error=_("A delivery failed signature verification."),
            last_delivery_error_at=timezone.now(),
        )
        return HttpResponseBadRequest("Invalid signature.")
    del event  # verified; store the raw JSON exactly as Stripe sent it
    if bool(payload.get("livemode")) != connection.is_live:
        return HttpResponseBadRequest("Event mode does not match the connected key.")
    row, created = store_event(connection, payload)
    if created:
        transaction.on_commit(lambda: _enqueue_processing(row.workspace_id, row.pk))
    return JsonResponse({"received": True, "duplicate": not created})


@admin_required
def stripe_events(request):
    from integrations.webhooks.dispatch import UNPROCESSED, alert_after, unprocessed_summary
    from mspercury.keyset import Keyset

    queryset = StripeEvent.objects.filter(workspace=request.workspace).defer("payload")
    status = request.GET.get("status", "")
    event_ref = request.GET.get("event", "")
    if event_ref:  # the link of a failure notification: that one event
        try:
            queryset = queryset.filter(public_id=uuid.UUID(event_ref))
        except ValueError:
            queryset = queryset.none()
    if status == "unprocessed":
        queryset = queryset.filter(status__in=UNPROCESSED)
    elif status in StripeEvent.Status.values:
        queryset = queryset.filter(status=status)
    whose = request.GET.get("whose", "")
    if whose in WHOSE:
        queryset = queryset.filter(not_ours=whose == "not_ours")
    # Newest first by arrival, through the event_list index; no COUNT, no OFFSET.
    pages = Keyset("-received_at", "-id", size=50)
    page = pages.page(queryset, request.GET.get("cursor"), scope=f"events:{request.workspace.pk}")
    summary = unprocessed_summary(request.workspace)
    return render(
        request,
        "integrations/events.html",
        {
            "page": page,
            "status": status,
            "statuses": [("unprocessed", _("Not processed")), *StripeEvent.Status.choices],
            "whose": whose,
            "whose_choices": [(value, WHOSE[value]) for value in WHOSE],
            "unprocessed": summary,
            "overdue": bool(summary["oldest"])
            and summary["oldest"] < timezone.now() - alert_after(),
        },
    )


# The events page's filter: events about our objects, or about objects nobody owns.
WHOSE = {
    "ours": gettext_lazy("Ours"),
    "not_ours": gettext_lazy("Not ours (nobody's)"),
}


@require_POST
@admin_required
def stripe_event_replay(request, event_id):
    event = get_for_workspace(request, StripeEvent.objects, public_id=event_id)
    StripeEvent.objects.filter(pk=event.pk).update(
        status=StripeEvent.Status.RECEIVED, error="", next_attempt_at=None
    )
    audit.record(
        request,
        request.workspace,
        "stripe.event_replayed",
        Text(
            gettext_noop("Stripe event %(event)s (%(type)s) replayed"),
            event=event.event_id,
            type=event.event_type,
        ),
    )
    transaction.on_commit(lambda: _enqueue_processing(event.workspace_id, event.pk))
    messages.success(request, _("Event queued for processing again."))
    return redirect("integrations:stripe_events")
