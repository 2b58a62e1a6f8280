"""The assessment report is a business letter too: its footer carries the particulars."""

from django.utils import timezone

from quotes import pdf
from tests.pdf.helpers import pdf_text


def test_it_prints_the_company_particulars(assessment):
    workspace = assessment.workspace
    workspace.legal_form = "GmbH"
    workspace.registered_seat = "Berlin"
    workspace.register_court = "Amtsgericht Charlottenburg"
    workspace.register_number = "HRB 12345 B"
    workspace.managing_directors = "Anna Muster"
    workspace.save()
    assessment.customer.language = "de"
    assessment.customer.save()
    text = pdf_text(pdf.render_assessment_report(assessment, created=timezone.now()))
    assert "Sitz: Berlin" in text
    assert "Amtsgericht Charlottenburg, HRB 12345 B" in text
    assert "Geschäftsführer: Anna Muster" in text


def test_it_prints_them_in_english_for_other_languages(assessment):
    """The report exists in English and German only: a French customer reads English."""
    workspace = assessment.workspace
    workspace.legal_form, workspace.registered_seat = "GmbH", "Berlin"
    workspace.save()
    assessment.customer.language = "fr"
    assessment.customer.save()
    text = pdf_text(pdf.render_assessment_report(assessment, created=timezone.now()))
    assert "Registered office: Berlin" in text
