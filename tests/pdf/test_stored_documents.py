"""Stored quote PDFs: prepared by a Celery task with a visible "being prepared / ready" state,
served byte for byte, frozen once ready."""

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from quotes.models import DocumentStatus, QuoteDocument
from quotes.stored_documents import do_request_quote_pdf, render_stored_document
from tests.pdf.conftest import add_line
from tests.pdf.helpers import pdf_text

HX = {"HX-Request": "true"}


@pytest.fixture
def quote(alpha, make_customer, make_quote):
    alpha.street, alpha.postal_code, alpha.city = "Hauptstraße 1", "10115", "Berlin"
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    return make_quote(alpha, make_customer(alpha, "DE"))


def _pdf_url(quote):
    return f"/quotes/{quote.public_id}/pdf/"


def _download_url(document):
    return f"/quotes/{document.quote.public_id}/documents/{document.public_id}/"


def test_it_shows_being_prepared_then_ready(
    client_for, alice, quote, django_capture_on_commit_callbacks
):
    """The request queues the task on commit; until it ran the panel polls every second, then
    it offers the PDF and stops polling."""
    client = client_for(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_pdf_url(quote), headers=HX)
    html = response.content.decode()
    assert 'data-pdf-state="pending"' in html
    assert 'hx-trigger="every 1s"' in html
    assert len(callbacks) == 1

    polled = client.get(_pdf_url(quote), headers=HX).content.decode()
    assert 'data-pdf-state="pending"' in polled

    callbacks[0]()  # the Celery task (eager in tests)
    ready = client.get(_pdf_url(quote), headers=HX).content.decode()
    document = QuoteDocument.objects.get(quote=quote)
    assert 'data-pdf-state="ready"' in ready
    assert "every 1s" not in ready
    assert _download_url(document) in ready
    assert document.revision == quote.revision


def test_it_serves_the_stored_bytes_with_their_hash(
    client_for, alice, quote, django_capture_on_commit_callbacks
):
    """The download is the stored PDF, unchanged, with its SHA-256."""
    with django_capture_on_commit_callbacks(execute=True):
        document = do_request_quote_pdf(quote)
    document.refresh_from_db()
    response = client_for(alice).get(_download_url(document))
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(document.pdf)
    assert hashlib.sha256(response.content).hexdigest() == document.sha256
    assert response["X-Document-SHA256"] == document.sha256
    assert "USt-IdNr.: DE136695976" in pdf_text(response.content)


def test_it_keeps_a_ready_pdf_frozen(
    client_for, alice, alpha, quote, tmp_path, django_capture_on_commit_callbacks
):
    """After a line edit, an address change and a template change, the stored PDF of the old
    revision is served byte-identical; the new revision gets a PDF of its own."""
    with django_capture_on_commit_callbacks(execute=True):
        document = do_request_quote_pdf(quote)
    document.refresh_from_db()
    original = bytes(document.pdf)
    client = client_for(alice)

    add_line(quote, "Added after the PDF", "99.00")
    alpha.street = "Neue Straße 99"
    alpha.save()
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "quote.html").write_text("<p>A completely different template</p>")
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path, *_template_dirs()],
            "APP_DIRS": True,
        }
    ]
    with override_settings(TEMPLATES=templates):
        assert render_stored_document(document.pk) == "ready"  # a re-delivered task
        served = client.get(_download_url(document)).content
        quote.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            newer = do_request_quote_pdf(quote)
    assert served == original
    assert hashlib.sha256(served).hexdigest() == document.sha256
    newer.refresh_from_db()
    assert newer.revision == quote.revision > document.revision
    assert bytes(newer.pdf) != original
    assert "A completely different template" in pdf_text(bytes(newer.pdf))


def _template_dirs():
    from django.conf import settings

    return settings.TEMPLATES[0]["DIRS"]


def test_it_reuses_the_pdf_of_the_same_revision(quote, django_capture_on_commit_callbacks):
    """Asking twice for the same revision renders once."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = do_request_quote_pdf(quote)
        second = do_request_quote_pdf(quote)
    assert first.pk == second.pk
    assert len(callbacks) == 1


def test_it_marks_a_failed_rendering_and_retries(
    client_for, alice, quote, tmp_path, django_capture_on_commit_callbacks
):
    """A broken template fails the task: the panel says so and offers to try again."""
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "quote.html").write_text("{% broken %}")
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path, *_template_dirs()],
            "APP_DIRS": True,
        }
    ]
    client = client_for(alice)
    with override_settings(TEMPLATES=templates), django_capture_on_commit_callbacks(execute=True):
        client.post(_pdf_url(quote), headers=HX)
    html = client.get(_pdf_url(quote), headers=HX).content.decode()
    document = QuoteDocument.objects.get(quote=quote)
    assert document.status == DocumentStatus.FAILED
    assert 'data-pdf-state="failed"' in html
    assert "Try again" in html

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_pdf_url(quote), headers=HX)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY


def test_it_requeues_a_pending_pdf_whose_task_was_lost(quote, django_capture_on_commit_callbacks):
    """A row pending for minutes (worker died) is queued again on the next request."""
    with django_capture_on_commit_callbacks():
        document = do_request_quote_pdf(quote)
    QuoteDocument.objects.filter(pk=document.pk).update(
        queued_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_request_quote_pdf(quote)
    assert len(callbacks) == 1
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY


def test_it_links_the_pdf_panel_from_the_quote_page(client_for, alice, quote):
    """The editor loads the PDF panel; without htmx the PDF page works on its own."""
    client = client_for(alice)
    detail = client.get(f"/quotes/{quote.public_id}/").content.decode()
    assert f'hx-get="{_pdf_url(quote)}"' in detail
    page = client.get(_pdf_url(quote))
    assert page.status_code == 200
    assert "Prepare PDF" in page.content.decode()


def test_it_checks_ownership(client_for, charlie, quote, django_capture_on_commit_callbacks):
    """Charlie gets 404 for Alpha's PDF panel and document."""
    with django_capture_on_commit_callbacks(execute=True):
        document = do_request_quote_pdf(quote)
    client = client_for(charlie)
    assert client.get(_pdf_url(quote)).status_code == 404
    assert client.post(_pdf_url(quote)).status_code == 404
    assert client.get(_download_url(document)).status_code == 404
