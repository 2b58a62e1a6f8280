"""What an assessment amounts to: scores per category, open findings by severity and the
services that fix them. Shared by the assessment page and the report PDF."""

import base64
from dataclasses import dataclass, field

from django.db.models import Prefetch

from quotes.assessments import domain
from quotes.assessments.actions import questions_for
from quotes.assessments.models import (
    Assessment,
    AssessmentCategory,
    Finding,
    FindingStatus,
    Severity,
)
from quotes.assessments.photos import media_type


@dataclass
class CategoryRow:
    category: AssessmentCategory
    score: domain.CategoryScore
    findings: int = 0


@dataclass
class SeverityGroup:
    severity: str
    label: str
    findings: list[Finding] = field(default_factory=list)


@dataclass
class RecommendedService:
    service: object
    findings: list[Finding] = field(default_factory=list)


@dataclass
class AssessmentSummary:
    categories: list[CategoryRow]
    overall: int | None
    by_severity: list[SeverityGroup]
    services: list[RecommendedService]
    answered: int
    total: int

    @property
    def overall_band(self) -> str:
        return domain.score_band(self.overall)

    @property
    def open_findings(self) -> int:
        return sum(len(g.findings) for g in self.by_severity)

    def count(self, severity: str) -> int:
        return next((len(g.findings) for g in self.by_severity if g.severity == severity), 0)


def open_findings(assessment: Assessment) -> list[Finding]:
    findings = Finding.objects.filter(
        assessment=assessment, status=FindingStatus.OPEN
    ).select_related("service", "question__category", "quote")
    return sorted(findings, key=lambda f: (f.severity_rank, f.created_at, f.pk))


def summarize_assessment(assessment: Assessment) -> AssessmentSummary:
    questions = questions_for(assessment)
    answers = {a.question_id: a.value for a in assessment.answers.all()}
    findings = open_findings(assessment)
    category_ids = []
    categories = {}
    for q in questions:
        if q.category_id not in categories:
            categories[q.category_id] = q.category
            category_ids.append(q.category_id)
    scores = domain.category_scores(
        category_ids,
        [domain.ScoredAnswer(q.category_id, q.severity, answers.get(q.pk)) for q in questions],
    )
    per_category: dict[int, int] = {}
    for f in findings:
        if f.question_id:
            per_category[f.question.category_id] = per_category.get(f.question.category_id, 0) + 1
    rows = [CategoryRow(categories[s.category], s, per_category.get(s.category, 0)) for s in scores]

    groups = [SeverityGroup(s, str(Severity(s).label)) for s in domain.SEVERITIES]
    for f in findings:
        groups[f.severity_rank].findings.append(f)

    services: dict[int, RecommendedService] = {}
    for f in findings:
        if f.service_id:
            services.setdefault(f.service_id, RecommendedService(f.service)).findings.append(f)
    return AssessmentSummary(
        categories=rows,
        overall=domain.overall_score(
            domain.ScoredAnswer(q.category_id, q.severity, answers.get(q.pk)) for q in questions
        ),
        by_severity=[g for g in groups if g.findings],
        services=list(services.values()),
        answered=sum(1 for q in questions if answers.get(q.pk)),
        total=len(questions),
    )


def load_assessment(assessment: Assessment) -> Assessment:
    """The assessment with what the summary reads, in a few queries."""
    return (
        Assessment.objects.select_related("customer", "project", "workspace", "created_by")
        .prefetch_related(Prefetch("answers"))
        .get(pk=assessment.pk)
    )


def photo_data_url(finding: Finding) -> str:
    """The finding's photo inlined for the PDF ("" without one or if the file is gone)."""
    if not finding.photo:
        return ""
    try:
        with finding.photo.open("rb") as fh:
            content = fh.read()
    except OSError:
        return ""
    encoded = base64.b64encode(content).decode()
    return f"data:{media_type(finding.photo.name)};base64,{encoded}"
