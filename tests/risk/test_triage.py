"""The C-SSRS screen: every valid combination of answers against the docs/domain.md triage table."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from hotline.risk import (
    COLOURS,
    ESCALATING,
    FLASHING,
    LEVEL_ORDER,
    PROTECTIVE_FACTORS,
    RiskLevel,
    Screener,
    branching_errors,
    is_lower,
    missing_answers,
    suggested_level,
)

Answers = dict[str, bool | None]

ORDER = ["none", "low", "moderate", "high", "imminent"]


def expected_level(a: Answers) -> str:
    """docs/domain.md 5, read row by row from the top of the table down (complete screens)."""
    behaviour_within_3_months = a["q6_behaviour"] is True and a["q6_within_3_months"] is True
    behaviour_before = a["q6_behaviour"] is True and a["q6_within_3_months"] is False
    # imminent: attempt in progress, or means at hand and intent now (the counselor's judgement)
    if a["imminent"] is True:
        return "imminent"
    # high: yes to Q4 or Q5, or behaviour within 3 months
    if a["q4_intent"] is True or a["q5_plan"] is True or behaviour_within_3_months:
        return "high"
    # moderate: yes to Q3, or behaviour more than 3 months ago
    if a["q3_method"] is True or behaviour_before:
        return "moderate"
    # low: yes to Q1 or Q2 only
    if a["q1_wish_dead"] is True or a["q2_suicidal_thoughts"] is True:
        return "low"
    # none: nothing yes
    return "none"


def valid_complete_screens() -> Iterator[Answers]:
    """Every combination the Columbia branching allows, with every opened question answered."""
    yes_no = (True, False)
    for q1, q2, q6, imminent in itertools.product(yes_no, yes_no, yes_no, (True, False, None)):
        q345: list[tuple[bool | None, bool | None, bool | None]] = (
            [(q3, q4, q5) for q3, q4, q5 in itertools.product(yes_no, repeat=3)]
            if q2
            else [(None, None, None)]
        )
        within_options: tuple[bool | None, ...] = yes_no if q6 else (None,)
        for (q3, q4, q5), within in itertools.product(q345, within_options):
            yield {
                "q1_wish_dead": q1,
                "q2_suicidal_thoughts": q2,
                "q3_method": q3,
                "q4_intent": q4,
                "q5_plan": q5,
                "q6_behaviour": q6,
                "q6_within_3_months": within,
                "imminent": imminent,
            }


VALID = list(valid_complete_screens())


def describe(a: Answers) -> str:
    def show(v: bool | None) -> str:
        return {True: "yes", False: "no", None: "-"}[v]

    return " ".join(f"{k}={show(v)}" for k, v in a.items())


def skipped_fields(a: Answers) -> list[str]:
    skipped = []
    if a["q2_suicidal_thoughts"] is not True:
        skipped += ["q3_method", "q4_intent", "q5_plan"]
    if a["q6_behaviour"] is not True:
        skipped.append("q6_within_3_months")
    return skipped


def test_the_enumeration_covers_every_branch() -> None:
    # Q1 (2) x [Q2 no (1) + Q2 yes with Q3-Q5 (8)] x [Q6 no (1) + Q6 yes with timing (2)]
    # x imminent (3)
    assert len(VALID) == 2 * 9 * 3 * 3
    assert len({describe(a) for a in VALID}) == len(VALID)


@pytest.mark.parametrize("answers", VALID, ids=describe)
def test_every_valid_complete_screen(answers: Answers) -> None:
    screener = Screener.model_validate(answers)
    assert branching_errors(screener) == {}, describe(answers)
    assert missing_answers(screener) == [], describe(answers)
    level = suggested_level(screener)
    assert level == expected_level(answers), describe(answers)
    assert isinstance(level, RiskLevel)


def test_every_level_is_reached() -> None:
    reached = {expected_level(a) for a in VALID}
    assert reached == set(ORDER)


def test_every_skipped_question_answered_is_reported() -> None:
    checked = 0
    for answers in VALID:
        skipped = skipped_fields(answers)
        for field in skipped:
            for value in (True, False):
                bad = {**answers, field: value}
                errors = branching_errors(Screener.model_validate(bad))
                assert errors == {field: "not_asked"}, f"{describe(bad)}: {errors}"
                checked += 1
        # all skipped questions answered at once, each with every value
        for values in itertools.product((True, False), repeat=len(skipped)):
            if not skipped:
                break
            bad = {**answers, **dict(zip(skipped, values, strict=True))}
            errors = branching_errors(Screener.model_validate(bad))
            assert errors == dict.fromkeys(skipped, "not_asked"), f"{describe(bad)}: {errors}"
    assert checked > 0


def test_an_inconsistent_screen_errs_upward() -> None:
    for answers in VALID:
        for field in skipped_fields(answers):
            bad = {**answers, field: True}
            level = suggested_level(Screener.model_validate(bad))
            assert level is not None
            assert not is_lower(level, RiskLevel(expected_level(answers))), describe(bad)


@pytest.mark.parametrize(
    ("gate", "field"),
    [
        ("q2_suicidal_thoughts", "q3_method"),
        ("q2_suicidal_thoughts", "q4_intent"),
        ("q2_suicidal_thoughts", "q5_plan"),
        ("q6_behaviour", "q6_within_3_months"),
    ],
)
def test_a_branch_question_before_its_gate_is_answered_is_not_asked(gate: str, field: str) -> None:
    assert branching_errors(Screener.model_validate({field: False})) == {field: "not_asked"}
    assert branching_errors(Screener.model_validate({gate: True, field: False})) == {}
    assert branching_errors(Screener.model_validate({gate: False, field: False})) == {
        field: "not_asked"
    }


@pytest.mark.parametrize("value", [True, False])
def test_imminent_may_be_answered_at_any_time(value: bool) -> None:
    screener = Screener(imminent=value)
    assert branching_errors(screener) == {}
    assert "imminent" not in missing_answers(screener)


def test_missing_answers_follow_the_branching_in_question_order() -> None:
    assert missing_answers(Screener()) == ["q1_wish_dead", "q2_suicidal_thoughts", "q6_behaviour"]
    assert missing_answers(Screener(q2_suicidal_thoughts=True, q6_behaviour=True)) == [
        "q1_wish_dead",
        "q3_method",
        "q4_intent",
        "q5_plan",
        "q6_within_3_months",
    ]
    assert missing_answers(Screener(q1_wish_dead=False, q2_suicidal_thoughts=False)) == [
        "q6_behaviour"
    ]


PARTIAL_CASES: list[tuple[dict[str, Any], str | None]] = [
    ({}, None),
    ({"imminent": False}, None),
    ({"intensity": 10, "hopelessness": 10}, None),
    ({"q1_wish_dead": False}, None),
    ({"q1_wish_dead": False, "q2_suicidal_thoughts": False}, None),
    ({"q1_wish_dead": False, "q6_behaviour": False}, None),
    ({"q2_suicidal_thoughts": True, "q3_method": False, "q6_behaviour": False}, "low"),
    ({"q1_wish_dead": True}, "low"),
    ({"q2_suicidal_thoughts": True}, "low"),
    ({"q2_suicidal_thoughts": True, "q3_method": True}, "moderate"),
    ({"q2_suicidal_thoughts": True, "q4_intent": True}, "high"),
    ({"q2_suicidal_thoughts": True, "q5_plan": True}, "high"),
    ({"q6_behaviour": True}, "moderate"),
    ({"q6_behaviour": True, "q6_within_3_months": False}, "moderate"),
    ({"q6_behaviour": True, "q6_within_3_months": True}, "high"),
    ({"imminent": True}, "imminent"),
    ({"q1_wish_dead": False, "imminent": True}, "imminent"),
]


@pytest.mark.parametrize(("answers", "expected"), PARTIAL_CASES, ids=str)
def test_partial_screens(answers: dict[str, Any], expected: str | None) -> None:
    screener = Screener.model_validate(answers)
    assert missing_answers(screener) != []
    assert suggested_level(screener) == expected


def test_a_partial_screen_never_suggests_no_risk_and_never_more_than_the_full_screen() -> None:
    """Blank out every subset of the answers of every complete screen."""
    fields = list(VALID[0])
    for complete in VALID:
        full = RiskLevel(expected_level(complete))
        answered = [f for f in fields if complete[f] is not None]
        for n in range(1, len(answered) + 1):
            for blanked in itertools.combinations(answered, n):
                partial = {**complete, **dict.fromkeys(blanked)}
                screener = Screener.model_validate(partial)
                level = suggested_level(screener)
                msg = describe(partial)
                if missing_answers(screener):
                    assert level != RiskLevel.NONE, msg
                    any_yes = any(v is True for v in partial.values())
                    assert (level is None) == (not any_yes), msg
                if level is not None:
                    assert not is_lower(full, level), f"{msg}: {level} above {full}"


@pytest.mark.parametrize("rating", [0, 5, 10, None])
def test_ratings_in_range(rating: int | None) -> None:
    screener = Screener(intensity=rating, hopelessness=rating)
    assert screener.intensity == rating
    assert screener.hopelessness == rating


@pytest.mark.parametrize("field", ["intensity", "hopelessness"])
@pytest.mark.parametrize("rating", [-1, 11, 100, 2.5, "5", True])
def test_ratings_out_of_range_or_not_integers_are_rejected(field: str, rating: object) -> None:
    with pytest.raises(ValidationError) as info:
        Screener.model_validate({field: rating})
    assert info.value.errors()[0]["loc"] == (field,)


def test_ratings_do_not_change_the_suggested_level() -> None:
    for answers in VALID:
        for rating in (0, 10):
            screener = Screener.model_validate(
                {**answers, "intensity": rating, "hopelessness": rating}
            )
            assert suggested_level(screener) == expected_level(answers), describe(answers)


def test_protective_factors() -> None:
    screener = Screener(protective_factors=list(PROTECTIVE_FACTORS))
    assert screener.protective_factors == list(PROTECTIVE_FACTORS)
    repeated = Screener(protective_factors=["faith", "supports", "faith"])
    assert repeated.protective_factors == ["faith", "supports"]
    assert Screener().protective_factors == []
    # the factors never lower the suggestion
    high = Screener(q6_behaviour=True, q6_within_3_months=True, protective_factors=["supports"])
    assert suggested_level(high) == RiskLevel.HIGH


@pytest.mark.parametrize("factors", [["pets"], ["supports", "Supports"], [""], [1]])
def test_unknown_protective_factor_is_rejected(factors: list[Any]) -> None:
    with pytest.raises(ValidationError):
        Screener(protective_factors=factors)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "no"])
def test_answers_must_be_booleans(value: object) -> None:
    with pytest.raises(ValidationError):
        Screener.model_validate({"q1_wish_dead": value})


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Screener(q7_something=True)  # type: ignore[call-arg]


def test_the_api_shape_round_trips() -> None:
    """The screener object of docs/notes-api.md, as JSON."""
    empty = (
        '{"q1_wish_dead": null, "q2_suicidal_thoughts": null, "q3_method": null,'
        ' "q4_intent": null, "q5_plan": null, "q6_behaviour": null, "q6_within_3_months": null,'
        ' "imminent": null, "intensity": null, "hopelessness": null, "protective_factors": []}'
    )
    screener = Screener.model_validate_json(empty)
    assert screener == Screener()
    assert Screener.model_validate_json(screener.model_dump_json()) == screener
    filled = Screener.model_validate_json(
        '{"q1_wish_dead": true, "q2_suicidal_thoughts": true, "q3_method": false,'
        ' "q4_intent": true, "q5_plan": false, "q6_behaviour": false, "intensity": 7,'
        ' "protective_factors": ["supports", "ambivalence"]}'
    )
    assert suggested_level(filled) == RiskLevel.HIGH
    assert missing_answers(filled) == []
    assert Screener.model_validate(filled.model_dump()) == filled


def test_levels() -> None:
    assert [level.value for level in LEVEL_ORDER] == ORDER
    assert [str(level) for level in RiskLevel] == ORDER
    for i, a in enumerate(ORDER):
        for j, b in enumerate(ORDER):
            assert is_lower(RiskLevel(a), RiskLevel(b)) == (i < j), (a, b)
    assert {level.value: colour for level, colour in COLOURS.items()} == {
        "none": "green",
        "low": "yellow",
        "moderate": "orange",
        "high": "red",
        "imminent": "red",
    }
    assert FLASHING == {RiskLevel.IMMINENT}
    assert ESCALATING == {RiskLevel.HIGH, RiskLevel.IMMINENT}
