"""What the records pages (`/admin/records`, `/admin/subject-access`) and the JSON API share:
each line's period, the purge runs, legal holds placed and lifted, and the subject-access export.

Plain functions taking `session` and `now`. Each change writes one audit row in the caller's unit
of work: what was done, where from (`via`), and the state before and after. A hold's reason is
encrypted at rest, so the audit row names the hold, not its words; a caller's number never
reaches the audit log (the export's reason is refused if it holds the number).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import Response
from sqlmodel import Session, col, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.lines.models import Line
from hotline.privacy import is_withheld
from hotline.retention import access
from hotline.retention import service as retention
from hotline.retention.models import LegalHold, RetentionRun
from hotline.retention.service import RetentionError

VIA_API = "api"
VIA_PAGE = "admin page"
REASON_MAX = 1000
REFERENCE_MAX = 200  # the subject-access request's reason or reference, kept in the audit log
RUNS_SHOWN = 7
_CALL_ID = re.compile(r"#?\s*(\d{1,18})")
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"\d")


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinePeriod:
    line_id: int
    name: str
    number: str
    active: bool
    days: int

    @property
    def years(self) -> float:
        return round(self.days / 365, 1)


@dataclass(frozen=True)
class PurgeRun:
    day: str
    instance: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]


@dataclass(frozen=True)
class NextRun:
    """The daily purge claims each UTC day once; the job checks every hour. `due` when today's
    run has not happened yet (it runs at the next check), else the next day's first check."""

    at: datetime
    due: bool


@dataclass(frozen=True)
class HeldCall:
    hold_id: int
    call_id: int
    line: str
    created_at: datetime
    ended_at: datetime | None
    reason: str
    set_by: str
    set_at: datetime
    retention_days: int
    # When the call passes its line's retention: lifting the hold after this lets the next
    # purge erase the call and everything attached to it.
    purge_from: datetime
    past_retention: bool


def line_periods(*, session: Session) -> list[LinePeriod]:
    lines = session.exec(select(Line).order_by(col(Line.name), col(Line.id)))
    return [
        LinePeriod(
            line_id=line.id or 0,
            name=line.name,
            number=line.number,
            active=line.active,
            days=retention.retention_days(line),
        )
        for line in lines
    ]


def parse_summary(summary: str | None) -> dict[str, int]:
    """The counts a run stored ("calls=3 call_events=12"; "nothing" is none)."""
    counts: dict[str, int] = {}
    for part in (summary or "").split():
        name, _, value = part.partition("=")
        if value.isdigit():
            counts[name] = int(value)
    return counts


def recent_runs(*, session: Session, limit: int = RUNS_SHOWN) -> list[PurgeRun]:
    runs = session.exec(select(RetentionRun).order_by(col(RetentionRun.day).desc()).limit(limit))
    return [
        PurgeRun(
            day=run.day.isoformat(),
            instance=run.instance,
            started_at=run.started_at,
            finished_at=run.finished_at,
            counts=parse_summary(run.summary),
        )
        for run in runs
    ]


def next_run(*, session: Session, now: datetime) -> NextRun:
    today = now.astimezone(UTC).date()
    ran = session.exec(select(RetentionRun.id).where(RetentionRun.day == today)).first()
    if ran is None:
        return NextRun(at=now, due=True)
    return NextRun(at=datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC), due=False)


def _purge_from(call: Call, days: int) -> datetime:
    return (call.ended_at or call.created_at) + timedelta(days=days)


def held_calls(*, session: Session, now: datetime) -> list[HeldCall]:
    """Every call under an active hold, newest hold first, with when it passes retention."""
    rows = session.exec(
        select(LegalHold, Call, Line, User)
        .join(Call, col(Call.id) == col(LegalHold.call_id))
        .join(Line, col(Line.id) == col(Call.line_id))
        .join(User, col(User.id) == col(LegalHold.set_by_id))
        .where(col(LegalHold.released_at).is_(None))
        .order_by(col(LegalHold.set_at).desc(), col(LegalHold.id).desc())
    )
    found = []
    for hold, call, line, author in rows:
        days = retention.retention_days(line)
        purge_from = _purge_from(call, days)
        found.append(
            HeldCall(
                hold_id=hold.id or 0,
                call_id=call.id or 0,
                line=line.name,
                created_at=call.created_at,
                ended_at=call.ended_at,
                reason=hold.reason,
                set_by=author.display_name,
                set_at=hold.set_at,
                retention_days=days,
                purge_from=purge_from,
                past_retention=purge_from <= now,
            )
        )
    return found


def held_call(*, session: Session, call_id: int, now: datetime) -> HeldCall:
    for held in held_calls(session=session, now=now):
        if held.call_id == call_id:
            return held
    raise RetentionError("not_held", 404)


def find_call(*, session: Session, reference: str) -> int:
    """A call by its number as the review pages show it (#123, or 123) or its CallSid."""
    text = reference.strip()
    by_id = _CALL_ID.fullmatch(text)
    if by_id is not None:
        call = session.get(Call, int(by_id.group(1)))
    elif _CALL_SID.fullmatch(text):
        call = session.exec(select(Call).where(Call.call_sid == text)).first()
    else:
        raise RetentionError("bad_reference", 422, errors={"call": "bad_reference"})
    if call is None or call.id is None:
        raise RetentionError("no_call", 404, errors={"call": "no_call"})
    return call.id


def check_hold(*, session: Session, reference: str, reason: str) -> tuple[int, str]:
    """The page's hold form checked together: (call id, reason), or every problem by field."""
    errors: dict[str, str] = {}
    call_id = 0
    try:
        call_id = find_call(session=session, reference=reference)
    except RetentionError as failure:
        errors.update(failure.errors)
    try:
        text = _reason(reason)
    except RetentionError as failure:
        errors.update(failure.errors)
    if errors:
        code = next(iter(errors.values())) if len(errors) == 1 else "invalid"
        raise RetentionError(code, 422, errors=errors)
    return call_id, text


# --- changes ------------------------------------------------------------------------------------


def _audit(
    session: Session,
    *,
    now: datetime,
    actor: User,
    action: AuditAction,
    object_type: str,
    object_id: int | None,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None,
) -> None:
    detail = summary
    if before is not None or after is not None:
        changes = {"before": before, "after": after}
        detail += ": " + json.dumps(changes, ensure_ascii=False, separators=(",", ":"))
    record(
        session=session,
        now=now,
        action=action,
        object_type=object_type,
        object_id=object_id,
        user=actor,
        detail=detail,
        ip=ip,
    )


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > REASON_MAX:
        raise RetentionError("reason_required", 422, errors={"reason": "reason_required"})
    return text


def place_hold(
    *,
    session: Session,
    call_id: int,
    reason: str,
    actor: User,
    now: datetime,
    via: str,
    ip: str | None = None,
) -> LegalHold:
    """Hold a call against the purge; audited (the hold's id, not its reason)."""
    hold = retention.place_hold(
        session=session, call_id=call_id, user=actor, reason=_reason(reason), now=now
    )
    _audit(
        session,
        now=now,
        actor=actor,
        action=AuditAction.edit,
        object_type="call",
        object_id=call_id,
        summary=f"legal hold placed ({via})",
        before={"held": False},
        after={"held": True, "hold_id": hold.id},
        ip=ip,
    )
    return hold


def release_hold(
    *,
    session: Session,
    call_id: int,
    actor: User,
    now: datetime,
    via: str,
    ip: str | None = None,
    hold_id: int | None = None,
) -> LegalHold:
    """Lift a call's hold; with `hold_id`, only that hold (what the confirmation showed)."""
    past = next(
        (h.past_retention for h in held_calls(session=session, now=now) if h.call_id == call_id),
        False,
    )
    hold = retention.release_hold(
        session=session, call_id=call_id, user=actor, now=now, hold_id=hold_id
    )
    _audit(
        session,
        now=now,
        actor=actor,
        action=AuditAction.edit,
        object_type="call",
        object_id=call_id,
        summary=f"legal hold released ({via})",
        before={"held": True, "hold_id": hold.id},
        after={"held": False, "past_retention": past},
        ip=ip,
    )
    return hold


def set_retention(
    *,
    session: Session,
    line_id: int,
    days: int,
    actor: User,
    now: datetime,
    via: str,
    ip: str | None = None,
) -> Line:
    line = session.get(Line, line_id)
    before = retention.retention_days(line) if line is not None else None
    line = retention.set_retention(session=session, line_id=line_id, days=days)
    _audit(
        session,
        now=now,
        actor=actor,
        action=AuditAction.edit,
        object_type="line",
        object_id=line_id,
        summary=f"retention_days={days} ({via})",
        before={"retention_days": before},
        after={"retention_days": line.retention_days},
        ip=ip,
    )
    return line


# --- subject access -----------------------------------------------------------------------------


def check_request(*, number: str, reason: str) -> tuple[str, str]:
    """The page's form checked together: (E.164 number, reason), or every problem by field."""
    errors: dict[str, str] = {}
    raw = number.strip()
    e164 = phone.to_e164(raw) if raw else None
    if raw and (is_withheld(raw) or (e164 is not None and is_withheld(e164))):
        errors["number"] = "withheld"
    elif e164 is None:
        errors["number"] = "bad_number"
    text = reason.strip()
    if not text or len(text) > REFERENCE_MAX:
        errors["reason"] = "reference_required"
    elif e164 is not None and _holds_number(text, e164):
        errors["reason"] = "number_in_reason"
    if errors:
        code = next(iter(errors.values())) if len(errors) == 1 else "invalid"
        raise RetentionError(code, 422, errors=errors)
    assert e164 is not None
    return e164, text


def _holds_number(text: str, e164: str) -> bool:
    """Whether `text` holds the number, with or without its country code or separators."""
    digits = "".join(_DIGITS.findall(text))
    national = e164.lstrip("+")[-8:]  # the last 8 digits: enough to tell, whatever the prefix
    return national in digits


def export(
    *,
    session: Session,
    secret: str,
    number: str,
    actor: User,
    now: datetime,
    via: str,
    reason: str | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    """Everything held about one number; audited with who, why and the counts, never the
    number (it is only hashed to find the records)."""
    if is_withheld(number):  # its records are many strangers' records
        raise RetentionError("withheld", 422, errors={"number": "withheld"})
    if reason and _holds_number(reason, number):
        raise RetentionError("number_in_reason", 422, errors={"reason": "number_in_reason"})
    found = access.subject_access(session=session, secret=secret, number=number, now=now)
    summary = f"calls={found['count']['calls']} blocklist={found['count']['blocklist']} ({via})"
    if reason:
        summary += f" reason: {reason}"
    _audit(
        session,
        now=now,
        actor=actor,
        action=AuditAction.export,
        object_type="subject_access",
        object_id=None,
        summary=summary,
        ip=ip,
    )
    return found


def export_response(export: dict[str, Any], now: datetime) -> Response:
    """The export as a JSON download, never cached."""
    filename = f"subject-access-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
