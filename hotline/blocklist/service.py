"""The abusive-caller blocklist: set from a call (nobody types the number) or from a number, for
24 hours or permanently, with a reason and who set it. A blocked caller still hears the emergency
numbers; the call is stored as ended with the reason "blocked" and never queued."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from sqlmodel import Session, col, or_, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.blocklist.models import BlockedCaller
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.privacy import caller_hash, is_withheld, withheld_hashes

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
        "invalid": N_("Some fields need correcting."),
        "bad_number": N_(
            "This is not a phone number. Enter it with its country code, e.g. +86 139 0000 1234."
        ),
        "bad_call": N_("Enter the call's number as the call review shows it, e.g. #123."),
        "one_caller": N_("Give either the call or the number, not both."),
        "reason_required": N_("Give the reason for the block (at most 1000 characters)."),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")

    def __init__(self, code: str, status: int, *, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(code, status, errors=errors)


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


# --- what the blocklist page and the JSON API share ---------------------------------------------

REASON_MAX = 1000
_CALL_REF = re.compile(r"#?\s*(\d{1,18})")


def number_hash(*, secret: str, number: str) -> str:
    """The hash a typed number is blocked under: the number in E.164, as incoming calls are
    hashed (13900001234 blocks +8613900001234). A withheld caller ID is refused: it is many
    callers' at once."""
    raw = number.strip()
    if raw and is_withheld(raw):
        raise BlocklistError("withheld", 422, errors={"number": "withheld"})
    e164 = phone.to_e164(raw) if raw else None
    if e164 is None:
        raise BlocklistError("bad_number", 422, errors={"number": "bad_number"})
    if is_withheld(e164):
        raise BlocklistError("withheld", 422, errors={"number": "withheld"})
    return caller_hash(secret, e164)


def call_reference(reference: str) -> int:
    """A call as the review pages show it: #123 (or 123)."""
    found = _CALL_REF.fullmatch(reference.strip())
    if found is None:
        raise BlocklistError("bad_call", 422, errors={"call": "bad_call"})
    return int(found.group(1))


def check_form(
    *, call: str, number: str, duration: str, reason: str
) -> tuple[int | None, str | None, Duration, str]:
    """The page's form, every problem by field: (call id, number, duration, reason)."""
    errors: dict[str, str] = {}
    call_id: int | None = None
    if call.strip() and number.strip():
        errors["number"] = "one_caller"
    elif call.strip():
        try:
            call_id = call_reference(call)
        except BlocklistError as failure:
            errors.update(failure.errors)
    elif number.strip() and is_withheld(number.strip()):
        errors["number"] = "withheld"
    elif phone.to_e164(number.strip()) is None:  # none typed either
        errors["number"] = "bad_number"
    if duration not in DURATIONS:
        errors["duration"] = "bad_duration"
    text = reason.strip()
    if not text or len(text) > REASON_MAX:
        errors["reason"] = "reason_required"
    if errors:
        code = next(iter(errors.values())) if len(errors) == 1 else "invalid"
        raise BlocklistError(code, 422, errors=errors)
    chosen: Duration = "24h" if duration == "24h" else "permanent"
    return call_id, None if call_id is not None else number.strip(), chosen, text


def _state(entry: BlockedCaller) -> dict[str, Any]:
    """What the audit log keeps of a block: never the number, its hash or the reason."""
    return {
        "until": entry.until.isoformat() if entry.until else "permanent",
        "call_id": entry.call_id,
        "removed": entry.removed_at is not None,
    }


def _audit(
    session: Session,
    *,
    entry: BlockedCaller,
    summary: str,
    before: dict[str, Any] | None,
    actor: User,
    now: datetime,
    ip: str | None,
) -> None:
    changes = {"before": before, "after": _state(entry)}
    record(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="blocklist",
        object_id=entry.id,
        user=actor,
        detail=summary + ": " + json.dumps(changes, separators=(",", ":")),
        ip=ip,
    )


def add(
    *,
    session: Session,
    secret: str,
    duration: Duration,
    reason: str,
    actor: User,
    now: datetime,
    via: str,
    call_id: int | None = None,
    number: str | None = None,
    ip: str | None = None,
) -> BlockedCaller:
    """Block the caller of a call (nobody types the number) or a number; audited."""
    if call_id is not None:
        entry = block_caller_of(
            session=session,
            call_id=call_id,
            secret=secret,
            duration=duration,
            reason=reason,
            user=actor,
            now=now,
        )
    else:
        assert number is not None
        entry = block(
            session=session,
            caller_hash=number_hash(secret=secret, number=number),
            secret=secret,
            duration=duration,
            reason=reason,
            user=actor,
            now=now,
        )
    source = f" from call {call_id}" if call_id is not None else ""
    _audit(
        session,
        entry=entry,
        summary=f"blocked {duration}{source} ({via})",
        before=None,
        actor=actor,
        now=now,
        ip=ip,
    )
    return entry


def active(*, session: Session, entry_id: int, now: datetime) -> tuple[BlockedCaller, User]:
    """One block in force, with who set it (for the confirmation)."""
    for entry, author in active_entries(session=session, now=now):
        if entry.id == entry_id:
            return entry, author
    raise BlocklistError("not_found", 404)


def remove(
    *, session: Session, entry_id: int, actor: User, now: datetime, via: str, ip: str | None = None
) -> BlockedCaller:
    found = session.get(BlockedCaller, entry_id)
    before = _state(found) if found is not None else None
    entry = unblock(session=session, entry_id=entry_id, user=actor, now=now)
    _audit(
        session,
        entry=entry,
        summary=f"unblocked ({via})",
        before=before,
        actor=actor,
        now=now,
        ip=ip,
    )
    return entry
