"""Settings → DATEV and the export page (preview, download). Owners and admins only."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from billing.datev import bookings, export
from billing.datev.actions import DebtorRangeFull, do_export, do_save_settings
from billing.datev.extf import UnencodableText
from billing.datev.forms import DatevSettingsForm, ExportForm, last_month
from billing.datev.models import DatevSettings
from mspercury import audit
from mspercury.access import admin_required
from mspercury.localtime import local_date
from mspercury.texts import Text, plural

PROBLEMS = {
    bookings.NO_VAT_ON_TAXED: gettext_lazy(
        "Taxed as domestic, but the invoice has no VAT: booked on the domestic revenue account; "
        "check it with your tax advisor."
    ),
    bookings.VAT_ON_UNTAXED: gettext_lazy(
        "The invoice carries VAT although its treatment has none: check it with your tax advisor."
    ),
    bookings.UNMAPPED_TREATMENT: gettext_lazy(
        "VAT was not calculated for this invoice: it has no revenue account and is left out."
    ),
    export.OTHER_CURRENCY: gettext_lazy(
        "Not in EUR: left out; book it with the day's exchange rate."
    ),
    export.NO_CUSTOMER: gettext_lazy("Not linked to a customer: left out."),
}


@admin_required
@require_http_methods(["GET", "POST"])
def datev_settings(request):
    prefs = DatevSettings.for_workspace(request.workspace)
    form = DatevSettingsForm.for_settings(prefs, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_save_settings(request, request.workspace, form.values())
        messages.success(request, _("DATEV settings saved."))
        return redirect("datev:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "datev/settings.html", {"form": form}, status=status)


def _encoding_error(exc: UnencodableText) -> str:
    return _(
        "%(party)s: “%(value)s” has characters Windows-1252 cannot hold. Correct the name, or "
        "choose to replace such characters or UTF-8 in the DATEV settings."
    ) % {"party": exc.party, "value": exc.value}


@admin_required
@require_http_methods(["GET", "POST"])
def datev_export(request):
    prefs = DatevSettings.for_workspace(request.workspace)
    if request.method == "POST":
        return _download(request, prefs)
    # The page opens on last month's preview (the usual monthly batch), never on an empty form.
    start, end = last_month(local_date(request.workspace, timezone.now()))
    data = request.GET or {"date_from": start.isoformat(), "date_to": end.isoformat()}
    form = ExportForm(data)
    context = {"form": form, "prefs": prefs}
    if form.is_valid():
        context |= _preview(request.workspace, prefs, form)
    return render(request, "datev/export.html", context)


def _preview(workspace, prefs, form) -> dict:
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    gathered = export.gather(workspace, start, end)
    customers = gathered.customers
    debtors = export.existing_debtors(customers)
    try:
        result = export.preview(workspace, prefs, start, end, gathered=gathered, debtors=debtors)
    except UnencodableText as exc:
        return {"encoding_error": _encoding_error(exc)}
    return {
        "result": result,
        "counts": result.counts(),
        "problems": [(p.stripe_id, PROBLEMS.get(p.code, p.code)) for p in result.problems],
        "new_debtors": len([c for c in customers if c.pk not in debtors]),
    }


def _download(request, prefs: DatevSettings):
    form = ExportForm(request.POST)
    if not form.is_valid():
        return render(request, "datev/export.html", {"form": form, "prefs": prefs}, status=400)
    if not prefs.complete:
        messages.error(request, _("Enter your consultant and client numbers first."))
        return redirect("datev:settings")
    workspace = request.workspace
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    try:
        result = do_export(
            workspace, prefs, start, end, exported_by=request.user.full_name or request.user.email
        )
    except (UnencodableText, DebtorRangeFull) as exc:
        text = _encoding_error(exc) if isinstance(exc, UnencodableText) else str(exc)
        messages.error(request, text)
        return redirect(f"{request.path}?date_from={start}&date_to={end}")
    if not result.files:
        messages.info(request, _("Nothing to export in this period."))
        return redirect(f"{request.path}?date_from={start}&date_to={end}")
    name, content, media_type = export.bundle(result.files)
    audit.record(
        request,
        workspace,
        "datev.exported",
        _export_summary(start, end, len(result.bookings), len(result.files)),
        date_from=str(start),
        date_to=str(end),
    )
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin_required
@require_POST
def datev_debtors(request):
    """The debtor master data (names, addresses, VAT IDs of the numbers handed out so far)."""
    prefs = DatevSettings.for_workspace(request.workspace)
    if not prefs.complete:
        messages.error(request, _("Enter your consultant and client numbers first."))
        return redirect("datev:settings")
    try:
        item = export.debtor_file(
            request.workspace, prefs, exported_by=request.user.full_name or request.user.email
        )
    except UnencodableText as exc:
        messages.error(request, _encoding_error(exc))
        return redirect("datev:export")
    response = HttpResponse(item.content, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{item.name}"'
    return response


def _export_summary(start, end, bookings: int, files: int) -> Text:
    """The audit log's line, in its reader's language with the right plurals."""
    return plural(
        "DATEV export %(start)s–%(end)s: %(count)s booking %(files)s",
        "DATEV export %(start)s–%(end)s: %(count)s bookings %(files)s",
        bookings,
        start=str(start),
        end=str(end),
        files=plural("in %(count)s file", "in %(count)s files", files),
    )
