"""An IT assessment in a real browser: answers save as they are clicked (htmx), risky ones
appear as findings, the findings become a quote in one click, and the report PDF is prepared
while the panel says so."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer, Project
from mspercury.models import Workspace
from quotes.assessments.actions import do_update_question, ensure_questionnaire
from quotes.assessments.models import AssessmentQuestion
from quotes.models import Service

pytestmark = pytest.mark.browser


def _question(workspace, key):
    return AssessmentQuestion.objects.get(workspace=workspace, key=key)


def test_it_runs_an_assessment_into_a_quote(page, sign_up):
    sign_up(page)
    workspace = Workspace.objects.get(name="Erin IT")
    customer = Customer.objects.create(workspace=workspace, company_name="Globex GmbH")
    Project.objects.create(workspace=workspace, customer=customer, name="HQ", workstations=8)
    edr = Service.objects.create(
        workspace=workspace, name="Managed EDR", unit="workstation", unit_price=Decimal("6.50")
    )
    ensure_questionnaire(workspace)
    do_update_question(_question(workspace, "endpoint_edr"), service=edr)

    page.goto("/assessments/")
    page.get_by_role("link", name="New assessment").click()
    page.select_option("#id_customer", label="Globex GmbH")
    page.select_option("#id_project", label="Globex GmbH – HQ")
    page.get_by_role("button", name="Start assessment").click()
    expect(page.get_by_role("heading", name="Backup and recovery")).to_be_visible()

    edr_question = _question(workspace, "endpoint_edr")
    page.locator(f"#q-{edr_question.public_id} input[value=no]").check()
    expect(page.locator("#answers-status")).to_contain_text("1 new findings")
    expect(page.locator("#findings")).to_contain_text("Devices without managed antivirus / EDR")
    expect(page.locator("#findings")).to_contain_text("Managed EDR")
    mfa = _question(workspace, "mfa_email")
    page.locator(f"#q-{mfa.public_id} input[value=unknown]").check()
    expect(page.locator("#findings")).to_contain_text("MFA is not enforced for email accounts")
    page.locator(f"#q-{mfa.public_id} input[value=yes]").check()
    expect(page.locator("#findings")).not_to_contain_text("MFA is not enforced")

    page.get_by_role("button", name="Prepare report PDF").click()
    expect(page.locator('#report [data-pdf-state="ready"]')).to_be_visible()
    page.locator(f"#q-{edr_question.public_id}").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/assessment.png")

    page.get_by_role("button", name="Create quote from findings").click()
    expect(page.locator(".message.success")).to_contain_text("created from the findings")
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator("#lines")).to_contain_text("Managed EDR")
    expect(page.locator('[data-total="monthly"]')).to_have_text("52.00 EUR")  # 8 × 6.50
