"""IT assessments: the list, the questionnaire of one assessment, findings, the quote made from
findings, the report PDF, and the workspace's own questionnaire."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from mspercury.access import workspace_required
from quotes.assessments import actions
from quotes.assessments.access import (
    access_assessment,
    access_category,
    access_finding,
    access_question,
    access_report,
)
from quotes.assessments.forms import (
    AnswersForm,
    AssessmentCreateForm,
    CategoryForm,
    FindingForm,
    QuestionForm,
)
from quotes.assessments.models import (
    Assessment,
    AssessmentCategory,
    AssessmentQuestion,
    AssessmentReport,
    AssessmentStatus,
    Finding,
    FindingStatus,
)
from quotes.assessments.photos import media_type
from quotes.assessments.report import summarize_assessment
from quotes.stored_documents import do_request_report

PAGE_SIZE = 25


def _detail_url(assessment: Assessment, anchor: str = "") -> str:
    url = reverse("quotes:assessment_detail", kwargs={"assessment_id": assessment.public_id})
    return f"{url}#{anchor}" if anchor else url


@workspace_required
@require_GET
def assessment_list(request):
    assessments = (
        Assessment.objects.filter(workspace=request.workspace)
        .select_related("customer", "project")
        .annotate(
            open_findings=Count("findings", filter=Q(findings__status=FindingStatus.OPEN)),
        )
        .order_by("-performed_on", "-id")
    )
    customer = None
    if request.GET.get("customer"):
        customer = Customer.objects.filter(
            workspace=request.workspace, public_id=_uuid(request.GET["customer"])
        ).first()
        if customer is not None:
            assessments = assessments.filter(customer=customer)
    page = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "quotes/assessments/list.html", {"page": page, "customer": customer})


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


@workspace_required
def assessment_create(request):
    initial = {"customer": request.GET.get("customer")}
    form = AssessmentCreateForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = actions.do_create_assessment(
                request.workspace,
                data["customer"],
                project=data["project"],
                title=data["title"],
                performed_on=data["performed_on"],
                user=request.user,
                request=request,
            )
        except actions.AssessmentError as exc:
            form.add_error("project", str(exc))
        else:
            return redirect(_detail_url(assessment))
    has_customers = Customer.objects.filter(workspace=request.workspace).exists()
    return render(
        request,
        "quotes/assessments/create.html",
        {"form": form, "has_customers": has_customers},
    )


# One assessment


def _answers_form(assessment, data=None):
    questions = actions.questions_for(assessment)
    answers = {a.question_id: a for a in assessment.answers.all()}
    return AnswersForm(data, questions=questions, answers=answers)


def _categories(form):
    """The form's rows grouped by category, in questionnaire order."""
    groups = []
    for row in form.rows():
        category = row[0].category
        if not groups or groups[-1][0] != category:
            groups.append((category, []))
        groups[-1][1].append(row)
    return groups


def _findings_context(assessment):
    return {
        "assessment": assessment,
        "summary": summarize_assessment(assessment),
        "resolved": Finding.objects.filter(
            assessment=assessment, status=FindingStatus.RESOLVED
        ).select_related("service"),
        "latest_report": _latest_report(assessment),
    }


def _latest_report(assessment):
    return AssessmentReport.objects.defer("pdf").filter(assessment=assessment).first()


@workspace_required
@require_GET
def assessment_detail(request, assessment_id):
    assessment = access_assessment(request, assessment_id)
    return _detail_page(request, assessment)


def _detail_page(request, assessment, form=None):
    form = form or _answers_form(assessment)
    context = _findings_context(assessment)
    context.update({"form": form, "categories": _categories(form)})
    return render(request, "quotes/assessments/detail.html", context)


@workspace_required
@require_POST
def answers_save(request, assessment_id):
    """Save the questionnaire; risky answers open findings, safe ones remove or resolve them."""
    assessment = access_assessment(request, assessment_id)
    form = _answers_form(assessment, request.POST)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(status=422)
        return _detail_page(request, assessment, form)
    counts = actions.do_save_answers(assessment, form.answers())
    notice = _findings_notice(counts)
    if request.htmx:
        context = _findings_context(assessment)
        context.update({"notice": notice, "oob": True})
        return render(request, "quotes/assessments/_answers_saved.html", context)
    messages.success(request, notice)
    return redirect(_detail_url(assessment, "findings"))


def _findings_notice(counts: dict) -> str:
    parts = [_("Answers saved.")]
    if counts["created"] or counts["reopened"]:
        parts.append(_("%(n)s new findings.") % {"n": counts["created"] + counts["reopened"]})
    if counts["removed"] or counts["resolved"]:
        parts.append(
            _("%(n)s findings removed or resolved.") % {"n": counts["removed"] + counts["resolved"]}
        )
    return " ".join(parts)


@workspace_required
@require_POST
def assessment_status(request, assessment_id):
    assessment = access_assessment(request, assessment_id)
    status = request.POST.get("status")
    if status not in AssessmentStatus.values:
        messages.error(request, _("Choose a valid status."))
    else:
        actions.do_set_assessment_status(assessment, status, request=request)
        label = assessment.get_status_display()
        messages.success(request, _("Assessment saved as “%(s)s”.") % {"s": label})
    return redirect(_detail_url(assessment))


# Findings


@workspace_required
def finding_add(request, assessment_id):
    assessment = access_assessment(request, assessment_id)
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        workspace=request.workspace,
        with_status=False,
        initial={"severity": "medium"},
    )
    if request.method == "POST" and form.is_valid():
        finding = actions.do_add_finding(assessment, **form.finding_fields())
        if form.cleaned_data["photo"] is not None:
            actions.do_update_finding(finding, photo=form.cleaned_data["photo"])
        messages.success(request, _("Finding added."))
        return redirect(_detail_url(assessment, "findings"))
    return render(
        request, "quotes/assessments/finding_form.html", {"assessment": assessment, "form": form}
    )


@workspace_required
def finding_edit(request, assessment_id, finding_id):
    assessment = access_assessment(request, assessment_id)
    finding = access_finding(request, assessment, finding_id)
    initial = {
        "title": finding.title,
        "severity": finding.severity,
        "notes": finding.notes,
        "service": finding.service.public_id if finding.service else None,
        "status": finding.status,
    }
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        workspace=request.workspace,
        current_service=finding.service,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        actions.do_update_finding(
            finding,
            photo=form.cleaned_data["photo"],
            remove_photo=form.cleaned_data["remove_photo"],
            **form.finding_fields(),
        )
        messages.success(request, _("Finding saved."))
        return redirect(_detail_url(assessment, "findings"))
    return render(
        request,
        "quotes/assessments/finding_form.html",
        {"assessment": assessment, "finding": finding, "form": form},
    )


@workspace_required
@require_GET
def finding_photo(request, assessment_id, finding_id):
    """Photos are private: served through this view, never from a public media URL."""
    assessment = access_assessment(request, assessment_id)
    finding = access_finding(request, assessment, finding_id)
    if not finding.photo:
        raise Http404
    try:
        handle = finding.photo.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=media_type(finding.photo.name))
    response["Cache-Control"] = "private, max-age=3600"
    return response


@workspace_required
@require_POST
def quote_from_findings(request, assessment_id):
    """Selected findings → a draft quote with the services they link to, in one click."""
    assessment = access_assessment(request, assessment_id)
    ids = [i for i in (_uuid(v) for v in request.POST.getlist("finding")) if i]
    findings = list(
        Finding.objects.filter(assessment=assessment, public_id__in=ids).select_related("service")
    )
    try:
        quote, skipped = actions.do_create_quote_from_findings(
            assessment, findings, user=request.user, request=request
        )
    except actions.AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(assessment, "findings"))
    messages.success(
        request, _("Draft quote %(number)s created from the findings.") % {"number": quote.number}
    )
    if skipped:
        messages.warning(
            request,
            _("Without a linked service, these findings added no line: %(titles)s")
            % {"titles": ", ".join(f"“{f.title}”" for f in skipped)},
        )
    return redirect("quotes:quote_detail", quote_id=quote.public_id)


# Report


@workspace_required
def report(request, assessment_id):
    """GET: the report panel (htmx polls it while the PDF is prepared); POST: a new report."""
    assessment = access_assessment(request, assessment_id)
    if request.method == "POST":
        do_request_report(assessment, user=request.user)
        if not request.htmx:
            messages.success(request, _("The report is being prepared."))
    if not request.htmx:
        return redirect(_detail_url(assessment, "report"))
    context = {"assessment": assessment, "latest_report": _latest_report(assessment)}
    return render(request, "quotes/assessments/_report_panel.html", context)


@workspace_required
@require_GET
def report_download(request, assessment_id, report_id):
    assessment = access_assessment(request, assessment_id)
    stored = access_report(request, assessment, report_id)
    if not stored.is_ready:
        return redirect(_detail_url(assessment, "report"))
    name = f"it-assessment-{assessment.performed_on.isoformat()}.pdf"
    response = HttpResponse(bytes(stored.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-transform"
    return response


# The workspace's questionnaire


@workspace_required
@require_GET
def questionnaire(request):
    actions.ensure_questionnaire(request.workspace)
    categories = AssessmentCategory.objects.filter(workspace=request.workspace).prefetch_related(
        Prefetch(
            "questions",
            queryset=AssessmentQuestion.objects.select_related("service").order_by(
                "position", "id"
            ),
        )
    )
    return render(request, "quotes/assessments/questionnaire.html", {"categories": categories})


def _question_values(form) -> dict:
    return {name: form.cleaned_data[name] for name in actions.QUESTION_FIELDS}


@workspace_required
def question_create(request):
    actions.ensure_questionnaire(request.workspace)
    initial = {"risky_answers": ["no", "unknown"], "severity": "medium", "active": True}
    category = AssessmentCategory.objects.filter(
        workspace=request.workspace, public_id=_uuid(request.GET.get("category"))
    ).first()
    if category:
        initial["category"] = category.public_id
    form = QuestionForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_create_question(request.workspace, **_question_values(form))
        messages.success(request, _("Question added."))
        return redirect("quotes:questionnaire")
    return render(request, "quotes/assessments/question_form.html", {"form": form})


@workspace_required
def question_edit(request, question_id):
    question = access_question(request, question_id)
    initial = {
        "category": question.category.public_id,
        "text": question.text,
        "help_text": question.help_text,
        "risky_answers": question.risky_answers,
        "severity": question.severity,
        "finding_title": question.finding_title,
        "recommendation": question.recommendation,
        "service": question.service.public_id if question.service else None,
        "active": question.active,
    }
    form = QuestionForm(
        request.POST or None,
        workspace=request.workspace,
        current_service=question.service,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        actions.do_update_question(question, **_question_values(form))
        messages.success(request, _("Question saved."))
        return redirect("quotes:questionnaire")
    return render(
        request, "quotes/assessments/question_form.html", {"form": form, "question": question}
    )


@workspace_required
@require_POST
def question_delete(request, question_id):
    question = access_question(request, question_id)
    if actions.do_delete_question(question):
        messages.success(request, _("Question deleted."))
    else:
        messages.success(
            request,
            _("This question has answers, so it was deactivated instead of deleted."),
        )
    return redirect("quotes:questionnaire")


@workspace_required
def category_create(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.ensure_questionnaire(request.workspace)
        actions.do_create_category(request.workspace, name=form.cleaned_data["name"])
        messages.success(request, _("Category added."))
        return redirect("quotes:questionnaire")
    return render(request, "quotes/assessments/category_form.html", {"form": form})


@workspace_required
def category_edit(request, category_id):
    category = access_category(request, category_id)
    form = CategoryForm(request.POST or None, initial={"name": category.name})
    if request.method == "POST" and form.is_valid():
        actions.do_rename_category(category, name=form.cleaned_data["name"])
        messages.success(request, _("Category renamed."))
        return redirect("quotes:questionnaire")
    return render(
        request, "quotes/assessments/category_form.html", {"form": form, "category": category}
    )
