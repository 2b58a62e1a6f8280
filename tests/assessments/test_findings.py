"""Answers → findings: a risky answer opens a finding with the question's severity; a safe
answer removes it again (or resolves it once someone has worked on it)."""

from quotes.assessments import actions
from quotes.assessments.models import AssessmentAnswer, Finding, FindingStatus

HX = {"HX-Request": "true"}


def test_it_creates_a_finding_for_a_risky_answer(assessment, answer, question):
    """ "No" to a critical question: a critical finding titled as the question says."""
    counts = answer(mfa_email="no", backup_daily="yes")
    finding = Finding.objects.get(assessment=assessment)
    q = question("mfa_email")
    assert counts["created"] == 1
    assert finding.question == q
    assert finding.severity == "critical" == q.severity
    assert finding.title == q.finding_title
    assert finding.status == FindingStatus.OPEN


def test_it_follows_each_questions_risky_answers(assessment, answer):
    """ "Partly" is risky for critical questions only; "not applicable" never is."""
    answer(mfa_email="partly", backup_tested="partly", mfa_remote="na")
    titles = set(
        Finding.objects.filter(assessment=assessment).values_list("question__key", flat=True)
    )
    assert titles == {"mfa_email"}


def test_it_removes_the_finding_when_the_answer_becomes_safe(assessment, answer):
    """Changing "no" back to "yes" removes an untouched finding."""
    answer(mfa_email="no")
    counts = answer(mfa_email="yes")
    assert counts["removed"] == 1
    assert not Finding.objects.filter(assessment=assessment).exists()


def test_it_resolves_a_worked_on_finding_and_reopens_it(assessment, answer):
    """A finding with notes is resolved, not deleted; a risky answer reopens it."""
    answer(backup_tested="no")
    finding = Finding.objects.get(assessment=assessment)
    actions.do_update_finding(finding, notes="Last restore test: never.")
    answer(backup_tested="yes")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED
    answer(backup_tested="unknown")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    assert finding.notes == "Last restore test: never."
    assert Finding.objects.filter(assessment=assessment).count() == 1


def test_it_links_the_questions_service(assessment, answer, question, services):
    """A question linked to a catalog service passes the link on to its findings."""
    actions.do_update_question(question("endpoint_edr"), service=services["edr"])
    answer(endpoint_edr="no")
    assert Finding.objects.get(assessment=assessment).service == services["edr"]


def test_it_saves_answers_through_the_page(client_for, alice, assessment, question):
    """The questionnaire form: risky answers show up as findings on the page."""
    client = client_for(alice)
    q = question("network_exposed")
    url = f"/assessments/{assessment.public_id}/answers/"
    response = client.post(url, {f"answer-{q.public_id}": "no", f"note-{q.public_id}": "RDP open"})
    assert response.status_code == 302
    assert AssessmentAnswer.objects.get(assessment=assessment, question=q).note == "RDP open"
    page = client.get(response["Location"]).content.decode()
    assert q.finding_title in page


def test_it_answers_htmx_saves_with_the_findings(client_for, alice, assessment, question):
    """Saving with htmx returns the notice and the findings panel out of band."""
    client = client_for(alice)
    q = question("email_filtering")
    url = f"/assessments/{assessment.public_id}/answers/"
    html = client.post(url, {f"answer-{q.public_id}": "unknown"}, headers=HX).content.decode()
    assert "Answers saved. 1 new findings." in html
    assert 'id="findings"' in html and 'hx-swap-oob="true"' in html
    assert q.finding_title in html


def test_it_rejects_unknown_answer_values(client_for, alice, assessment, question):
    """A value outside the choices is an error, nothing is stored."""
    q = question("email_filtering")
    url = f"/assessments/{assessment.public_id}/answers/"
    response = client_for(alice).post(url, {f"answer-{q.public_id}": "maybe"})
    assert response.status_code == 200
    assert not AssessmentAnswer.objects.filter(assessment=assessment).exists()


def test_it_adds_and_edits_findings(client_for, alice, assessment, services):
    """A manual finding, then its severity, notes and service through the edit page."""
    client = client_for(alice)
    base = f"/assessments/{assessment.public_id}/findings/"
    client.post(base + "new/", {"title": "Server room unlocked", "severity": "high"})
    finding = Finding.objects.get(assessment=assessment, title="Server room unlocked")
    assert finding.question is None
    response = client.post(
        f"{base}{finding.public_id}/",
        {
            "title": finding.title,
            "severity": "critical",
            "notes": "Door propped open",
            "service": services["backup"].public_id,
            "status": "open",
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.severity, finding.notes, finding.service) == (
        "critical",
        "Door propped open",
        services["backup"],
    )
