"""Suicide-risk screening and crisis levels (docs/domain.md section 5)."""

from hotline.risk.triage import (
    COLOURS,
    ESCALATING,
    FLASHING,
    LEVEL_ORDER,
    PROTECTIVE_FACTORS,
    QUESTIONS,
    RiskLevel,
    Screener,
    branching_errors,
    is_lower,
    missing_answers,
    suggested_level,
)

__all__ = [
    "COLOURS",
    "ESCALATING",
    "FLASHING",
    "LEVEL_ORDER",
    "PROTECTIVE_FACTORS",
    "QUESTIONS",
    "RiskLevel",
    "Screener",
    "branching_errors",
    "is_lower",
    "missing_answers",
    "suggested_level",
]
