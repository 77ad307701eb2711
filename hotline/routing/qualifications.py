"""A line may require qualifications (e.g. crisis intervention for 12356): the offer skips a
counselor who lacks one of them, valid at `now`, for the call's line.

A qualification is valid through its `valid_until` date (inclusive, read in UTC), or forever
without one. A call that nobody free may take waits in the queue and overflows as any other.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from hotline.training.models import LineQualification, PersonQualification


def valid_on(valid_until: date | None, now: datetime) -> bool:
    """Is a qualification held until `valid_until` still valid at `now`?"""
    return valid_until is None or valid_until >= now.date()


def may_take(required: Collection[int], held: Collection[int]) -> bool:
    """The rule: a counselor holds every qualification the line requires."""
    return set(required) <= set(held)


@dataclass
class Qualified:
    """What the free counselors hold of what the waiting calls' lines require."""

    required: dict[int, set[int]] = field(default_factory=dict)  # line id -> qualification ids
    held: dict[int, set[int]] = field(default_factory=dict)  # user id -> valid ones of those

    def allows(self, *, user_id: int, line_id: int) -> bool:
        return may_take(self.required.get(line_id, ()), self.held.get(user_id, ()))


def qualified(
    *, session: Session, line_ids: Collection[int], user_ids: Collection[int], now: datetime
) -> Qualified:
    """One query (this runs on every offer): each requirement of these lines, joined to the
    free counselors who hold it validly now. Lines without requirements return no rows."""
    out = Qualified()
    if not line_ids or not user_ids:
        return out  # nobody free (or nothing waiting): nothing to ask
    holds = and_(
        col(PersonQualification.qualification_id) == col(LineQualification.qualification_id),
        col(PersonQualification.user_id).in_(list(user_ids)),
        or_(
            col(PersonQualification.valid_until).is_(None),
            col(PersonQualification.valid_until) >= now.date(),
        ),
    )
    rows = session.exec(
        select(
            LineQualification.line_id,
            LineQualification.qualification_id,
            PersonQualification.user_id,
        )
        .outerjoin(PersonQualification, holds)
        .where(col(LineQualification.line_id).in_(list(line_ids)))
    ).all()
    for line_id, qualification_id, user_id in rows:
        out.required.setdefault(line_id, set()).add(qualification_id)
        if user_id is not None:
            out.held.setdefault(user_id, set()).add(qualification_id)
    return out
