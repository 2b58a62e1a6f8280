"""How views reach assessment rows: by public id, within the active workspace, else 404."""

from mspercury.access import get_for_workspace
from quotes.assessments.models import (
    Assessment,
    AssessmentCategory,
    AssessmentQuestion,
    AssessmentReport,
    Finding,
)


def access_assessment(request, assessment_id) -> Assessment:
    queryset = Assessment.objects.select_related("customer", "project")
    return get_for_workspace(request, queryset, public_id=assessment_id)


def access_finding(request, assessment: Assessment, finding_id) -> Finding:
    """A finding of ``assessment`` (one of another assessment is a 404 too)."""
    queryset = Finding.objects.select_related("service", "question__category")
    finding = get_for_workspace(request, queryset, public_id=finding_id, assessment=assessment)
    finding.assessment = assessment
    return finding


def access_report(request, assessment: Assessment, report_id) -> AssessmentReport:
    return get_for_workspace(
        request, AssessmentReport.objects, public_id=report_id, assessment=assessment
    )


def access_question(request, question_id) -> AssessmentQuestion:
    queryset = AssessmentQuestion.objects.select_related("category", "service")
    return get_for_workspace(request, queryset, public_id=question_id)


def access_category(request, category_id) -> AssessmentCategory:
    return get_for_workspace(request, AssessmentCategory.objects, public_id=category_id)
