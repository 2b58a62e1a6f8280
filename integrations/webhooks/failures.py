"""Stored Stripe events whose processing fails in a way retrying cannot cure.

An outage passes by itself and is retried with backoff (events.py). Anything else (an error in
our code, a request Stripe refuses) tells owners and admins once per Stripe object, with the
reason in words and a link to the event, and waits for a replay; when a replay has processed
every such event of the object, the notification says so and is marked read.
"""

import traceback

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.models import StripeEvent
from mspercury.localtime import workspace_stamp
from mspercury.models import Membership, Notification, Role
from mspercury.notify import notify
from mspercury.texts import Text

# What passes by itself: the database locked, timed out, deadlocked or briefly unreachable, and
# the network. Stripe's own outages (5xx, 409, rate limits, lock timeouts) arrive from the seam
# as retryable StripeFailure (integrations/stripe/errors.py).
OUTAGES = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

# Failed and not scheduled again: waits for a replay.
WAITING = Q(status=StripeEvent.Status.FAILED, next_attempt_at__isnull=True)

PREFIX = "event_failed:"


def is_outage(exc: Exception) -> bool:
    """Whether retrying may cure this failure; anything else is a fault in our code."""
    return isinstance(exc, OUTAGES)


def where(exc: BaseException) -> str:
    """The innermost place in our own code the exception passed: `integrations/mirror/sync.py:180
    (apply_invoice)`, or "" (the SDK's and the standard library's frames are skipped)."""
    root = str(settings.BASE_DIR)
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith(root) and "site-packages" not in name and "/tests/" not in name:
            found = f"{name[len(root) + 1 :]}:{frame.lineno} ({frame.name})"
    return found


def _object_id(event: StripeEvent) -> str:
    obj = (event.payload.get("data") or {}).get("object") or {}
    return str(obj.get("id") or event.event_id)


def _key(event: StripeEvent) -> str:
    return f"{PREFIX}{event.stripe_account}:{_object_id(event)}"


def notify_failure(event: StripeEvent, reason: str, *, ours: bool):
    """Tell owners and admins once per Stripe object that an event about it failed and is not
    retried: what failed, why (``reason``, already free of secrets) and where to replay it."""
    if ours:
        cause = gettext_noop(
            "This is an error in MSPercury, not in Stripe: it is not retried automatically."
        )
    else:
        cause = gettext_noop(
            "Stripe refused a request while processing it: it is not retried automatically."
        )
    return notify(
        event.workspace,
        Notification.Kind.EVENTS_STUCK,
        _key(event),
        Text(gettext_noop("Stripe event %(type)s could not be processed"), type=event.event_type),
        Text(
            gettext_noop(
                "MSPercury could not process the Stripe event %(event)s (%(type)s): %(reason)s. "
                "%(cause)s Invoices, subscriptions and MRR it concerns may be out of date. Once "
                "the cause is fixed, replay the event on the Stripe events page."
            ),
            event=event.event_id,
            type=event.event_type,
            reason=reason,
            cause=Text(cause),
        ),
        f"{reverse('integrations:stripe_events')}?event={event.public_id}",
    )


def resolve_failure(event: StripeEvent) -> None:
    """After ``event`` was processed: when no event about its object still waits for a replay,
    the object's failure notification says it is resolved, is read for owners and admins, and
    frees its key (a new fault about the object notifies again)."""
    notice = Notification.objects.filter(workspace=event.workspace, dedupe_key=_key(event)).first()
    if notice is None:
        return
    waiting = StripeEvent.objects.filter(
        WAITING,
        workspace=event.workspace,
        stripe_account=event.stripe_account,
        payload__data__object__id=_object_id(event),
    )
    if waiting.exists():
        return
    with translation.override(settings.LANGUAGE_CODE):
        resolved = _("Resolved: the event was processed on %(when)s.") % {
            "when": workspace_stamp(event.workspace, timezone.now(), "Y-m-d H:i")
        }
    Notification.objects.filter(pk=notice.pk).update(
        body=f"{notice.body}\n\n{resolved}", dedupe_key=f"{notice.dedupe_key}:resolved:{notice.pk}"
    )
    users = Membership.objects.filter(
        workspace=event.workspace, role__in=[Role.OWNER, Role.ADMIN]
    ).values_list("user_id", flat=True)
    notice.read_by.add(*users)
