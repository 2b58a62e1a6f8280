"""Quote list, creation and the editor. Line changes answer htmx requests with fragments (the
lines table plus the totals panel out of band) and plain POSTs with a redirect."""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, reswap, retarget

from customers.models import Customer
from mspercury.access import workspace_required
from mspercury.keyset import Keyset
from mspercury.languages import document_language
from quotes import actions
from quotes.access import access_line, access_quote
from quotes.forms import (
    ApplyPackageForm,
    LineForm,
    QuoteCreateForm,
    QuoteFilterForm,
    QuoteHeaderForm,
    StatusForm,
    project_choices,
)
from quotes.models import PackageTemplate, Quote, QuoteLine, QuoteStatus, Service, ShareLink
from quotes.summary import summarize

PAGE_SIZE = 25
# Newest first, through the quote_list index; no COUNT, no OFFSET.
QUOTE_PAGES = Keyset("-created_at", "-id", size=PAGE_SIZE)
ADD_PREFIX = "add"
PACKAGE_PREFIX = "pkg"
STATUS_ACTIONS = {
    QuoteStatus.SENT: gettext_lazy("Mark as sent"),
    QuoteStatus.DECLINED: gettext_lazy("Mark as declined"),
    QuoteStatus.EXPIRED: gettext_lazy("Mark as expired"),
    QuoteStatus.DRAFT: gettext_lazy("Back to draft"),
}


def _detail_url(quote: Quote, anchor: str = "") -> str:
    url = reverse("quotes:quote_detail", kwargs={"quote_id": quote.public_id})
    return f"{url}#{anchor}" if anchor else url


@workspace_required
@require_GET
def quote_list(request):
    form = QuoteFilterForm(request.GET)
    quotes = Quote.objects.filter(workspace=request.workspace).select_related("customer", "project")
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            quotes = quotes.filter(
                Q(number__icontains=query)
                | Q(customer__company_name__icontains=query)
                | Q(title__icontains=query)
            )
        if form.cleaned_data["status"]:
            quotes = quotes.filter(status=form.cleaned_data["status"])
    page = QUOTE_PAGES.page(
        quotes, request.GET.get("cursor"), scope=f"quotes:{request.workspace.pk}"
    )
    return render(
        request,
        "quotes/quote_list.html",
        {"page": page, "form": form, "today": timezone.localdate()},
    )


def _chosen_customer(workspace, public_id):
    try:
        return Customer.objects.filter(workspace=workspace, public_id=uuid.UUID(public_id)).first()
    except (TypeError, ValueError):
        return None


@workspace_required
def quote_create(request):
    workspace = request.workspace
    today = timezone.localdate()
    default_package = PackageTemplate.objects.filter(workspace=workspace, is_default=True).first()
    chosen = _chosen_customer(workspace, request.GET.get("customer"))
    # The standard texts as the chosen customer will read them.
    language = document_language(chosen.language) if chosen else translation.get_language()
    with translation.override(language):
        texts = {"intro": actions.default_intro(), "closing": actions.default_closing()}
    initial = {
        "currency": workspace.default_currency,
        "valid_until": today + timedelta(days=actions.VALIDITY_DAYS),
        **texts,
        "package": default_package.public_id if default_package else None,
        "customer": request.GET.get("customer"),
    }
    form = QuoteCreateForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quote = actions.do_create_quote(
                workspace,
                data["customer"],
                user=request.user,
                project=data["project"],
                title=data["title"],
                currency=data["currency"],
                valid_until=data["valid_until"],
                intro=data["intro"],
                closing=data["closing"],
                package=data["package"],
                today=today,
                request=request,
            )
        except actions.QuoteError as exc:
            form.add_error("package", str(exc))
        else:
            messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
            return redirect(_detail_url(quote))
    has_customers = Customer.objects.filter(workspace=workspace).exists()
    return render(
        request, "quotes/quote_create.html", {"form": form, "has_customers": has_customers}
    )


@workspace_required
@require_GET
def project_options(request):
    """htmx: the project select's options for the chosen customer (of this workspace only)."""
    choices = project_choices(request.workspace, request.GET.get("customer"))
    return render(request, "quotes/_project_options.html", {"choices": choices})


# The editor page and its fragments


def customer_texts(quote) -> dict[str, str]:
    """The intro and closing as the customer reads them on the share page and PDF: a standard
    text the MSP left untouched is in the customer's document language."""
    language = document_language(quote.customer.language)
    return {
        "intro": actions.standard_text_in(quote.intro, language),
        "closing": actions.standard_text_in(quote.closing, language),
    }


def _header_form(request, quote, data=None):
    initial = {
        "customer": quote.customer.public_id,
        "project": quote.project.public_id if quote.project else None,
        "title": quote.title,
        "currency": quote.currency,
        "valid_until": quote.valid_until,
        **customer_texts(quote),
    }
    form = QuoteHeaderForm(data, workspace=request.workspace, initial=initial)
    language = document_language(quote.customer.language)
    note = _("As %(customer)s reads it (%(language)s).") % {
        "customer": quote.customer.company_name,
        "language": translation.get_language_info(language)["name_local"],
    }
    form.fields["intro"].help_text = form.fields["closing"].help_text = note
    return form


def _unchanged_texts(quote, data: dict) -> dict:
    """A standard text shown in the customer's language and saved untouched stays as stored
    (it is not an edit, so the quote keeps its revision)."""
    shown = customer_texts(quote)
    for name in ("intro", "closing"):
        if data.get(name, "").strip() == shown[name].strip():
            data[name] = getattr(quote, name)
    return data


def _add_form(request, data=None, initial=None):
    return LineForm(data, workspace=request.workspace, prefix=ADD_PREFIX, initial=initial)


def _package_form(request, quote, data=None):
    packages = list(PackageTemplate.objects.filter(workspace=request.workspace))
    default = next((p for p in packages if p.is_default), None)
    initial = {
        "package": default.public_id if default else None,
        "project": quote.project.public_id if quote.project else None,
    }
    form = ApplyPackageForm(data, quote=quote, prefix=PACKAGE_PREFIX, initial=initial)
    form.has_packages = bool(packages)
    return form


def _edit_form(line: QuoteLine, data=None):
    initial = {name: getattr(line, name) for name in LineForm.REQUIRED}
    initial["discount_percent"] = line.discount_percent
    initial["cost_price"] = line.cost_price
    form = LineForm(data, with_service=False, prefix=f"line-{line.public_id}", initial=initial)
    form.fields["description"].widget.attrs["autofocus"] = True
    return form


def _lines_context(request, quote, *, edit_line=None, edit_form=None, focus=""):
    lines = list(QuoteLine.objects.filter(quote=quote))
    today = timezone.localdate()
    summary = summarize(quote, lines, request.workspace, today)
    return {
        "quote": quote,
        "summary": summary,
        "editable": actions.is_editable(quote),
        "edit_line_id": edit_line.pk if edit_line else None,
        "edit_form": edit_form,
        "colspan": 10 if summary.totals.has_cost else 8,
        "focus": focus,
        # Stripe's limits and sales-tax warning come from integrations' {% stripe_checks %}.
        "lines": lines,
    }


def _page(request, quote, **forms):
    context = _lines_context(
        request, quote, edit_line=forms.get("edit_line"), edit_form=forms.get("edit_form")
    )
    editable = context["editable"]
    context.update(
        {
            "header_form": forms.get("header_form") or _header_form(request, quote),
            "customer_texts": customer_texts(quote),
            "add_form": (forms.get("add_form") or _add_form(request)) if editable else None,
            "package_form": (forms.get("package_form") or _package_form(request, quote))
            if editable
            else None,
            "status_actions": [
                (s, STATUS_ACTIONS[s])
                for s in actions.allowed_transitions(quote)
                if s in STATUS_ACTIONS
            ],
            "past_validity": quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT)
            and quote.valid_until is not None
            and quote.valid_until < timezone.localdate(),
        }
    )
    return render(request, "quotes/quote_detail.html", context)


def _lines_response(request, quote, *, focus="", add_form=None, package_form=None, notice=""):
    """The lines table, with the totals (and any given form) swapped out of band."""
    context = _lines_context(request, quote, focus=focus)
    context.update({"oob_add_form": add_form, "oob_package_form": package_form, "notice": notice})
    return render(request, "quotes/_lines_update.html", context)


def _refuse(request, quote, message):
    messages.error(request, message)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(_detail_url(quote))


def _fragment(request, template, context, target):
    response = render(request, template, context)
    return reswap(retarget(response, target), "outerHTML")


@workspace_required
@require_GET
def quote_detail(request, quote_id):
    quote = access_quote(request, quote_id)
    return _page(request, quote)


@workspace_required
@require_POST
def quote_update(request, quote_id):
    quote = access_quote(request, quote_id)
    if not actions.is_editable(quote):
        return _refuse(request, quote, _("This quote can no longer be changed."))
    form = _header_form(request, quote, request.POST)
    if not form.is_valid():
        return _page(request, quote, header_form=form)
    links_before = _open_link_count(quote)
    try:
        changed = actions.do_update_quote(
            quote, request=request, **_unchanged_texts(quote, dict(form.cleaned_data))
        )
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    if changed:
        messages.success(request, _("Quote details saved."))
    if links_before and not _open_link_count(quote):
        messages.warning(
            request,
            _(
                "The customer changed, so the quote's share links were revoked: they went to "
                "the previous customer. Share the quote again with the new one."
            ),
        )
    return redirect(_detail_url(quote))


def _open_link_count(quote: Quote) -> int:
    return ShareLink.objects.filter(quote=quote, revoked_at=None).count()


@workspace_required
@require_POST
def quote_status(request, quote_id):
    quote = access_quote(request, quote_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refuse(request, quote, _("Choose a valid status."))
    try:
        actions.do_set_status(
            quote,
            form.cleaned_data["status"],
            user=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    messages.success(
        request,
        _("Quote %(number)s is now %(status)s.")
        % {"number": quote.number, "status": quote.get_status_display().lower()},
    )
    return redirect(_detail_url(quote))


@workspace_required
@require_POST
def line_add(request, quote_id):
    quote = access_quote(request, quote_id)
    if not actions.is_editable(quote):
        return _refuse(request, quote, _("This quote can no longer be changed."))
    form = _add_form(request, request.POST)
    if not form.is_valid():
        if request.htmx:
            return _fragment(
                request,
                "quotes/_add_line_form.html",
                {"quote": quote, "add_form": form},
                "#add-line",
            )
        return _page(request, quote, add_form=form)
    try:
        line = actions.do_add_line(quote, **form.line_fields())
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    if request.htmx:
        return _lines_response(
            request,
            quote,
            focus=f"id_{ADD_PREFIX}-service",
            add_form=_add_form(request),
            notice=_("Line “%(line)s” added.") % {"line": line.description},
        )
    messages.success(request, _("Line “%(line)s” added.") % {"line": line.description})
    return redirect(_detail_url(quote, "add-line"))


@workspace_required
@require_GET
def line_add_form(request, quote_id):
    """The add-line form filled from the chosen catalog service (the picker's htmx request).

    Quantity and discount typed before picking are kept; choosing "ad-hoc" keeps everything.
    """
    quote = access_quote(request, quote_id)
    if not request.htmx:
        return redirect(_detail_url(quote, "add-line"))
    typed = {
        name: request.GET.get(f"{ADD_PREFIX}-{name}", "")
        for name in LineForm.base_fields
        if name != "service"
    }
    service_id = request.GET.get(f"{ADD_PREFIX}-service")
    service = None
    if service_id:
        service = Service.objects.filter(
            workspace=request.workspace, active=True, public_id=_uuid_or_none(service_id)
        ).first()
    if service:
        initial = LineForm.initial_from_service(service)
        initial.update({k: typed[k] for k in ("quantity", "discount_percent") if typed[k]})
    else:
        initial = typed
    context = {"quote": quote, "add_form": _add_form(request, initial=initial)}
    return render(request, "quotes/_add_line_form.html", context)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@workspace_required
@require_GET
def line_row(request, quote_id, line_id):
    """One line as a table row: what "Cancel" (or Escape) puts back in place of the edit row."""
    quote = access_quote(request, quote_id)
    line = access_line(request, quote, line_id)
    if not request.htmx:
        return redirect(_detail_url(quote, f"line-{line.public_id}"))
    context = _lines_context(request, quote)
    row = next(r for r in context["summary"].rows if r.line.pk == line.pk)
    context.update({"row": row, "row_focus": f"edit-{line.public_id}"})
    return render(request, "quotes/_line_row.html", context)


@workspace_required
def line_edit(request, quote_id, line_id):
    quote = access_quote(request, quote_id)
    line = access_line(request, quote, line_id)
    if not actions.is_editable(quote):
        return _refuse(request, quote, _("This quote can no longer be changed."))
    if request.method != "POST":
        form = _edit_form(line)
        if request.htmx:
            return _edit_row(request, quote, line, form, retarget_row=False)
        return _page(request, quote, edit_line=line, edit_form=form)
    form = _edit_form(line, request.POST)
    if not form.is_valid():
        if request.htmx:
            return _edit_row(request, quote, line, form, retarget_row=True)
        return _page(request, quote, edit_line=line, edit_form=form)
    try:
        actions.do_update_line(line, **form.line_fields())
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    if request.htmx:
        return _lines_response(request, quote, focus=f"edit-{line.public_id}")
    messages.success(request, _("Line saved."))
    return redirect(_detail_url(quote, f"line-{line.public_id}"))


def _edit_row(request, quote, line, form, *, retarget_row):
    context = _lines_context(request, quote, edit_line=line, edit_form=form)
    context["line"] = line
    if retarget_row:
        return _fragment(request, "quotes/_line_edit_row.html", context, f"#line-{line.public_id}")
    return render(request, "quotes/_line_edit_row.html", context)


@workspace_required
@require_POST
def line_delete(request, quote_id, line_id):
    quote = access_quote(request, quote_id)
    line = access_line(request, quote, line_id)
    try:
        actions.do_delete_line(line)
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    notice = _("Line “%(line)s” removed.") % {"line": line.description}
    if request.htmx:
        return _lines_response(request, quote, focus=f"id_{ADD_PREFIX}-service", notice=notice)
    messages.success(request, notice)
    return redirect(_detail_url(quote, "lines"))


@workspace_required
@require_POST
def line_move(request, quote_id, line_id):
    quote = access_quote(request, quote_id)
    line = access_line(request, quote, line_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return _refuse(request, quote, _("Choose up or down."))
    try:
        actions.do_move_line(line, direction)
    except actions.QuoteError as exc:
        return _refuse(request, quote, str(exc))
    if request.htmx:
        return _lines_response(request, quote, focus=f"{direction}-{line.public_id}")
    return redirect(_detail_url(quote, f"line-{line.public_id}"))


@workspace_required
@require_POST
def package_apply(request, quote_id):
    quote = access_quote(request, quote_id)
    if not actions.is_editable(quote):
        return _refuse(request, quote, _("This quote can no longer be changed."))
    form = _package_form(request, quote, request.POST)
    if form.is_valid():
        package = form.cleaned_data["package"]
        try:
            lines, left_out = actions.do_apply_package(quote, package, form.cleaned_data["project"])
        except actions.QuoteError as exc:
            form.add_error(None, str(exc))
        else:
            notice = _package_notice(package, lines, left_out)
            if request.htmx:
                quote.refresh_from_db(fields=["project"])
                return _lines_response(
                    request,
                    quote,
                    focus=f"id_{PACKAGE_PREFIX}-package",
                    package_form=_package_form(request, quote),
                    notice=notice,
                )
            messages.success(request, notice)
            return redirect(_detail_url(quote, "lines"))
    if request.htmx:
        context = {"quote": quote, "package_form": form}
        return _fragment(request, "quotes/_apply_package_form.html", context, "#apply-package")
    return _page(request, quote, package_form=form)


def _package_notice(package, lines, left_out) -> str:
    notice = _("Package “%(package)s”: %(count)s lines added.") % {
        "package": package.name,
        "count": len(lines),
    }
    if left_out:
        names = ", ".join(item.service.name for item in left_out)
        notice += " " + _(
            "Left out (inactive service or a quantity of zero for this project): %(names)s."
        ) % {"names": names}
    return notice
