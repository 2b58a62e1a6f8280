"""Staff pages of the contracts MSPercury bills itself (Lexware Office, sevDesk): the list, one
contract with its lines, next period and issued invoices, and the month's billing run with its
progress, paused and resumed by admins."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.contracts import (
    access_contract,
    access_run,
    contracts_of,
    do_pause_run,
    do_resume_run,
    issued_rows,
    upcoming,
)
from billing.models import BillingRun, ContractLine
from mspercury.access import admin_required, workspace_required
from mspercury.localtime import today_in

RUNS_SHOWN = 6


@workspace_required
def contracts(request):
    today = today_in(request.workspace)
    rows = (
        contracts_of(request.workspace)
        .select_related("customer", "quote")
        .prefetch_related(Prefetch("lines", queryset=ContractLine.objects.order_by("position")))
    )
    listed = [(contract, upcoming(contract, today)) for contract in rows]
    runs = BillingRun.objects.filter(workspace=request.workspace)[:RUNS_SHOWN]
    return render(request, "billing/contracts.html", {"listed": listed, "runs": runs})


@workspace_required
def contract_detail(request, contract_id):
    contract = access_contract(request, contract_id)
    context = {
        "contract": contract,
        "lines": list(contract.lines.all()),
        "next": upcoming(contract, today_in(request.workspace)),
        "issued": list(issued_rows(contract)),
    }
    return render(request, "billing/contract_detail.html", context)


@workspace_required
def billing_run(request, run_id):
    run = access_run(request, run_id)
    template = "billing/_run_progress.html" if request.htmx else "billing/billing_run.html"
    return render(request, template, {"run": run})


@require_POST
@admin_required
def pause_run(request, run_id):
    run = access_run(request, run_id)
    if do_pause_run(run):
        messages.success(request, _("The billing run is paused: no invoice is issued."))
    else:
        messages.info(request, _("This billing run is not running."))
    return redirect("billing:billing_run", run_id=run.public_id)


@require_POST
@admin_required
def resume_run(request, run_id):
    run = access_run(request, run_id)
    if do_resume_run(run):
        messages.success(request, _("The billing run continues."))
    else:
        messages.info(request, _("This billing run is not paused."))
    return redirect("billing:billing_run", run_id=run.public_id)
