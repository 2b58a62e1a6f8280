"""Amendments of pushed quotes: the preview of what changes in Stripe, the apply, the end of a
contract. Thin: the plan is ``integrations.push.amend_planner``, the writes ``amend_executor``."""

import time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.models import StripeSubscription
from integrations.access import access_push
from integrations.models import Amendment, Push
from integrations.push.actions import (
    PushRefused,
    amendable_revision,
    do_discard_amendment,
    do_start_amendment,
)
from integrations.push.amend_executor import amendment_plan
from integrations.push.contract_end import (
    KEEP,
    ContractEndRefused,
    do_end_subscription,
    ending_summary,
)
from integrations.stripe.errors import StripeFailure
from mspercury.access import admin_required, workspace_required
from quotes.access import access_quote


def _timing(value: str) -> str:
    return value if value in Amendment.Timing.values else Amendment.Timing.NOW


def _history(push: Push) -> list[Amendment]:
    """Applied and attempted amendments, each with who accepted its revision."""
    from quotes.models import RevisionAcceptance

    accepted = dict(
        RevisionAcceptance.objects.filter(quote=push.quote).values_list("revision", "name")
    )
    amendments = list(push.amendments.select_related("created_by"))
    for amendment in amendments:
        amendment.accepted_by = accepted.get(amendment.revision, "")
    return amendments


@workspace_required
def amend_page(request, quote_id):
    quote = access_quote(request, quote_id)
    push = access_push(request, quote)
    timing = _timing(request.GET.get("timing", ""))
    revision = amendable_revision(push)
    context = {
        "quote": quote,
        "push": push,
        "revision": revision,
        "timing": timing,
        "timings": Amendment.Timing.choices,
        "can_apply": request.membership.is_admin,
        "amendments": _history(push),
        "current": push.amendments.filter(revision=revision).first() if revision else None,
        "subscriptions": StripeSubscription.objects.filter(
            workspace=request.workspace, quote=quote, account_ref=push.account_ref
        ).order_by("interval", "stripe_id"),
    }
    if revision is not None:
        at = int(time.time())
        try:
            context["plan"] = amendment_plan(push, timing, at)
        except StripeFailure as failure:
            context["stripe_error"] = failure.message
        context["proration_date"] = at
    return render(request, "integrations/amend.html", context)


@require_POST
@admin_required
def amend_apply(request, quote_id):
    quote = access_quote(request, quote_id)
    push = access_push(request, quote)
    try:
        at = int(request.POST.get("proration_date", ""))
        timing = request.POST.get("timing", "")
        plan = amendment_plan(push, timing, at)
        if plan.blocked:
            raise PushRefused(_("Fix the problems listed below first; nothing was sent."))
        _amendment, created = do_start_amendment(request, push, timing=timing, proration_date=at)
    except ValueError:
        messages.error(request, _("The preview is out of date: look at it again, then apply."))
    except (PushRefused, StripeFailure) as exc:
        messages.error(request, exc.message)
    else:
        _say_outcome(request, _amendment, created)
    return redirect("integrations:amend_page", quote_id=quote.public_id)


def _say_outcome(request, amendment: Amendment, created: bool) -> None:
    """One message, the amendment's state as it is now (the page shows a failure itself)."""
    amendment.refresh_from_db()
    if not created:
        messages.info(request, _("This revision is already being applied or was applied."))
    elif amendment.status == Amendment.Status.SUCCEEDED:
        messages.success(request, _("The change was applied in Stripe."))
    elif amendment.is_active:
        messages.success(request, _("The change is being applied in Stripe."))


@require_POST
@admin_required
def amend_discard(request, quote_id, amendment_id):
    quote = access_quote(request, quote_id)
    push = access_push(request, quote)
    amendment = push.amendments.filter(public_id=amendment_id).first()
    if amendment is None:
        raise Http404
    if do_discard_amendment(request, amendment):
        messages.success(request, _("The change was discarded; Stripe goes on billing as before."))
    else:
        messages.info(request, _("Only a failed or stalled change can be discarded."))
    return redirect("integrations:amend_page", quote_id=quote.public_id)


@require_POST
@admin_required
def end_subscription(request, quote_id, subscription_id):
    quote = access_quote(request, quote_id)
    push = access_push(request, quote)
    when, on = request.POST.get("when", ""), request.POST.get("date", "")
    try:
        if when != KEEP and request.POST.get("confirm") != "yes":
            return render(
                request,
                "integrations/contract_end_confirm.html",
                {"quote": quote, **ending_summary(push, subscription_id, when, on)},
            )
        do_end_subscription(request, push, subscription_id, when, on)
    except (ContractEndRefused, StripeFailure) as exc:
        messages.error(request, exc.message)
    else:
        if when == KEEP:
            messages.success(request, _("The subscription keeps running."))
        else:
            messages.success(request, _("Stripe ends the subscription as confirmed."))
    return redirect("integrations:amend_page", quote_id=quote.public_id)
