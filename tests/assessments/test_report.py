"""The assessment report PDF: score per category, findings by severity, recommended services,
the same footer as every document; prepared by a Celery task with a visible state."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image
from pypdf import PdfReader

from quotes import pdf
from quotes.assessments import actions
from quotes.assessments.models import AssessmentReport, Finding
from quotes.assessments.photos import prepare_photo
from quotes.models import DocumentStatus
from tests.pdf.helpers import pdf_text

HX = {"HX-Request": "true"}


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def answered(alpha, assessment, answer, question, services, _media):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    actions.do_update_question(question("backup_daily"), service=services["backup"])
    actions.do_update_question(question("mfa_email"), service=services["mfa"])
    answer(
        backup_daily="no",  # critical
        backup_offsite="yes",
        backup_immutable="yes",
        backup_tested="no",  # high
        mfa_email="no",  # critical
        email_training="unknown",  # medium
        doc_contacts=("no", ""),  # low
        network_firewall="yes",
    )
    finding = Finding.objects.get(assessment=assessment, question__key="backup_tested")
    actions.do_update_finding(
        finding, notes="No restore test on record.", photo=prepare_photo(_jpeg())
    )
    return assessment


def _jpeg(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile("rack.jpg", buffer.getvalue(), content_type="image/jpeg")


def _report_pdf(client, assessment, capture):
    url = f"/assessments/{assessment.public_id}/report/"
    with capture(execute=True):
        client.post(url, headers=HX)
    report = AssessmentReport.objects.get(assessment=assessment)
    assert report.status == DocumentStatus.READY
    response = client.get(f"/assessments/{assessment.public_id}/reports/{report.public_id}/")
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_it_shows_scores_per_category(
    client_for, alice, answered, django_capture_on_commit_callbacks
):
    """Backup: yes ×2 (high), no ×2 (critical, high) → 6 of 13 → 46 %; identity 0 %."""
    text = pdf_text(_report_pdf(client_for(alice), answered, django_capture_on_commit_callbacks))
    assert "Score per category" in text
    assert "Backup and recovery 46 %" in text
    assert "Identity and MFA 0 %" in text
    assert "Network 100 %" in text
    assert "Patch management – 0 / 5" in text  # nothing answered yet


def test_it_lists_findings_by_severity(
    client_for, alice, answered, django_capture_on_commit_callbacks
):
    """Critical before high before medium before low, with notes."""
    text = pdf_text(_report_pdf(client_for(alice), answered, django_capture_on_commit_callbacks))
    section = text[text.index("Findings by severity") :]
    order = [
        section.index(label) for label in ("CRITICAL (2)", "HIGH (1)", "MEDIUM (1)", "LOW (1)")
    ]
    assert order == sorted(order)
    assert section.index("No reliable daily backup") < section.index("HIGH (1)")
    assert section.index("Backup restores are never tested") < section.index("MEDIUM (1)")
    assert "No restore test on record." in section


def test_it_recommends_the_linked_services(
    client_for, alice, answered, django_capture_on_commit_callbacks
):
    """Each linked service once, with its price, and the findings it addresses."""
    text = pdf_text(_report_pdf(client_for(alice), answered, django_capture_on_commit_callbacks))
    section = text[text.index("Recommended services") :]
    assert "Managed server backup" in section
    assert "39.00 EUR / Server" in section
    assert "MFA rollout" in section
    assert "MFA is not enforced for email accounts" in section


def test_it_carries_the_footer_and_the_photo(
    client_for, alice, answered, django_capture_on_commit_callbacks
):
    """Same footer as quotes (label + tax ID, page x of y); the finding's photo is embedded."""
    content = _report_pdf(client_for(alice), answered, django_capture_on_commit_callbacks)
    text = pdf_text(content)
    assert "USt-IdNr.: DE136695976" in text
    assert "Page 1 of" in text
    images = {image.name for page in PdfReader(io.BytesIO(content)).pages for image in page.images}
    assert len(images) == 1


def test_it_shows_being_prepared_then_ready(
    client_for, alice, answered, django_capture_on_commit_callbacks
):
    """The panel polls every second until the task has stored the PDF."""
    client = client_for(alice)
    url = f"/assessments/{answered.public_id}/report/"
    with django_capture_on_commit_callbacks() as callbacks:
        html = client.post(url, headers=HX).content.decode()
    assert 'data-pdf-state="pending"' in html and 'hx-trigger="every 1s"' in html
    callbacks[0]()
    html = client.get(url, headers=HX).content.decode()
    assert 'data-pdf-state="ready"' in html and "every 1s" not in html


def test_it_flags_a_report_older_than_the_assessment(
    client_for, alice, answered, answer, django_capture_on_commit_callbacks
):
    """Answers changed after the report: the panel says so."""
    client = client_for(alice)
    _report_pdf(client, answered, django_capture_on_commit_callbacks)
    answer(network_guest_wifi="no")
    html = client.get(f"/assessments/{answered.public_id}/report/", headers=HX).content.decode()
    assert "The assessment changed since this report was made." in html


def test_it_speaks_the_customers_language_whatever_language_is_active(answered):
    """A German customer's report made while English is active (a staff request, the worker):
    severities and country names in German."""
    answered.customer.language = "de"
    answered.customer.save()
    with translation.override("en"):
        text = pdf_text(pdf.render_assessment_report(answered, created=timezone.now()))
    assert "Befunde nach Schweregrad" in text
    assert "KRITISCH (2)" in text
    assert "CRITICAL" not in text
    assert "Deutschland" in text
    assert "Germany" not in text
