"""Keeping a caller's number for emergency linkage, and erasing it (docs/domain.md 12).

Where the number comes from: it exists only in the incoming call's webhook (`From`); the call
itself stores its keyed hash. An escalation is usually raised minutes later, from the note or
the escalate button, long after that webhook answered, so the number cannot be fetched then.
It is therefore captured, encrypted, when the call comes in, and kept only while it may be
needed:

- while the call lasts, through the counselor's wrap-up (the screener is often finished then,
  and a high answer escalates), but no longer than the note is due after the caller left;
- for a call with a high or imminent escalation (`held`), for the escalation's life and then
  `rescue_number_window_h` after it is resolved.

`erase_due` (a job) then empties it; a call that never escalated has it erased at its end.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from hotline.calls.models import TERMINAL_STATES, Call
from hotline.escalation.models import Escalation, EscalationStatus
from hotline.linkage.models import RescueNumber
from hotline.risk.triage import RiskLevel

# What Twilio's voice webhook says of where the calling number is registered.
LOCATION_PARAMS = ("FromCity", "FromState", "FromCountry", "FromZip")
# Levels whose escalation keeps the number (docs/domain.md 5: high and imminent escalate).
KEEPING_LEVELS = frozenset({RiskLevel.HIGH.value, RiskLevel.IMMINENT.value})
BATCH = 100


def location_of(params: Mapping[str, str]) -> dict[str, str]:
    """The location fields Twilio reported (empty ones left out), each at most 100 characters."""
    return {name: params[name][:100] for name in LOCATION_PARAMS if params.get(name, "").strip()}


def capture(
    *, session: Session, call: Call, number: str, location: Mapping[str, str], now: datetime
) -> None:
    """Keep the number of a call that just came in (encrypted), once per call. The caller of a
    withheld number is never captured: there is no number to give anyone."""
    assert call.id is not None
    existing = session.exec(select(RescueNumber.id).where(RescueNumber.call_id == call.id)).first()
    if existing is not None:
        return
    session.add(
        RescueNumber(
            call_id=call.id,
            number=number,
            location=json.dumps(dict(location), ensure_ascii=False) if location else None,
            captured_at=now,
        )
    )


def hold(*, session: Session, call_id: int, level: str) -> None:
    """A high or imminent escalation of the call: keep its number past the call's end, with no
    erasure date until the escalation is resolved. A row already erased stays empty."""
    if level not in KEEPING_LEVELS:
        return
    session.execute(
        update(RescueNumber)
        .where(col(RescueNumber.call_id) == call_id, col(RescueNumber.number).is_not(None))
        .values(held=True, erase_at=None)
    )


def kept(*, session: Session, call_id: int) -> RescueNumber | None:
    """The call's number and location if they are still kept, else None."""
    row = session.exec(select(RescueNumber).where(RescueNumber.call_id == call_id)).first()
    return row if row is not None and row.number is not None else None


def location_fields(row: RescueNumber) -> dict[str, Any]:
    return json.loads(row.location) if row.location else {}


def erase_due(*, session: Session, now: datetime, window: timedelta, wrap_up: timedelta) -> int:
    """Set when each kept number is due to go, and erase those that are due. Returns how many
    were erased. Every step is compare-and-set on the row (`held`, `erase_at`, `number`), so an
    escalation raised meanwhile, another instance or a repeated run changes nothing twice."""
    # A resolved escalation: its number goes `window` after the resolution.
    resolved = session.exec(
        select(RescueNumber.id, Escalation.resolved_at)
        .join(Escalation, col(Escalation.call_id) == RescueNumber.call_id)
        .where(
            col(RescueNumber.held),
            col(RescueNumber.erase_at).is_(None),
            col(RescueNumber.number).is_not(None),
            Escalation.status == EscalationStatus.resolved,
        )
        .limit(BATCH)
    ).all()
    for row_id, resolved_at in resolved:
        session.execute(
            update(RescueNumber)
            .where(
                col(RescueNumber.id) == row_id,
                col(RescueNumber.held),
                col(RescueNumber.erase_at).is_(None),
            )
            .values(erase_at=(resolved_at or now) + window)
        )
    # A call without such an escalation: its number goes at the call's end.
    ended = session.exec(
        select(RescueNumber.id)
        .join(Call, col(Call.id) == RescueNumber.call_id)
        .where(
            col(RescueNumber.held).is_(False),
            col(RescueNumber.erase_at).is_(None),
            col(RescueNumber.number).is_not(None),
            or_(
                col(Call.state).in_([s.value for s in TERMINAL_STATES]),
                col(Call.ended_at) <= now - wrap_up,
            ),
        )
        .limit(BATCH)
    ).all()
    if ended:
        session.execute(
            update(RescueNumber)
            .where(
                col(RescueNumber.id).in_(list(ended)),
                col(RescueNumber.held).is_(False),
                col(RescueNumber.erase_at).is_(None),
            )
            .values(erase_at=now)
        )
    due = session.exec(
        select(RescueNumber.id)
        .where(col(RescueNumber.erase_at) <= now, col(RescueNumber.number).is_not(None))
        .order_by(col(RescueNumber.erase_at))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        return 0
    result = session.execute(
        update(RescueNumber)
        .where(
            col(RescueNumber.id).in_(list(due)),
            col(RescueNumber.erase_at) <= now,
            col(RescueNumber.number).is_not(None),
        )
        .values(number=None, location=None, erased_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
