"""A caller's full record for the retention tests: a call with events, a note and an addendum,
an escalation with a page and log entries, webhook receipts, and staff presence linked to it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from hotline.auth.models import User
from hotline.calls import service as calls
from hotline.calls.models import CallState
from hotline.db import Database, metadata
from hotline.escalation.models import Channel, Escalation, EscalationLog, Page, PageStatus
from hotline.lines.models import Line
from hotline.notes.models import CallNote, NoteAddendum, NoteStatus
from hotline.privacy import caller_hash
from hotline.routing.models import PresenceEvent
from hotline.telephony.models import WebhookReceipt

SECRET = "test-secret-key-that-is-long-enough-000"
_sids = itertools.count(1)

# The rows one `make_record` call adds, per table (what the purge of that call must remove).
ATTACHED = {
    "calls": 1,
    "call_events": 3,
    "call_notes": 1,
    "note_addenda": 1,
    "escalations": 1,
    "escalation_pages": 1,
    "escalation_log": 2,
    "webhook_receipts": 3,
}


@dataclass
class Record:
    call_id: int
    call_sid: str


def make_record(
    db: Database,
    *,
    line: Line,
    counselor: User,
    caller: str,
    created_at: datetime,
    ended_at: datetime | None,
) -> Record:
    """One finished (or, with `ended_at` None, never-ended) call with everything attached."""
    n = next(_sids)
    call_sid = f"CA{n:032d}"
    assert counselor.id is not None
    with db.session() as session:
        call = calls.start_inbound(
            session=session,
            line=line,
            call_sid=call_sid,
            caller_hash=caller_hash(SECRET, caller),
            now=created_at,
        )
        assert call.id is not None
        if ended_at is not None:
            call.state = CallState.completed
            call.ended_at = ended_at
            call.completed_at = ended_at
            call.counselor_id = counselor.id
            call.counselor_call_sid = f"CA{n:030d}cc"
            call.voicemail_url = f"https://api.twilio.example/Recordings/RE{n:032d}"
            calls.record_event(session=session, call_id=call.id, state="completed", now=ended_at)
        else:  # stuck in the IVR: its age counts from its creation
            calls.record_event(session=session, call_id=call.id, state="ivr", now=created_at)
        at = ended_at or created_at
        note = CallNote(
            call_id=call.id,
            author_id=counselor.id,
            status=NoteStatus.submitted,
            call_type="self",
            sensitive='{"summary": "private words"}',
            created_at=at,
            updated_at=at,
            submitted_at=at,
        )
        session.add(note)
        session.flush()
        assert note.id is not None
        session.add(
            NoteAddendum(note_id=note.id, author_id=counselor.id, text="addendum", created_at=at)
        )
        escalation = Escalation(
            call_id=call.id, line_id=call.line_id, level="high", reason="plan", created_at=at
        )
        session.add(escalation)
        session.flush()
        assert escalation.id is not None
        session.add(
            Page(
                escalation_id=escalation.id,
                user_id=counselor.id,
                channel=Channel.sms,
                status=PageStatus.sent,
                provider_sid=f"SM{n:032d}",
                created_at=at,
            )
        )
        for kind in ("triggered", "acknowledged"):
            session.add(EscalationLog(escalation_id=escalation.id, at=at, kind=kind))
        for sid, endpoint in (
            (call_sid, "/twilio/voice/incoming"),
            (call_sid, "/twilio/voice/status"),
            (f"SM{n:032d}", "/twilio/page/status"),
        ):
            session.add(
                WebhookReceipt(
                    key=f"{sid}{endpoint}",
                    call_sid=sid,
                    endpoint=endpoint,
                    status_code=200,
                    media_type="application/xml",
                    body="<Response/>",
                    created_at=created_at,
                )
            )
        # Staff history that mentions the call: kept, only the link goes.
        session.add(PresenceEvent(user_id=counselor.id, state="on_call", at=at, call_id=call.id))
        return Record(call_id=call.id, call_sid=call_sid)


def row_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {name: _count(session, name) for name in metadata.tables}


def _count(session: Session, name: str) -> int:
    table = metadata.tables[name]
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def days(n: float) -> timedelta:
    return timedelta(days=n)
