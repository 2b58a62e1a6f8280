"""Celery tasks of the quotes app. They take ids and reload; running one twice is harmless."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_quote_document(document_pk: int) -> str:
    """Render a stored quote or agreement PDF, unless it is ready already."""
    from quotes.stored_documents import render_stored_document

    return render_stored_document(document_pk)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_assessment_report(report_pk: int) -> str:
    from quotes.stored_documents import render_stored_report

    return render_stored_report(report_pk)
