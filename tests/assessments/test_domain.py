"""Assessment rules over plain values (pure)."""

from decimal import Decimal

import pytest

from quotes.assessments import domain
from quotes.assessments.models import Answer, Severity
from quotes.domain import ProjectCounts


def test_it_uses_the_model_values():
    """The pure module's constants are the stored choice values."""
    assert set(domain.SEVERITIES) == set(Severity.values)
    assert set(domain.ANSWERS) == set(Answer.values)


@pytest.mark.parametrize(
    ("risky", "status", "touched", "action"),
    [
        (True, None, False, domain.CREATE),
        (True, "open", False, domain.KEEP),
        (True, "resolved", True, domain.REOPEN),
        (False, "open", False, domain.REMOVE),
        (False, "open", True, domain.RESOLVE),
        (False, "resolved", True, domain.NOTHING),
        (False, None, False, domain.NOTHING),
    ],
)
def test_it_decides_what_an_answer_does_to_its_finding(risky, status, touched, action):
    """Risky opens; safe removes untouched findings and resolves worked-on ones."""
    assert domain.finding_action(risky, status, touched) == action


def test_it_scores_categories_weighted_by_severity():
    """Yes = 1, partly = ½, no/unknown = 0, weighted 4/3/2/1; n/a and blanks don't count."""
    answers = [
        domain.ScoredAnswer("a", domain.CRITICAL, domain.YES),  # 4 of 4
        domain.ScoredAnswer("a", domain.LOW, domain.NO),  # 0 of 1
        domain.ScoredAnswer("a", domain.HIGH, domain.NOT_APPLICABLE),
        domain.ScoredAnswer("b", domain.MEDIUM, domain.PARTLY),  # 1 of 2
        domain.ScoredAnswer("b", domain.MEDIUM, None),
        domain.ScoredAnswer("c", domain.HIGH, None),
    ]
    scores = domain.category_scores(["a", "b", "c"], answers)
    assert [(s.category, s.score, s.answered, s.total) for s in scores] == [
        ("a", 80, 3, 3),
        ("b", 50, 1, 2),
        ("c", None, 0, 1),
    ]
    assert [s.band for s in scores] == ["good", "fair", "none"]
    assert domain.overall_score(answers) == 71  # 5 of 7


@pytest.mark.parametrize(
    ("unit", "quantity"),
    [("workstation", 12), ("server", 2), ("user", 15), ("hour", 1), ("unit", 1)],
)
def test_it_takes_quantities_from_the_project(unit, quantity):
    """Per-device and per-user services cover the project's count; others once."""
    counts = ProjectCounts(workstations=12, servers=2, users=15)
    assert domain.line_quantity(unit, counts) == Decimal(quantity)


def test_it_never_quotes_zero():
    """A project without servers still gets one server backup line."""
    assert domain.line_quantity("server", ProjectCounts()) == Decimal(1)
