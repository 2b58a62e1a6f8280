"""Stripe's webhook and the events page: view → verify → store (webhooks.store) → dispatch
(webhooks.dispatch, in a Celery task).

A delivery costs what storing it costs: the rate limit counts in memory, the connection is
usually kept in memory (webhooks.endpoints), the signature is checked here (webhooks.intake), and
one statement stores the event and keeps last_event_at; everything else happens in the task."""

import logging
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.connection import ownership
from integrations.models import StripeConnection, StripeEvent
from integrations.tasks import process_stripe_event
from integrations.webhooks import endpoints
from integrations.webhooks.endpoints import Endpoint
from integrations.webhooks.intake import parse_event_body, signature_is_valid
from integrations.webhooks.store import store_delivery
from mspercury import audit, ratelimit, tenancy
from mspercury.access import admin_required, get_for_workspace
from mspercury.texts import Text

logger = logging.getLogger(__name__)


def _enqueue_processing(workspace_pk: int, event_pk: int) -> None:
    # Stripe must get its 2xx once the event is stored; an event whose task was never queued
    # stays "received" and the retry task (dispatch.retry_all_due) processes it.
    try:
        process_stripe_event.delay(workspace_pk, event_pk)
    except Exception:
        logger.exception("processing of stored Stripe event %s failed", event_pk)


@csrf_exempt
@require_POST
def stripe_webhook(request, token):
    """Webhook intake: verify with this workspace's secret, store once, answer fast."""
    limit, window = settings.MSPERCURY_WEBHOOK_RATE
    if not ratelimit.hit_shared("webhook", token[:16], limit, window):
        return JsonResponse({"error": "rate limited"}, status=429)
    # First with the endpoint as this process keeps it; when that one refuses the delivery or
    # is out of date, once more with the connection as it is now.
    for fresh in (False, True):
        endpoint = endpoints.find(token, fresh=fresh)
        if endpoint is None:
            raise Http404
        with tenancy.workspace_context(endpoint.workspace_id):
            response = _receive(request, endpoint, fresh=fresh)
        if response is not None:
            return response
    # The connection changed while this delivery was being stored; Stripe delivers it again.
    return JsonResponse({"error": "the endpoint changed; retry"}, status=409)


def _receive(request, endpoint: Endpoint, *, fresh: bool):
    """The answer to the delivery, or None when the kept ``endpoint`` may be out of date."""
    header = request.headers.get("Stripe-Signature", "")
    refusal = None
    if not endpoint.secret:
        refusal = HttpResponseBadRequest("No webhook signing secret is configured.")
    elif not signature_is_valid(request.body, header, endpoint.secret, time.time()):
        if fresh:
            _record_failed_delivery(endpoint)
        refusal = HttpResponseBadRequest("Invalid signature.")
    if refusal is not None:
        return refusal if fresh else None
    # Verified first, so only Stripe's bodies are parsed; a signed body that is no storable
    # event object is refused too (see intake.parse_event_body).
    payload = parse_event_body(request.body)
    if payload is None:
        return HttpResponseBadRequest("The body is not a Stripe event object.")
    if bool(payload.get("livemode")) != endpoint.is_live:  # the kept mode may be an old one
        return (
            HttpResponseBadRequest("Event mode does not match the connected key.")
            if fresh
            else None
        )
    # Another workspace's object (several workspaces may share one Stripe account, and each
    # endpoint receives all of its events) is answered, but nothing of it is kept. Only the
    # identity marks in the payload can make an object foreign, so this needs no query.
    if ownership.classify(payload["data"]["object"], endpoint.workspace_ref) == ownership.FOREIGN:
        return JsonResponse({"received": True, "duplicate": True})
    stored = store_delivery(endpoint, payload, request.body)
    if not stored.endpoint_current:
        endpoints.forget(endpoint.token)
        return None
    if stored.event_pk is not None:
        workspace_pk, event_pk = endpoint.workspace_id, stored.event_pk
        transaction.on_commit(lambda: _enqueue_processing(workspace_pk, event_pk))
    return JsonResponse({"received": True, "duplicate": stored.event_pk is None})


def _record_failed_delivery(endpoint: Endpoint) -> None:
    StripeConnection.objects.filter(pk=endpoint.connection_id).update(
        last_delivery_error=_("A delivery failed signature verification."),
        last_delivery_error_at=timezone.now(),
    )


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
