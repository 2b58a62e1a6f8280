"""Alpha's customer with a project, catalog services, and an assessment of that customer."""

from decimal import Decimal

import pytest

from quotes.assessments import actions
from quotes.assessments.models import AssessmentQuestion
from quotes.models import Service
from tests import factories


@pytest.fixture
def acme(alpha):
    return factories.customer(alpha, "DE")


@pytest.fixture
def office(alpha, acme):
    return factories.project(acme)


@pytest.fixture
def services(alpha):
    def make(name, price, unit, period="monthly"):
        return Service.objects.create(
            workspace=alpha,
            name=name,
            unit_price=Decimal(price),
            unit=unit,
            billing_period=period,
        )

    return {
        "backup": make("Managed server backup", "39.00", "server"),
        "edr": make("Managed EDR", "6.50", "workstation"),
        "mfa": make("MFA rollout", "450.00", "unit", "one_time"),
        "m365": make("M365 security baseline", "3.00", "user"),
    }


@pytest.fixture
def assessment(alpha, alice, acme, office):
    return actions.do_create_assessment(alpha, acme, project=office, user=alice, title="Q1 check")


@pytest.fixture
def question(alpha):
    """A question of Alpha's questionnaire by its built-in key."""

    def _get(key):
        return AssessmentQuestion.objects.get(workspace=alpha, key=key)

    return _get


@pytest.fixture
def answer(assessment, question):
    """Save answers {key: value} (or {key: (value, note)}) through the action."""

    def _answer(**values):
        answers = {}
        for key, value in values.items():
            value, note = value if isinstance(value, tuple) else (value, "")
            answers[question(key)] = (value, note)
        return actions.do_save_answers(assessment, answers)

    return _answer
