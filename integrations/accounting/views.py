"""The quote's push block when the workspace bills from Lexware Office or sevDesk: the same
"push" button as for Stripe, which makes the contact and the contract; the billing run then
issues the first invoice (integrations.tasks.run_billing)."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing.models import Contract
from integrations.accounting.contracts import ContractRefused, check_contract, do_push_contract
from integrations.accounting.http import ProviderError
from integrations.accounting.revisions import do_revise_contract, preview
from integrations.models import BillingProvider
from integrations.push.inputs import push_snapshot
from mspercury.localtime import today_in


def _refusal(quote, provider: str) -> str:
    snapshot = push_snapshot(quote)
    if snapshot is None:
        return _("Only accepted quotes can be billed.")
    try:
        check_contract(quote, snapshot, provider)
    except ContractRefused as refused:
        return refused.message
    return ""


def push_page(request, quote, provider: str):
    contract = Contract.objects.filter(
        workspace=request.workspace, quote=quote, provider=provider
    ).first()
    context = {
        "quote": quote,
        "provider_name": BillingProvider(provider).label,
        "contract": contract,
        "refusal": "" if contract else _refusal(quote, provider),
        "can_push": request.membership.is_admin,
        "change": _change(contract, request.workspace),
    }
    return render(request, "integrations/accounting_push.html", context)


def _change(contract, workspace):
    """The preview of an accepted revision the contract does not bill yet, or None."""
    if contract is None or contract.quote_revision == contract.quote.revision:
        return None
    try:
        change, _lines = preview(contract, today_in(workspace))
    except ContractRefused as refused:
        return {"refusal": refused.message}
    return {"revision": change}


def revise_contract(request, quote, provider: str):
    contract = Contract.objects.filter(
        workspace=request.workspace, quote=quote, provider=provider
    ).first()
    if contract is None:
        messages.info(request, _("This quote has no contract yet."))
        return redirect("integrations:push_page", quote_id=quote.public_id)
    prorate = request.POST.get("timing") == "now"
    try:
        applied = do_revise_contract(contract, today_in(request.workspace), prorate=prorate)
    except ContractRefused as refused:
        messages.error(request, refused.message)
    else:
        if applied is None:
            messages.info(request, _("The contract already bills this revision."))
        else:
            messages.success(request, _("The contract bills the accepted revision."))
            transaction.on_commit(lambda: _start_run(contract.workspace_id))
    return redirect("integrations:push_page", quote_id=quote.public_id)


def push_start(request, quote):
    try:
        contract, created = do_push_contract(quote)
    except ContractRefused as refused:
        messages.error(request, refused.message)
    except ProviderError as failure:  # the provider's own words
        messages.error(
            request,
            _("%(provider)s answered: %(message)s")
            % {
                "provider": failure.provider,
                "message": str(failure),
            },
        )
    else:
        if created:
            messages.success(request, _("Contract created; the first invoice is being issued."))
            transaction.on_commit(lambda: _start_run(contract.workspace_id))
        else:
            messages.info(request, _("This quote already has its contract."))
    return redirect("integrations:push_page", quote_id=quote.public_id)


def _start_run(workspace_pk: int) -> None:
    from integrations.tasks import run_billing

    run_billing.delay(workspace_pk)
