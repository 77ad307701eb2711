"""Calls whose note asks for a follow-up, made through the real routing and note services."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from hotline.auth.models import User
from hotline.db import Database
from hotline.followups.models import FollowUp
from hotline.lines.models import Line
from hotline.notes.models import IssueCategory
from tests.review.drive import whole_call, write_note

CALLBACK = "+8613912345678"
_sids = itertools.count(1)

SCREENS: dict[str, dict[str, Any]] = {
    "none": {"q1_wish_dead": False, "q2_suicidal_thoughts": False, "q6_behaviour": False},
    "moderate": {
        "q1_wish_dead": True,
        "q2_suicidal_thoughts": True,
        "q3_method": True,
        "q4_intent": False,
        "q5_plan": False,
        "q6_behaviour": False,
    },
    "high": {
        "q1_wish_dead": True,
        "q2_suicidal_thoughts": True,
        "q3_method": True,
        "q4_intent": True,
        "q5_plan": False,
        "q6_behaviour": False,
    },
}


def category(db: Database) -> int:
    with db.session() as session:
        found = session.exec(select(IssueCategory).where(IssueCategory.code == "emotional")).one()
        assert found.id is not None
        return found.id


def note_fields(
    db: Database,
    *,
    level: str = "moderate",
    wanted: bool = True,
    consent: bool = True,
    within: str | None = "72h",
    number: str = CALLBACK,
) -> dict[str, Any]:
    """A complete counselling note at `level` (screener and confirmed level agree)."""
    return {
        "call_type": "self",
        "profile": {"age_band": "25_34", "gender": "female"},
        "categories": [category(db)],
        "screener": SCREENS[level],
        "crisis_level": level,
        "summary": "Lost her job, sleeping badly",
        "follow_up": {
            "wanted": wanted,
            "consent": consent,
            "callback_number": number,
            "within": within,
            "plan": "Ask how the job centre appointment went",
        },
    }


def answered_call(db: Database, line: Line, counselor: User, at: datetime) -> int:
    """A call answered by `counselor` and finished (talk 10 min, wrap-up 1 min) from `at`."""
    return whole_call(db, line, counselor, f"CA{next(_sids):032d}", at, 600, 60)


def submitted_follow_up(
    db: Database, line: Line, counselor: User, at: datetime, **fields: Any
) -> FollowUp:
    """A call an hour before `at`, its note submitted at `at` asking for a follow-up."""
    call_id = answered_call(db, line, counselor, at - timedelta(hours=1))
    write_note(db, counselor, call_id, at, submit=True, **note_fields(db, **fields))
    with db.session() as session:
        found = session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).one()
        return found
