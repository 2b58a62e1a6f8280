"""Assessment pages: list (constant queries), creation, the detail page, status; ownership."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from quotes.assessments import actions
from quotes.assessments.models import Assessment, AssessmentStatus


def test_it_starts_an_assessment_for_a_customer_and_project(client_for, alice, acme, office):
    """The form creates the assessment (and the workspace's questionnaire) and opens it."""
    client = client_for(alice)
    response = client.post(
        "/assessments/new/",
        {
            "customer": acme.public_id,
            "project": office.public_id,
            "title": "Kick-off",
            "performed_on": "2026-02-03",
        },
    )
    assessment = Assessment.objects.get(customer=acme)
    assert response["Location"] == f"/assessments/{assessment.public_id}/"
    assert assessment.project == office
    page = client.get(response["Location"]).content.decode()
    assert "Backup and recovery" in page
    assert "Has a restore from backup been tested in the last six months?" in page


def test_it_refuses_a_project_of_another_customer(client_for, alice, alpha, office):
    """Customer and project must match."""
    other = Customer.objects.create(workspace=alpha, company_name="Other AG")
    response = client_for(alice).post(
        "/assessments/new/",
        {"customer": other.public_id, "project": office.public_id, "performed_on": "2026-02-03"},
    )
    assert response.status_code == 200
    assert "This project belongs to another customer." in response.content.decode()
    assert not Assessment.objects.exists()


def test_it_marks_an_assessment_completed_and_reopens_it(client_for, alice, assessment):
    """The status button toggles between completed and in progress."""
    client = client_for(alice)
    url = f"/assessments/{assessment.public_id}/status/"
    client.post(url, {"status": "completed"})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED and assessment.completed_at
    client.post(url, {"status": "in_progress"})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS and assessment.completed_at is None


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_lists_assessments_with_constant_queries(client_for, alice, alpha, acme, answer):
    """The list runs as many queries for 20 assessments as for 2, and filters by customer."""
    client = client_for(alice)
    for _ in range(2):
        actions.do_create_assessment(alpha, acme)
    answer(mfa_email="no")
    client.get("/assessments/")
    few = _count(client, "/assessments/")
    for _ in range(18):
        actions.do_create_assessment(alpha, acme)
    many = _count(client, "/assessments/")
    assert few == many
    other = Customer.objects.create(workspace=alpha, company_name="Other AG")
    html = client.get(f"/assessments/?customer={other.public_id}").content.decode()
    assert "No IT assessments yet" in html


def test_it_shows_the_detail_page_with_constant_queries(client_for, alice, assessment, answer):
    """The questionnaire page does not query per question or per finding."""
    client = client_for(alice)
    url = f"/assessments/{assessment.public_id}/"
    client.get(url)
    before = _count(client, url)
    answer(mfa_email="no", mfa_remote="no", backup_daily="no", email_filtering="unknown")
    assert _count(client, url) == before


def test_it_lists_only_the_workspaces_assessments(client_for, alice, charlie, assessment):
    """Charlie's list does not show Alpha's assessment."""
    html = client_for(charlie).get("/assessments/").content.decode()
    assert str(assessment.public_id) not in html
    assert "Acme GmbH" not in html


@pytest.mark.parametrize(
    "suffix",
    ["", "answers/", "status/", "findings/new/", "quote/", "report/"],
)
def test_it_checks_ownership(client_for, charlie, assessment, suffix):
    """Charlie gets 404 on every URL of Alpha's assessment, GET and POST."""
    client = client_for(charlie)
    url = f"/assessments/{assessment.public_id}/{suffix}"
    assert client.post(url).status_code in (404, 405)
    assert client.get(url).status_code in (404, 405)
    assert 404 in (client.post(url).status_code, client.get(url).status_code)
