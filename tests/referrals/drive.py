"""Referral resources and calls whose submitted note refers the caller, through the real note
service (the referrals are made by the note's submission)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from hotline.auth.models import User
from hotline.db import Database
from hotline.followups.models import FollowUp
from hotline.lines.models import Line
from hotline.notes.models import ReferralResource
from hotline.referrals.models import Referral
from tests.followups.drive import answered_call, note_fields
from tests.review.drive import write_note

SERVICE_PHONE = "+8657188880000"


def resource(
    db: Database, name: str, kind: str = "hospital", *, green: bool = False, phone: str = ""
) -> int:
    with db.session() as session:
        found = ReferralResource(
            kind=kind, name=name, phone=phone or SERVICE_PHONE, green_channel=green
        )
        session.add(found)
        session.flush()
        assert found.id is not None
        return found.id


def referred_call(
    db: Database,
    line: Line,
    counselor: User,
    at: datetime,
    resource_ids: list[int],
    **fields: Any,
) -> int:
    """A call an hour before `at`, its note (moderate unless said) submitted at `at` with a
    referral to each resource. Returns the call's id."""
    call_id = answered_call(db, line, counselor, at - timedelta(hours=1))
    data = note_fields(db, **fields)
    data["referrals"] = [{"resource_id": rid} for rid in resource_ids]
    write_note(db, counselor, call_id, at, submit=True, **data)
    return call_id


def referrals_of(db: Database, call_id: int) -> list[Referral]:
    with db.session() as session:
        found = session.exec(
            select(Referral).where(Referral.call_id == call_id).order_by(Referral.id)  # type: ignore[arg-type]
        ).all()
        for item in found:
            session.expunge(item)
        return list(found)


def follow_up_of(db: Database, call_id: int) -> FollowUp:
    with db.session() as session:
        found = session.exec(select(FollowUp).where(FollowUp.call_id == call_id)).one()
        session.expunge(found)
        return found
