"""Celery tasks of the quotes app. They take ids and reload; running one twice is harmless.

Each runs inside its workspace (row-level security): the caller passes the workspace's id.
"""

from celery import shared_task

from mspercury.tenancy import workspace_context
from quotes.assessments.models import AssessmentReport
from quotes.models import QuoteDocument
from quotes.stored_documents import RENDER_TASKS, render_stored_document, render_stored_report


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_quote_document(workspace_pk: int, document_pk: int) -> str:
    """Render a stored quote or agreement PDF, unless it is ready already."""
    with workspace_context(workspace_pk):
        return render_stored_document(document_pk)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_assessment_report(workspace_pk: int, report_pk: int) -> str:
    with workspace_context(workspace_pk):
        return render_stored_report(report_pk)


RENDER_TASKS.update(
    {QuoteDocument: render_quote_document, AssessmentReport: render_assessment_report}
)
