"""Stored PDFs of quotes, agreements and assessment reports: requesting, rendering, freezing.

A request creates a pending row and, for large documents, queues the Celery task on commit
(``queue_rendering``); small quotes are rendered in the request. Rendering stores the bytes
with their SHA-256 in one UPDATE that only touches rows that are not ready yet: once ready, a
document never changes again.
"""

import hashlib
import logging
from datetime import UTC, date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from mspercury.models import User
from quotes import documents, pdf
from quotes.assessments.models import Assessment, AssessmentReport
from quotes.models import (
    DocumentKind,
    DocumentStatus,
    Quote,
    QuoteAcceptance,
    QuoteDocument,
    RevisionAcceptance,
)

logger = logging.getLogger(__name__)

# A task queued this long ago without a result is assumed lost (its worker died before
# acking) and is queued again when someone asks.
REQUEUE_AFTER = timedelta(minutes=2)
# Quotes up to this many lines render in the request (a fraction of a second); longer ones in
# a Celery task while the page says "being prepared".
INLINE_MAX_LINES = 30


# The Celery task that renders each kind of stored document. quotes.tasks fills it in when it
# is imported (the app's ready): render ← store ← task, the store never imports its tasks.
RENDER_TASKS: dict[type, Any] = {}


def quote_pdf_snapshot(quote: Quote, *, today=None) -> dict:
    """What the quote PDF of the current revision shows: the document snapshot plus the date
    of the revision (the PDF's date; never the clock at rendering time)."""
    snapshot = documents.quote_snapshot(quote, today=today)
    snapshot["as_of"] = quote.updated_at.astimezone(UTC).isoformat()
    return snapshot


def is_small(document: QuoteDocument) -> bool:
    """Few enough lines to render in the request (an agreement counts its quote's lines)."""
    quote = document.snapshot.get("quote", document.snapshot)
    return len(quote.get("lines", ())) <= INLINE_MAX_LINES


def queue_rendering(document) -> bool:
    """Queue the task of a stored document unless one is under way; returns whether it did."""
    now = timezone.now()
    under_way = (
        document.status == DocumentStatus.PENDING
        and document.queued_at is not None
        and document.queued_at > now - REQUEUE_AFTER
    )
    if document.is_ready or under_way:
        return False
    model = type(document)
    model.objects.filter(pk=document.pk).exclude(status=DocumentStatus.READY).update(
        status=DocumentStatus.PENDING, error="", queued_at=now
    )
    document.status, document.error, document.queued_at = DocumentStatus.PENDING, "", now
    task = RENDER_TASKS[model]
    transaction.on_commit(lambda: task.delay(document.workspace_id, document.pk))
    return True


def _comparable(snapshot: dict) -> bytes:
    return documents.canonical_json({k: v for k, v in snapshot.items() if k != "as_of"})


def _is_accepted(document: QuoteDocument) -> bool:
    """Accepted documents (first acceptance or a re-accepted revision) are never replaced."""
    if not document.sha256:
        return False
    same = {"quote_id": document.quote_id, "document_sha256": document.sha256}
    return (
        QuoteAcceptance.objects.filter(**same).exists()
        or RevisionAcceptance.objects.filter(**same).exists()
    )


@transaction.atomic
def do_request_quote_pdf(
    quote: Quote, *, user: User | None = None, today=None, queue: bool = True
) -> QuoteDocument:
    """The PDF row of the quote's current revision, created (and queued) if there is none.

    While nobody accepted it, a revision's PDF is replaced when what it shows changed without a
    new revision (the workspace's or the customer's address): a customer is only ever shown,
    and can only accept, the document as it is. Once accepted it never changes again.
    """
    related = Quote.objects.select_related("workspace", "customer", "project")
    locked = related.select_for_update(of=("self",)).get(pk=quote.pk)
    snapshot = quote_pdf_snapshot(locked, today=today)
    document = (
        QuoteDocument.objects.defer("pdf")
        .filter(quote=locked, revision=locked.revision, kind=DocumentKind.QUOTE)
        .first()
    )
    if (
        document is not None
        and _comparable(document.snapshot) != _comparable(snapshot)
        and not _is_accepted(document)
    ):
        document.delete()
        document = None
    if document is None:
        document = QuoteDocument.objects.create(
            workspace_id=locked.workspace_id,
            quote=locked,
            revision=locked.revision,
            kind=DocumentKind.QUOTE,
            snapshot=snapshot,
            requested_by=user,
        )
    if queue:
        queue_rendering(document)
    return document


def accepted_quote_document(
    acceptance: QuoteAcceptance | RevisionAcceptance,
) -> QuoteDocument | None:
    """The stored PDF the customer accepted (its hash is the acceptance's)."""
    return QuoteDocument.objects.filter(
        quote_id=acceptance.quote_id,
        kind=DocumentKind.QUOTE,
        revision=acceptance.revision,
        sha256=acceptance.document_sha256,
    ).first()


def agreement_document(acceptance: QuoteAcceptance | RevisionAcceptance) -> QuoteDocument | None:
    return QuoteDocument.objects.filter(
        quote_id=acceptance.quote_id, kind=DocumentKind.AGREEMENT, revision=acceptance.revision
    ).first()


def _acceptance_record(acceptance: QuoteAcceptance | RevisionAcceptance) -> dict:
    """The facts of the acceptance certificate, frozen into the agreement's snapshot. A
    re-accepted revision is always accepted on a share page, never by staff."""
    staff = getattr(acceptance, "accepted_by_user", None)
    via = getattr(acceptance, "via", QuoteAcceptance.Via.SHARE_PAGE)
    manual = via == QuoteAcceptance.Via.MANUAL
    return {
        "name": acceptance.name,
        # Only staff accounts carry a known address; the share page asks for a name only.
        "email": staff.email if manual and staff else "",
        "accepted_at": acceptance.accepted_at.astimezone(UTC).isoformat(),
        "via": via,
        "staff": (
            {"name": staff.get_full_name() or staff.email, "email": staff.email} if staff else None
        ),
        "ip_address": acceptance.ip_address or "",
        "user_agent": acceptance.user_agent,
        "revision": acceptance.revision,
        "document_sha256": acceptance.document_sha256,
    }


@transaction.atomic
def do_request_agreement(acceptance: QuoteAcceptance | RevisionAcceptance) -> QuoteDocument:
    """The service agreement of an acceptance (or of a re-accepted revision): the accepted
    quote plus the acceptance record (name, time, the accepted PDF's hash), queued."""
    document, created = QuoteDocument.objects.get_or_create(
        quote_id=acceptance.quote_id,
        revision=acceptance.revision,
        kind=DocumentKind.AGREEMENT,
        defaults={
            "workspace_id": acceptance.workspace_id,
            "snapshot": {
                "quote": acceptance.snapshot,
                "acceptance": _acceptance_record(acceptance),
            },
            "requested_by": getattr(acceptance, "accepted_by_user", None),
        },
    )
    if created:
        queue_rendering(document)
    return document


def render_document_bytes(document: QuoteDocument) -> bytes:
    if document.kind == DocumentKind.AGREEMENT:
        return pdf.render_agreement(document.snapshot["quote"], document.snapshot["acceptance"])
    return pdf.render_quote(document.snapshot)


def _freeze(model, pk: int, content: bytes) -> bool:
    """Store rendered bytes unless the row is ready already; returns whether it stored them."""
    return bool(
        model.objects.filter(pk=pk)
        .exclude(status=DocumentStatus.READY)
        .update(
            pdf=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            status=DocumentStatus.READY,
            error="",
            rendered_at=timezone.now(),
        )
    )


def _fail(model, pk: int, exc: Exception) -> None:
    logger.exception("rendering %s %s failed", model.__name__, pk)
    model.objects.filter(pk=pk).exclude(status=DocumentStatus.READY).update(
        status=DocumentStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
    )


def render_stored_document(document_pk: int) -> str:
    document = QuoteDocument.objects.defer("pdf").filter(pk=document_pk).first()
    if document is None:
        return "missing"
    if document.is_ready:
        return "ready"
    try:
        content = render_document_bytes(document)
    except Exception as exc:
        _fail(QuoteDocument, document.pk, exc)
        return "failed"
    return "rendered" if _freeze(QuoteDocument, document.pk, content) else "ready"


def ensure_ready(document: QuoteDocument) -> QuoteDocument:
    """The document with its bytes, rendered here and now if it is not ready yet."""
    if not document.is_ready:
        render_stored_document(document.pk)
    return QuoteDocument.objects.get(pk=document.pk)


def ready_for_view(document: QuoteDocument | None) -> QuoteDocument | None:
    """For pages: a small pending document is rendered now; a large one stays queued."""
    if document is None or document.is_ready:
        return document
    if is_small(document) and document.status == DocumentStatus.PENDING:
        return ensure_ready(document)
    queue_rendering(document)
    return document


# Assessment reports


@transaction.atomic
def do_request_report(assessment: Assessment, *, user: User | None = None) -> AssessmentReport:
    """Queue a report PDF of the assessment as it is now (rendered after commit)."""
    report = AssessmentReport.objects.create(
        workspace_id=assessment.workspace_id,
        assessment=assessment,
        source_updated_at=assessment.updated_at,
        requested_by=user,
    )
    queue_rendering(report)
    return report


def render_stored_report(report_pk: int) -> str:
    report = (
        AssessmentReport.objects.defer("pdf").select_related("assessment").filter(pk=report_pk)
    ).first()
    if report is None:
        return "missing"
    if report.is_ready:
        return "ready"
    try:
        content = pdf.render_assessment_report(report.assessment, created=report.created_at)
    except Exception as exc:
        _fail(AssessmentReport, report.pk, exc)
        return "failed"
    return "rendered" if _freeze(AssessmentReport, report.pk, content) else "ready"


def quote_document(quote: Quote, *, wait: bool = True, today: date | None = None):
    """The stored PDF of the quote's current revision, or None while it is being prepared.

    Small quotes are rendered here and now; large ones by a Celery task, unless ``wait`` asks
    for the document in any case (acceptance needs the bytes it records).
    """
    stored = do_request_quote_pdf(quote, today=today, queue=False)
    if not stored.is_ready:
        if wait or is_small(stored):
            stored = ensure_ready(stored)
        else:
            queue_rendering(stored)
            return None
        if not stored.is_ready:
            raise documents.DocumentUnavailable(stored.error)
    return documents.Document(
        snapshot=stored.snapshot,
        content=bytes(stored.pdf),
        sha256=stored.sha256,
        media_type=documents.PDF_MEDIA_TYPE,
        stored=stored,
    )


def render_document(quote: Quote, *, today: date | None = None) -> documents.Document:
    """The document of ``quote`` as it is now (its stored PDF, rendered if need be)."""
    return quote_document(quote, wait=True, today=today)
