"""Each workspace gets its own copy of the built-in questionnaire and can edit it."""

from quotes.assessments import actions
from quotes.assessments.defaults import QUESTIONNAIRE
from quotes.assessments.models import AssessmentAnswer, AssessmentCategory, AssessmentQuestion

CATEGORY_KEYS = ["backup", "patching", "endpoint", "identity", "email", "network", "documentation"]


def test_it_seeds_the_built_in_questionnaire_once(alpha):
    """Seven categories, 30–50 questions, each with severity, risky answers and a finding."""
    actions.ensure_questionnaire(alpha)
    actions.ensure_questionnaire(alpha)
    categories = list(AssessmentCategory.objects.filter(workspace=alpha))
    assert [c.key for c in categories] == CATEGORY_KEYS
    questions = AssessmentQuestion.objects.filter(workspace=alpha)
    assert 30 <= questions.count() <= 50
    assert questions.count() == sum(len(c.questions) for c in QUESTIONNAIRE)
    for q in questions:
        assert q.risky_answers and q.finding_title and q.severity
    assert {q.severity for q in questions} == {"low", "medium", "high", "critical"}


def test_it_keeps_questionnaires_per_workspace(alpha, charlie_ws):
    """Editing Alpha's question leaves Charlie's copy alone."""
    actions.ensure_questionnaire(alpha)
    actions.ensure_questionnaire(charlie_ws)
    mine = AssessmentQuestion.objects.get(workspace=alpha, key="mfa_email")
    actions.do_update_question(mine, text="MFA for everyone?", severity="high")
    theirs = AssessmentQuestion.objects.get(workspace=charlie_ws, key="mfa_email")
    assert theirs.text != "MFA for everyone?"
    assert theirs.severity == "critical"


def test_it_adds_edits_and_deletes_questions_through_the_pages(client_for, alice, alpha, services):
    """A member adds a question linked to a service, edits it, and deletes it."""
    client = client_for(alice)
    assert client.get("/assessments/questionnaire/").status_code == 200
    category = AssessmentCategory.objects.get(workspace=alpha, key="backup")
    data = {
        "category": category.public_id,
        "text": "Is the NAS backed up?",
        "risky_answers": ["no", "unknown"],
        "severity": "high",
        "finding_title": "NAS without backup",
        "service": services["backup"].public_id,
        "active": "on",
    }
    assert client.post("/assessments/questionnaire/questions/new/", data).status_code == 302
    question = AssessmentQuestion.objects.get(workspace=alpha, text="Is the NAS backed up?")
    assert question.service == services["backup"]
    assert question.category == category

    data["severity"] = "critical"
    url = f"/assessments/questionnaire/questions/{question.public_id}/"
    assert client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.severity == "critical"

    assert client.post(url + "delete/").status_code == 302
    assert not AssessmentQuestion.objects.filter(pk=question.pk).exists()


def test_it_deactivates_an_answered_question_instead_of_deleting_it(assessment, answer, question):
    """Answers keep their question: an answered question only becomes inactive."""
    answer(backup_tested="no")
    q = question("backup_tested")
    assert actions.do_delete_question(q) is False
    q.refresh_from_db()
    assert q.active is False
    assert AssessmentAnswer.objects.filter(question=q).exists()


def test_it_renames_and_adds_categories(client_for, alice, alpha):
    """Categories can be renamed and added."""
    client = client_for(alice)
    client.get("/assessments/questionnaire/")
    category = AssessmentCategory.objects.get(workspace=alpha, key="email")
    url = f"/assessments/questionnaire/categories/{category.public_id}/"
    assert client.post(url, {"name": "Mail"}).status_code == 302
    category.refresh_from_db()
    assert category.name == "Mail"
    client.post("/assessments/questionnaire/categories/new/", {"name": "Printers"})
    assert AssessmentCategory.objects.filter(workspace=alpha, name="Printers").exists()
