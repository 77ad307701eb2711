"""The suicide-risk screen (Columbia C-SSRS screen) and its triage, as pure functions.

docs/domain.md 5: ask Q1 (wished to be dead) and Q2 (thoughts of killing oneself); if Q2 is yes
ask Q3 (thought about how), Q4 (intention to act) and Q5 (worked out the details / intends to carry
out the plan); always ask Q6 (ever done, started or prepared anything to end one's life) and, if
yes, whether that was within the past 3 months. Whether the situation is imminent (attempt in
progress, or means at hand and intent now) is a separate judgement of the counselor that may be
recorded at any time.

Triage: yes to Q1 or Q2 only -> low; yes to Q3, or behaviour more than 3 months ago -> moderate;
yes to Q4 or Q5, or behaviour within 3 months -> high; imminent -> imminent; nothing -> none.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    IMMINENT = "imminent"


LEVEL_ORDER: tuple[RiskLevel, ...] = (
    RiskLevel.NONE,
    RiskLevel.LOW,
    RiskLevel.MODERATE,
    RiskLevel.HIGH,
    RiskLevel.IMMINENT,
)
_RANK: dict[RiskLevel, int] = {level: rank for rank, level in enumerate(LEVEL_ORDER)}


def is_lower(a: RiskLevel, b: RiskLevel) -> bool:
    """True when level `a` is strictly lower than level `b` (e.g. a downward override)."""
    return _RANK[a] < _RANK[b]


def highest(levels: Iterable[RiskLevel]) -> RiskLevel | None:
    """The highest of the given levels, None for none given."""
    return max(levels, key=_RANK.__getitem__, default=None)


COLOURS: dict[RiskLevel, str] = {
    RiskLevel.NONE: "green",
    RiskLevel.LOW: "yellow",
    RiskLevel.MODERATE: "orange",
    RiskLevel.HIGH: "red",
    RiskLevel.IMMINENT: "red",
}
FLASHING: frozenset[RiskLevel] = frozenset({RiskLevel.IMMINENT})
# Levels that raise an escalation to the crisis team at once (even mid-call).
ESCALATING: frozenset[RiskLevel] = frozenset({RiskLevel.HIGH, RiskLevel.IMMINENT})

PROTECTIVE_FACTORS: tuple[str, ...] = (
    "supports",
    "future_plans",
    "reasons_for_living",
    "ambivalence",
    "faith",
    "responsibility_to_others",
    "engaged_in_care",
)

# The yes/no questions in the order they are asked (`imminent` is not one of them).
QUESTIONS: tuple[str, ...] = (
    "q1_wish_dead",
    "q2_suicidal_thoughts",
    "q3_method",
    "q4_intent",
    "q5_plan",
    "q6_behaviour",
    "q6_within_3_months",
)
# Question -> the question whose "yes" opens it; the others are always asked.
GATES: dict[str, str] = {
    "q3_method": "q2_suicidal_thoughts",
    "q4_intent": "q2_suicidal_thoughts",
    "q5_plan": "q2_suicidal_thoughts",
    "q6_within_3_months": "q6_behaviour",
}

NOT_ASKED = "not_asked"


class Screener(BaseModel):
    """The screener answers of a call note: True/False, or None for not asked (yet).

    Strict types: answers must be JSON booleans and ratings integers (no "yes", 1 or "5").
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    q1_wish_dead: bool | None = None
    q2_suicidal_thoughts: bool | None = None
    q3_method: bool | None = None
    q4_intent: bool | None = None
    q5_plan: bool | None = None
    q6_behaviour: bool | None = None
    q6_within_3_months: bool | None = None
    imminent: bool | None = None
    # The national guideline's 0-10 ratings: recorded only, they do not change the suggested level.
    intensity: int | None = Field(default=None, ge=0, le=10)
    hopelessness: int | None = Field(default=None, ge=0, le=10)
    protective_factors: list[str] = Field(default_factory=list)

    @field_validator("protective_factors")
    @classmethod
    def _known_factors(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in PROTECTIVE_FACTORS]
        if unknown:
            raise ValueError(f"unknown protective factor: {', '.join(unknown)}")
        return list(dict.fromkeys(value))  # drop repeats, keep the order given


def _answer(s: Screener, question: str) -> bool | None:
    value: bool | None = getattr(s, question)
    return value


def _is_asked(s: Screener, question: str) -> bool:
    """Whether the branching opens `question` given the answers so far."""
    gate = GATES.get(question)
    return gate is None or _answer(s, gate) is True


def branching_errors(s: Screener) -> dict[str, str]:
    """Answers to questions the branching skips (Q3-Q5 unless Q2 is yes, the 3-month question
    unless Q6 is yes; also while the opening question is still unanswered): field -> "not_asked".
    """
    return {q: NOT_ASKED for q in QUESTIONS if _answer(s, q) is not None and not _is_asked(s, q)}


def missing_answers(s: Screener) -> list[str]:
    """Questions the branching opens that are still unanswered, in question order.

    Empty means the screen is complete. `imminent` is a separate judgement, never required.
    """
    return [q for q in QUESTIONS if _is_asked(s, q) and _answer(s, q) is None]


def suggested_level(s: Screener) -> RiskLevel | None:
    """The level the answers given so far support.

    - Any "yes" gives its level (the DESIGN table) and the result is the highest of them:
      imminent -> imminent; Q4 or Q5, or behaviour (Q6) within 3 months -> high; Q3, or
      behaviour more than 3 months ago -> moderate; Q1 or Q2 -> low. Behaviour whose timing is
      not answered yet counts as moderate (the least it can be) until the 3-month question is.
    - Without any "yes": `none` only when the screen is complete (`missing_answers` empty);
      otherwise None. A partial screen never suggests "no risk".
    - The intensity and hopelessness ratings and the protective factors are recorded only; they
      never change the suggestion.
    - Branching is not checked here (see `branching_errors`): a "yes" to a question the branching
      skips still counts, so an inconsistent screen errs upward, never downward.
    """
    levels: list[RiskLevel] = []
    if s.imminent is True:
        levels.append(RiskLevel.IMMINENT)
    if s.q4_intent is True or s.q5_plan is True:
        levels.append(RiskLevel.HIGH)
    if s.q3_method is True:
        levels.append(RiskLevel.MODERATE)
    if s.q6_behaviour is True or s.q6_within_3_months is True:
        if s.q6_within_3_months is True:
            levels.append(RiskLevel.HIGH)
        else:
            levels.append(RiskLevel.MODERATE)
    if s.q1_wish_dead is True or s.q2_suicidal_thoughts is True:
        levels.append(RiskLevel.LOW)
    if levels:
        return highest(levels)
    if not missing_answers(s):
        return RiskLevel.NONE
    return None
