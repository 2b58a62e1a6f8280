"""Staff pages of the contracts MSPercury bills itself (Lexware Office, sevDesk): the list, one
contract with its lines, next period and issued invoices, and the month's billing run with its
progress, paused and resumed by admins."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.contracts import (
    ContractEndRefused,
    access_contract,
    access_run,
    contracts_of,
    do_end_contract,
    do_issue_now,
    do_pause_run,
    do_resume_run,
    issued_rows,
    period_end,
    upcoming,
)
from billing.forms import EndContractForm
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


@require_POST
@admin_required
def issue_now(request):
    """ "Issue due invoices now": the month's run starts at once; its progress page follows."""
    run = do_issue_now(request.workspace, today_in(request.workspace))
    if run.status == BillingRun.Status.PAUSED:
        messages.info(request, _("This billing run is paused: resume it to issue invoices."))
    else:
        messages.success(request, _("The billing run issues the due invoices now."))
    return redirect("billing:billing_run", run_id=run.public_id)


@workspace_required
def contract_detail(request, contract_id):
    contract = access_contract(request, contract_id)
    context = {
        "contract": contract,
        "lines": list(contract.lines.all()),
        "next": upcoming(contract, today_in(request.workspace)),
        "issued": list(issued_rows(contract)),
        "form": EndContractForm(),
        "period_end": period_end(contract, today_in(request.workspace)),
    }
    return render(request, "billing/contract_detail.html", context)


@require_POST
@admin_required
def end_contract(request, contract_id):
    contract = access_contract(request, contract_id)
    today = today_in(request.workspace)
    form = EndContractForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the day the contract ends."))
        return redirect("billing:contract_detail", contract_id=contract.public_id)
    ends_on = form.cleaned_data["ends_on"] or period_end(contract, today)
    try:
        do_end_contract(contract, ends_on, today)
    except ContractEndRefused as refused:
        messages.error(request, refused.message)
    else:
        day = date_format(ends_on, "SHORT_DATE_FORMAT")
        messages.success(request, _("The contract ends on %(day)s.") % {"day": day})
    return redirect("billing:contract_detail", contract_id=contract.public_id)


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
