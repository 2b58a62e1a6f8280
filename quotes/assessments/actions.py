"""Every write to assessments, their answers, findings, reports and the questionnaire."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Customer, Project
from mspercury import audit
from mspercury.models import User, Workspace
from mspercury.texts import Text, as_text, plural
from quotes import actions as quote_actions
from quotes.assessments import domain
from quotes.assessments.defaults import QUESTIONNAIRE
from quotes.assessments.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentCategory,
    AssessmentQuestion,
    AssessmentStatus,
    Finding,
    FindingStatus,
)
from quotes.models import Quote, Service


class AssessmentError(Exception):
    """A change the rules forbid; the message is shown to the user as is."""


# The questionnaire


def _seed_language(workspace: Workspace) -> str:
    languages = dict(settings.LANGUAGES)
    return workspace.default_language if workspace.default_language in languages else "en"


@transaction.atomic
def ensure_questionnaire(workspace: Workspace) -> None:
    """Give a workspace its own copy of the built-in questionnaire, once."""
    if AssessmentCategory.objects.filter(workspace=workspace).exists():
        return
    Workspace.objects.select_for_update().get(pk=workspace.pk)
    if AssessmentCategory.objects.filter(workspace=workspace).exists():
        return  # another request seeded it while we waited for the lock
    with translation.override(_seed_language(workspace)):
        for c_pos, default in enumerate(QUESTIONNAIRE):
            category = AssessmentCategory.objects.create(
                workspace=workspace, key=default.key, name=str(default.name), position=c_pos
            )
            AssessmentQuestion.objects.bulk_create(
                AssessmentQuestion(
                    workspace=workspace,
                    category=category,
                    key=q.key,
                    text=str(q.text),
                    severity=q.severity,
                    risky_answers=q.risky_answers,
                    finding_title=str(q.finding),
                    recommendation=str(q.recommendation),
                    position=q_pos,
                )
                for q_pos, q in enumerate(default.questions)
            )


@transaction.atomic
def do_create_category(workspace: Workspace, *, name: str) -> AssessmentCategory:
    last = AssessmentCategory.objects.filter(workspace=workspace).aggregate(m=Max("position"))
    return AssessmentCategory.objects.create(
        workspace=workspace, name=name, position=(last["m"] or 0) + 1
    )


def do_rename_category(category: AssessmentCategory, *, name: str) -> None:
    category.name = name
    category.save(update_fields=["name"])


QUESTION_FIELDS = (
    "category",
    "text",
    "help_text",
    "risky_answers",
    "severity",
    "finding_title",
    "recommendation",
    "service",
    "active",
)


def _check_question_fields(workspace: Workspace, fields: dict) -> None:
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"not question fields: {sorted(unknown)}")
    for related in ("category", "service"):
        obj = fields.get(related)
        if obj is not None and obj.workspace_id != workspace.pk:
            raise ValueError(f"{related} of another workspace")


@transaction.atomic
def do_create_question(workspace: Workspace, **fields) -> AssessmentQuestion:
    _check_question_fields(workspace, fields)
    last = AssessmentQuestion.objects.filter(category=fields["category"]).aggregate(
        m=Max("position")
    )
    return AssessmentQuestion.objects.create(
        workspace=workspace, position=(last["m"] or 0) + 1, **fields
    )


@transaction.atomic
def do_update_question(question: AssessmentQuestion, **fields) -> None:
    """Later answers follow the new rules; findings already made keep their severity."""
    _check_question_fields(question.workspace, fields)
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))


@transaction.atomic
def do_delete_question(question: AssessmentQuestion) -> bool:
    """Delete a question nobody answered yet; an answered one is deactivated instead.

    Returns whether it was deleted.
    """
    if AssessmentAnswer.objects.filter(question=question).exists():
        if question.active:
            question.active = False
            question.save(update_fields=["active"])
        return False
    question.delete()
    return True


# Assessments


@transaction.atomic
def do_create_assessment(
    workspace: Workspace,
    customer: Customer,
    *,
    project: Project | None = None,
    title: str = "",
    performed_on: date | None = None,
    user: User | None = None,
    request=None,
) -> Assessment:
    if customer.workspace_id != workspace.pk:
        raise ValueError("customer of another workspace")
    if project is not None and project.customer_id != customer.pk:
        raise AssessmentError(_("The project belongs to another customer."))
    ensure_questionnaire(workspace)
    assessment = Assessment.objects.create(
        workspace=workspace,
        customer=customer,
        project=project,
        title=title,
        performed_on=performed_on or timezone.localdate(),
        created_by=user,
    )
    audit.record(
        request,
        workspace,
        "assessment.created",
        Text(
            gettext_noop("IT assessment started for %(customer)s"), customer=customer.company_name
        ),
        actor=user,
        assessment=str(assessment.public_id),
    )
    return assessment


def _touch(assessment: Assessment) -> None:
    now = timezone.now()
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=now)
    assessment.updated_at = now


def questions_for(assessment: Assessment) -> list[AssessmentQuestion]:
    """The active questions, plus inactive ones this assessment already answered."""
    answered = AssessmentAnswer.objects.filter(assessment=assessment).values("question_id")
    return list(
        AssessmentQuestion.objects.filter(workspace_id=assessment.workspace_id)
        .filter(Q(active=True) | Q(pk__in=answered))
        .select_related("category", "service")
    )


@transaction.atomic
def do_save_answers(assessment: Assessment, answers: dict) -> dict:
    """Store ``{question: (value, note)}`` (value "" clears) and bring the findings in line.

    Returns counts of findings {"created", "reopened", "removed", "resolved"}.
    """
    Assessment.objects.select_for_update().get(pk=assessment.pk)
    for question in answers:
        if question.workspace_id != assessment.workspace_id:
            raise ValueError("question of another workspace")
    existing = {a.question_id: a for a in AssessmentAnswer.objects.filter(assessment=assessment)}
    findings = {
        f.question_id: f
        for f in Finding.objects.filter(assessment=assessment, question__isnull=False)
    }
    counts = dict.fromkeys(("created", "reopened", "removed", "resolved"), 0)
    to_create, to_update, to_delete = [], [], []
    new_findings, reopened, resolved, removed = [], [], [], []
    for question, (value, note) in answers.items():
        answer = existing.get(question.pk)
        if not value:
            if answer is not None:
                to_delete.append(answer.pk)
        elif answer is None:
            to_create.append(
                AssessmentAnswer(
                    workspace_id=assessment.workspace_id,
                    assessment=assessment,
                    question=question,
                    value=value,
                    note=note,
                )
            )
        elif (answer.value, answer.note) != (value, note):
            answer.value, answer.note = value, note
            to_update.append(answer)
        finding = findings.get(question.pk)
        action = domain.finding_action(
            domain.is_risky(value, question.risky_answers),
            finding.status if finding else None,
            finding.touched if finding else False,
        )
        if action == domain.CREATE:
            new_findings.append(
                Finding(
                    workspace_id=assessment.workspace_id,
                    assessment=assessment,
                    question=question,
                    title=question.finding_title,
                    severity=question.severity,
                    service_id=question.service_id,
                )
            )
        elif action == domain.REOPEN:
            reopened.append(finding.pk)
        elif action == domain.RESOLVE:
            resolved.append(finding.pk)
        elif action == domain.REMOVE:
            removed.append(finding.pk)
    now = timezone.now()
    AssessmentAnswer.objects.filter(pk__in=to_delete).delete()
    AssessmentAnswer.objects.bulk_create(to_create)
    for answer in to_update:
        answer.updated_at = now
    AssessmentAnswer.objects.bulk_update(to_update, ["value", "note", "updated_at"])
    Finding.objects.bulk_create(new_findings)
    Finding.objects.filter(pk__in=reopened).update(status=FindingStatus.OPEN, updated_at=now)
    Finding.objects.filter(pk__in=resolved).update(status=FindingStatus.RESOLVED, updated_at=now)
    Finding.objects.filter(pk__in=removed).delete()
    counts.update(
        created=len(new_findings),
        reopened=len(reopened),
        resolved=len(resolved),
        removed=len(removed),
    )
    if to_create or to_update or to_delete or any(counts.values()):
        _touch(assessment)
    return counts


@transaction.atomic
def do_set_assessment_status(assessment: Assessment, status: str, *, request=None) -> None:
    assessment.status = status
    assessment.completed_at = timezone.now() if status == AssessmentStatus.COMPLETED else None
    assessment.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record(
        request,
        assessment.workspace,
        "assessment.status_changed",
        Text(
            gettext_noop("IT assessment of %(customer)s: %(status)s"),
            customer=assessment.customer.company_name,
            status=as_text(AssessmentStatus(status).label),
        ),
        assessment=str(assessment.public_id),
        status=status,
    )


# Findings

FINDING_FIELDS = ("title", "severity", "notes", "service", "status")


@transaction.atomic
def do_add_finding(assessment: Assessment, **fields) -> Finding:
    """A finding the assessor noticed outside the questionnaire."""
    _check_finding_fields(assessment, fields)
    finding = Finding.objects.create(
        workspace_id=assessment.workspace_id, assessment=assessment, **fields
    )
    _touch(assessment)
    return finding


def _check_finding_fields(assessment: Assessment, fields: dict) -> None:
    unknown = set(fields) - set(FINDING_FIELDS)
    if unknown:
        raise ValueError(f"not finding fields: {sorted(unknown)}")
    service = fields.get("service")
    if service is not None and service.workspace_id != assessment.workspace_id:
        raise ValueError("service of another workspace")


@transaction.atomic
def do_update_finding(finding: Finding, *, photo=None, remove_photo=False, **fields) -> None:
    """Change a finding; ``photo`` is a prepared file (see ``photos.prepare_photo``)."""
    _check_finding_fields(finding.assessment, fields)
    for name, value in fields.items():
        setattr(finding, name, value)
    old_photo = finding.photo.name if finding.photo else ""
    if photo is not None:
        finding.photo.save(photo.name, photo, save=False)
    elif remove_photo:
        finding.photo = ""
    finding.save()
    if old_photo and (photo is not None or remove_photo):
        storage = finding.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))
    _touch(finding.assessment)


@transaction.atomic
def do_create_quote_from_findings(
    assessment: Assessment, findings: list[Finding], *, user: User | None = None, request=None
) -> tuple[Quote, list[Finding]]:
    """A draft quote with one line per service the selected findings link to.

    Returns the quote and the findings that link no (active) service and so added nothing.
    A per-device or per-user service gets the project's count as its quantity.
    """
    if not findings:
        raise AssessmentError(_("Select at least one finding."))
    if any(f.assessment_id != assessment.pk for f in findings):
        raise ValueError("finding of another assessment")
    findings = sorted(findings, key=lambda f: (f.severity_rank, f.created_at, f.pk))
    services = {
        s.pk: s
        for s in Service.objects.filter(
            workspace_id=assessment.workspace_id,
            active=True,
            pk__in=[f.service_id for f in findings if f.service_id],
        )
    }
    linked = [f for f in findings if f.service_id in services]
    skipped = [f for f in findings if f.service_id not in services]
    if not linked:
        raise AssessmentError(
            _("None of the selected findings links to an active service of your catalog.")
        )
    label = assessment.title or assessment.performed_on.isoformat()
    quote = quote_actions.do_create_quote(
        assessment.workspace,
        assessment.customer,
        user=user,
        project=assessment.project,
        title=_("IT assessment follow-up: %(assessment)s") % {"assessment": label},
        request=request,
    )
    counts = quote_actions.project_counts(assessment.project)
    added = set()
    for finding in linked:
        service = services[finding.service_id]
        if service.pk in added:
            continue
        added.add(service.pk)
        quote_actions.do_add_line(
            quote,
            quantity=domain.line_quantity(service.unit, counts),
            **quote_actions.line_fields_from_service(service),
        )
    Finding.objects.filter(pk__in=[f.pk for f in linked]).update(quote=quote)
    _touch(assessment)
    audit.record(
        request,
        assessment.workspace,
        "assessment.quote_created",
        plural(
            "Quote %(number)s created from %(count)s finding",
            "Quote %(number)s created from %(count)s findings",
            len(linked),
            number=quote.number,
        ),
        actor=user,
        assessment=str(assessment.public_id),
        quote=str(quote.public_id),
    )
    return quote, skipped
