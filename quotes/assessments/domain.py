"""Assessment rules over plain values: which answers are risky, what happens to a finding when
an answer changes, scores per category, and quote quantities from a project's counts.

Pure: no ORM, no settings, no clock. The string values match the model choices in
``quotes.assessments.models`` (a test checks they do).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from quotes.domain import ProjectCounts

# Severities, most severe first (the order of the report).
CRITICAL = "critical"
HIGH = "high"
MEDIUM = "medium"
LOW = "low"
SEVERITIES = (CRITICAL, HIGH, MEDIUM, LOW)
SEVERITY_WEIGHT = {LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4}

YES = "yes"
PARTLY = "partly"
NO = "no"
UNKNOWN = "unknown"
NOT_APPLICABLE = "na"
ANSWERS = (YES, PARTLY, NO, UNKNOWN, NOT_APPLICABLE)
# Points an answer earns towards its category's score; "not applicable" does not count.
ANSWER_POINTS = {YES: Decimal(1), PARTLY: Decimal("0.5"), NO: Decimal(0), UNKNOWN: Decimal(0)}

GOOD_SCORE = 80
FAIR_SCORE = 50


def is_risky(answer: str | None, risky_answers: Iterable[str]) -> bool:
    return bool(answer) and answer in set(risky_answers)


# What a changed answer does to the finding of its question.
CREATE = "create"
REOPEN = "reopen"
KEEP = "keep"
REMOVE = "remove"
RESOLVE = "resolve"
NOTHING = "nothing"


def finding_action(risky: bool, finding_status: str | None, touched: bool) -> str:
    """``finding_status`` is None (no finding), "open" or "resolved".

    A risky answer opens a finding (a resolved one is reopened). An answer that is no longer
    risky removes a finding nobody has worked on, and resolves one with notes, a photo or a
    quote, so that work is not lost.
    """
    if risky:
        if finding_status is None:
            return CREATE
        return REOPEN if finding_status == "resolved" else KEEP
    if finding_status == "open":
        return RESOLVE if touched else REMOVE
    return NOTHING


@dataclass(frozen=True)
class ScoredAnswer:
    category: object  # whatever identifies the category for the caller
    severity: str
    answer: str | None  # None: not answered yet


@dataclass(frozen=True)
class CategoryScore:
    category: object
    score: int | None  # percent, None when nothing applicable is answered
    answered: int
    total: int

    @property
    def band(self) -> str:
        return score_band(self.score)


def _score(answers: Sequence[ScoredAnswer]) -> int | None:
    """Severity-weighted share of points, in whole percent (half up)."""
    weights = points = Decimal(0)
    for a in answers:
        if a.answer in ANSWER_POINTS:
            weight = SEVERITY_WEIGHT[a.severity]
            weights += weight
            points += weight * ANSWER_POINTS[a.answer]
    if not weights:
        return None
    return int((points * 100 / weights).quantize(Decimal(1), ROUND_HALF_UP))


def category_scores(
    categories: Sequence[object], answers: Iterable[ScoredAnswer]
) -> list[CategoryScore]:
    """One score per category, in the given order; questions of other categories are ignored."""
    by_category: dict[object, list[ScoredAnswer]] = {c: [] for c in categories}
    for a in answers:
        if a.category in by_category:
            by_category[a.category].append(a)
    return [
        CategoryScore(
            category=c,
            score=_score(rows),
            answered=sum(1 for a in rows if a.answer),
            total=len(rows),
        )
        for c, rows in by_category.items()
    ]


def overall_score(answers: Iterable[ScoredAnswer]) -> int | None:
    return _score(list(answers))


def score_band(score: int | None) -> str:
    if score is None:
        return "none"
    if score >= GOOD_SCORE:
        return "good"
    return "fair" if score >= FAIR_SCORE else "poor"


def severity_rank(severity: str) -> int:
    """0 for critical … 3 for low: sorts the most severe first."""
    return SEVERITIES.index(severity)


# Quote lines from findings


WORKSTATION = "workstation"
SERVER = "server"
USER = "user"


def line_quantity(unit: str, counts: ProjectCounts) -> Decimal:
    """A per-device or per-user service covers the project's count; anything else once."""
    count = {
        WORKSTATION: counts.workstations,
        SERVER: counts.servers,
        USER: counts.users,
    }.get(unit, 0)
    return Decimal(count if count > 0 else 1)
