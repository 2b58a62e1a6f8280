"""Starting and retrying pushes. A second click, while running or after success, creates nothing."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.models import Push, StripeConnection
from mspercury import audit
from mspercury.texts import Text, plural


class PushRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def connected_push(workspace, quote) -> Push | None:
    """The quote's push to the workspace's connected Stripe account and mode, if any."""
    connection = StripeConnection.objects.for_workspace(workspace)
    if connection is None:
        return None
    return Push.objects.for_quote(quote, connection).first()


def _enqueue(push: Push) -> None:
    from integrations.tasks import run_push

    transaction.on_commit(lambda: run_push.delay(push.workspace_id, push.pk))


def do_start_push(request, quote, *, send_now: bool = False, actor=None) -> tuple[Push, bool]:
    """Create the push for this quote and connected account (or return the existing one).

    Returns (push, created). Only a new push, or a failed one being retried, is enqueued.
    """
    connection = StripeConnection.objects.for_workspace(quote.workspace)
    if connection is None:
        raise PushRefused(_("Connect Stripe first (Settings → Integrations)."))
    billed = quote.contracts.filter(status="active").first()
    if billed is not None:  # MSPercury bills it in the accounting tool: never twice
        raise PushRefused(
            _("MSPercury already bills this quote in %(provider)s.")
            % {"provider": billed.get_provider_display()}
        )
    actor = actor or (request.user if request is not None else None)
    with transaction.atomic():
        existing = Push.objects.select_for_update().for_quote(quote, connection).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                push = Push.objects.create(
                    workspace=quote.workspace,
                    quote=quote,
                    account_ref=connection.account_ref,
                    mode=connection.mode,
                    send_now=send_now,
                    quote_revision=quote.revision,
                    created_by=actor,
                )
        except IntegrityError:
            # A simultaneous click created it first.
            return Push.objects.for_quote(quote, connection).get(), False
        audit.record(
            request,
            quote.workspace,
            "stripe.push_started",
            Text(
                gettext_noop("Push of %(number)s to Stripe (%(mode)s) started"),
                number=quote.number,
                mode=connection.mode,
            ),
            actor=actor,
            push=str(push.public_id),
        )
        _enqueue(push)
    return push, True


def do_retry_push(request, push: Push) -> bool:
    """Resume a failed push from its failed step. Returns whether it was enqueued."""
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        if locked.status != Push.Status.FAILED:
            return False
        locked.status = Push.Status.QUEUED
        locked.save(update_fields=["status"])
        audit.record(
            request,
            push.workspace,
            "stripe.push_retried",
            Text(gettext_noop("Push of %(number)s retried"), number=push.quote.number),
        )
        _enqueue(locked)
    return True


# Steps whose object belongs to this push alone: once tried, it may exist in Stripe even
# without an answer, and only a retry of this push (which looks for it) can find it.
BILLING_STEPS = frozenset({"subscription", "invoice", "invoice_item", "finalize", "send"})


def do_discard_push(request, push: Push) -> None:
    """Discard a failed push that billed nothing yet, so the quote can be planned and pushed
    afresh. The customer, products and tax rates it created stay mapped and are reused by the
    next push, never created twice. Refused once a billing step was tried."""
    from integrations.models import PushStep

    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        if locked.status != Push.Status.FAILED:
            raise PushRefused(_("Only a failed push can be discarded."))
        tried = PushStep.objects.filter(push=locked, kind__in=BILLING_STEPS, attempts__gt=0)
        if tried.exists():
            raise PushRefused(
                _(
                    "This push already sent a subscription or invoice to Stripe: retry it, so "
                    "that nothing is billed twice."
                )
            )
        created = list(
            PushStep.objects.filter(push=locked, status=PushStep.Status.SUCCEEDED).values_list(
                "stripe_id", flat=True
            )
        )
        audit.record(
            request,
            push.workspace,
            "stripe.push_discarded",
            Text(
                gettext_noop("Failed push of %(number)s discarded; kept for reuse: %(kept)s")
                if created
                else gettext_noop("Failed push of %(number)s discarded; kept for reuse: nothing"),
                number=push.quote.number,
                kept=", ".join(created),
            ),
            previous_error=locked.error[:300],
        )
        locked.delete()


# -- amendments --------------------------------------------------------------------------------

PREVIEW_VALID_SECONDS = 3600  # a preview older than this is computed again before applying


def amendable_revision(push: Push) -> int | None:
    """The accepted revision an amendment would apply, if it is newer than what Stripe bills."""
    from quotes.sharing import latest_acceptance, needs_reacceptance

    quote = push.quote
    if push.status != Push.Status.SUCCEEDED or needs_reacceptance(quote):
        return None
    latest = latest_acceptance(quote)
    billed = push.billed_revision or push.quote_revision
    return latest.revision if latest and latest.revision > billed else None


def _enqueue_amendment(amendment) -> None:
    from integrations.tasks import run_amendment

    transaction.on_commit(lambda: run_amendment.delay(amendment.workspace_id, amendment.pk))


def do_start_amendment(request, push: Push, *, timing: str, proration_date: int, actor=None):
    """Queue the amendment of ``push`` to its newest accepted revision (once per revision:
    a second click, or a second worker, finds the same row). Returns (amendment, created)."""
    import time

    from integrations.models import Amendment

    revision = amendable_revision(push)
    if revision is None:
        raise PushRefused(_("Nothing to apply: Stripe already bills the accepted revision."))
    if timing not in Amendment.Timing.values:
        raise PushRefused(_("Choose when the change is billed."))
    if not 0 <= time.time() - proration_date <= PREVIEW_VALID_SECONDS:
        raise PushRefused(_("The preview is out of date: look at it again, then apply."))
    actor = actor or (request.user if request is not None else None)
    with transaction.atomic():
        Push.objects.select_for_update().get(pk=push.pk)
        amendment, created = Amendment.objects.get_or_create(
            push=push,
            revision=revision,
            defaults={
                "workspace": push.workspace,
                "from_revision": push.billed_revision or push.quote_revision,
                "timing": timing,
                "proration_date": proration_date,
                "created_by": actor,
            },
        )
        if not created and not amendment.can_replan:
            return amendment, False
        if created:
            Amendment.objects.filter(pk=amendment.pk).update(planned_at=timezone.now())
        else:
            _replan(amendment, timing, proration_date, actor)
        audit.record(
            request,
            push.workspace,
            "stripe.amend_started" if created else "stripe.amend_replanned",
            Text(
                gettext_noop("%(number)s revision %(revision)s sent to Stripe (%(timing)s)")
                if created
                else gettext_noop(
                    "%(number)s revision %(revision)s sent to Stripe (%(timing)s), plan %(plan)s"
                ),
                number=push.quote.number,
                revision=revision,
                timing=timing,
                plan=amendment.plan,
            ),
            actor=actor,
        )
        _enqueue_amendment(amendment)
    return amendment, True


def _replan(amendment, timing: str, proration_date: int, actor) -> None:
    """A failed, discarded or stale amendment starts over from the new preview: its timing,
    its proration moment, what Stripe holds when it runs. Done steps stay done."""
    from integrations.models import Amendment

    amendment.plan += 1
    amendment.timing, amendment.proration_date = timing, proration_date
    Amendment.objects.filter(pk=amendment.pk).update(
        status=Amendment.Status.QUEUED,
        timing=timing,
        proration_date=proration_date,
        plan=amendment.plan,
        planned_at=timezone.now(),
        error="",
        finished_at=None,
        created_by=actor or amendment.created_by,
    )


def do_discard_amendment(request, amendment) -> bool:
    """Give up a failed or stale amendment: Stripe keeps billing what it bills; the accepted
    revision can be planned again later. Returns whether it was discarded."""
    from integrations.models import Amendment

    with transaction.atomic():
        locked = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if locked.status != Amendment.Status.FAILED and not locked.is_stale:
            return False
        Amendment.objects.filter(pk=locked.pk).update(
            status=Amendment.Status.DISCARDED, finished_at=timezone.now()
        )
        audit.record(
            request,
            locked.workspace,
            "stripe.amend_discarded",
            plural(
                "Change of %(number)s to revision %(revision)s discarded "
                "(%(count)s Stripe write was done)",
                "Change of %(number)s to revision %(revision)s discarded "
                "(%(count)s Stripe writes were done)",
                len([s for s in locked.steps.all() if s.done]),
                number=locked.push.quote.number,
                revision=locked.revision,
            ),
            previous_error=locked.error[:300],
        )
    return True
