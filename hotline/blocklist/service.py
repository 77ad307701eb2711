"""The abusive-caller blocklist: set from a call (nobody types the number) or from a number, for
24 hours or permanently, with a reason and who set it. A blocked caller still hears the emergency
numbers; the call is stored as ended with the reason "blocked" and never queued."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from sqlmodel import Session, col, or_, select

from hotline.auth.models import User
from hotline.blocklist.models import BlockedCaller
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.privacy import withheld_hashes

Duration = Literal["24h", "permanent"]
DURATIONS: dict[str, timedelta | None] = {"24h": timedelta(hours=24), "permanent": None}
END_REASON = "blocked"
# Every caller who withholds their number shares one hash (`hotline.privacy.is_withheld`), so
# blocking one would block everyone who hides their number: never allowed.


class BlocklistError(DomainError):
    """A block refused (a withheld number, one already blocked) or not found."""

    messages: ClassVar[Mapping[str, str]] = {
        "no_call": N_("There is no such call."),
        "already_blocked": N_("This caller is already blocked."),
        "not_found": N_("There is no such block."),
        "bad_duration": N_("Choose 24 hours or permanent."),
        "withheld": N_(
            "This caller withheld their number; blocking it would block everyone who does."
        ),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code, status)


def active_entry(*, session: Session, caller_hash: str, now: datetime) -> BlockedCaller | None:
    """The block in force for this caller now, if any (expired and removed ones do not count)."""
    return session.exec(
        select(BlockedCaller).where(
            BlockedCaller.caller_hash == caller_hash,
            col(BlockedCaller.removed_at).is_(None),
            or_(col(BlockedCaller.until).is_(None), col(BlockedCaller.until) > now),
        )
    ).first()


def is_blocked(*, session: Session, caller_hash: str, now: datetime) -> bool:
    return active_entry(session=session, caller_hash=caller_hash, now=now) is not None


def block(
    *,
    session: Session,
    caller_hash: str,
    secret: str,
    duration: Duration,
    reason: str,
    user: User,
    now: datetime,
    call_id: int | None = None,
) -> BlockedCaller:
    if duration not in DURATIONS:
        raise BlocklistError("bad_duration", 422)
    if caller_hash in withheld_hashes(secret):
        raise BlocklistError("withheld", 422)
    if active_entry(session=session, caller_hash=caller_hash, now=now) is not None:
        raise BlocklistError("already_blocked", 409)
    assert user.id is not None
    length = DURATIONS[duration]
    entry = BlockedCaller(
        caller_hash=caller_hash,
        until=None if length is None else now + length,
        reason=reason,
        set_by_id=user.id,
        set_at=now,
        call_id=call_id,
    )
    session.add(entry)
    session.flush()
    return entry


def block_caller_of(
    *,
    session: Session,
    call_id: int,
    secret: str,
    duration: Duration,
    reason: str,
    user: User,
    now: datetime,
) -> BlockedCaller:
    """Block "the caller of call N": the number is never typed, seen or stored."""
    call = session.get(Call, call_id)
    if call is None:
        raise BlocklistError("no_call", 404)
    return block(
        session=session,
        caller_hash=call.caller_hash,
        secret=secret,
        duration=duration,
        reason=reason,
        user=user,
        now=now,
        call_id=call_id,
    )


def unblock(*, session: Session, entry_id: int, user: User, now: datetime) -> BlockedCaller:
    entry = session.get(BlockedCaller, entry_id)
    if entry is None or entry.removed_at is not None:
        raise BlocklistError("not_found", 404)
    entry.removed_at = now
    entry.removed_by_id = user.id
    session.flush()
    return entry


def active_entries(*, session: Session, now: datetime) -> list[tuple[BlockedCaller, User]]:
    query = (
        select(BlockedCaller, User)
        .join(User, col(User.id) == col(BlockedCaller.set_by_id))
        .where(
            col(BlockedCaller.removed_at).is_(None),
            or_(col(BlockedCaller.until).is_(None), col(BlockedCaller.until) > now),
        )
        .order_by(col(BlockedCaller.set_at).desc(), col(BlockedCaller.id).desc())
    )
    return [(entry, user) for entry, user in session.exec(query)]


def entries_for(*, session: Session, caller_hash: str) -> list[BlockedCaller]:
    """Every entry ever set for this caller (subject-access export), oldest first."""
    return list(
        session.exec(
            select(BlockedCaller)
            .where(BlockedCaller.caller_hash == caller_hash)
            .order_by(col(BlockedCaller.id))
        )
    )


def turn_away(
    *, session: Session, line: Line, call_sid: str, caller_hash: str, now: datetime
) -> Call:
    """Store a blocked caller's call as ended ("blocked") without ever queueing it."""
    call = calls.start_inbound(
        session=session, line=line, call_sid=call_sid, caller_hash=caller_hash, now=now
    )
    calls.transition(
        session=session,
        call=call,
        to=CallState.completed,
        expect=(CallState.ringing, CallState.ivr),
        now=now,
        detail=END_REASON,
        ended_at=now,
        completed_at=now,
        end_reason=END_REASON,
    )
    return call
