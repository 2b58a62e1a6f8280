"""The violet Stripe block: preview an accepted quote's push, start it, watch it, retry it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrations.accounting import views as accounting_views
from integrations.accounting.contracts import accounting_provider
from integrations.models import Push, PushSettings, StripeConnection
from integrations.push.actions import (
    PushRefused,
    connected_push,
    do_discard_push,
    do_retry_push,
    do_start_push,
)
from integrations.push.billed import billed_invoices
from integrations.push.executor import build_plan, permission_problems
from integrations.push.sales_tax import needs_sales_tax_warning
from mspercury.access import admin_required, workspace_required
from quotes.access import access_quote
from quotes.models import QuoteStatus
from quotes.sharing import latest_acceptance


def _context(request, quote, *, send_now=False):
    connection = StripeConnection.objects.for_workspace(request.workspace)
    push = None
    plan = None
    if connection is not None:
        push = Push.objects.for_quote(quote, connection).prefetch_related("steps").first()
        if push is None and quote.status == QuoteStatus.ACCEPTED:
            plan = build_plan(quote, connection, send_now=send_now)
            plan.problems.extend(permission_problems(connection, plan))
    counts = []
    if plan is not None:
        labels = {
            "customers": _("Customers"),
            "products": _("Products"),
            "prices": _("Prices"),
            "subscriptions": _("Subscriptions"),
            "invoices": _("Invoices"),
        }
        counts = [(labels[kind], count) for kind, count in plan.counts.items()]
    accepted = latest_acceptance(quote) if quote.status == QuoteStatus.ACCEPTED else None
    prefs = PushSettings.objects.for_workspace(request.workspace)
    one_time_only = (
        bool(plan) and not plan.of_kind("subscription") and bool(plan.of_kind("invoice"))
    )
    return {
        "quote": quote,
        "connection": connection,
        "push": push,
        "plan": plan,
        "counts": counts,
        "billed": billed_invoices(plan) if plan is not None else [],
        "one_time_only": one_time_only,
        "send_now": send_now,
        "can_push": request.membership.is_admin,
        "steps": list(push.steps.all()) if push else [],
        # The push bills the live quote; say so when it moved on since the customer accepted.
        "accepted_revision": accepted.revision if accepted else None,
        "sales_tax_warning": needs_sales_tax_warning(
            request.workspace, prefs, timezone.localdate()
        ),
    }


@workspace_required
def push_page(request, quote_id):
    quote = access_quote(request, quote_id)
    provider = accounting_provider(request.workspace)
    if provider is not None:
        return accounting_views.push_page(request, quote, provider)
    send_now = request.GET.get("send_now") == "1"
    return render(request, "integrations/push.html", _context(request, quote, send_now=send_now))


@workspace_required
def push_progress(request, quote_id):
    quote = access_quote(request, quote_id)
    return render(request, "integrations/_push_progress.html", _context(request, quote))


@require_POST
@admin_required
def push_start(request, quote_id):
    quote = access_quote(request, quote_id)
    if accounting_provider(request.workspace) is not None:
        return accounting_views.push_start(request, quote)
    if quote.status != QuoteStatus.ACCEPTED:
        messages.error(request, _("Only accepted quotes can be pushed to Stripe."))
        return redirect("integrations:push_page", quote_id=quote.public_id)
    connection = StripeConnection.objects.for_workspace(request.workspace)
    send_now = request.POST.get("send_now") == "1"
    if connection is not None:
        plan = build_plan(quote, connection, send_now=send_now)
        plan.problems.extend(permission_problems(connection, plan))
        if plan.blocked:
            messages.error(request, _("Fix the problems listed below first; nothing was sent."))
            return redirect("integrations:push_page", quote_id=quote.public_id)
    try:
        _push, created = do_start_push(request, quote, send_now=send_now)
    except PushRefused as exc:
        messages.error(request, exc.message)
    else:
        if not created:
            messages.info(request, _("This quote is already being pushed or was pushed."))
    return redirect("integrations:push_page", quote_id=quote.public_id)


@require_POST
@admin_required
def contract_revise(request, quote_id):
    """Lexware Office / sevDesk: bill the accepted revision from the next period or now."""
    quote = access_quote(request, quote_id)
    provider = accounting_provider(request.workspace)
    if provider is None:
        messages.info(request, _("This workspace bills with Stripe."))
        return redirect("integrations:push_page", quote_id=quote.public_id)
    return accounting_views.revise_contract(request, quote, provider)


@require_POST
@admin_required
def push_retry(request, quote_id):
    quote = access_quote(request, quote_id)
    push = connected_push(request.workspace, quote)
    if push is None or not do_retry_push(request, push):
        messages.info(request, _("There is no failed push to retry."))
    return redirect("integrations:push_page", quote_id=quote.public_id)


@require_POST
@admin_required
def push_discard(request, quote_id):
    quote = access_quote(request, quote_id)
    push = connected_push(request.workspace, quote)
    if push is None:
        messages.info(request, _("There is no failed push to discard."))
        return redirect("integrations:push_page", quote_id=quote.public_id)
    try:
        do_discard_push(request, push)
    except PushRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The failed push was discarded; the preview shows a fresh plan.")
        )
    return redirect("integrations:push_page", quote_id=quote.public_id)
