"""The subject-access export: everything held about one caller number, found by its keyed hash.

The number is only hashed here; it is not in the export, the audit log or any log line.

Text conversations are calls too: an SMS sender's are keyed by the same hash of their number, so
they are found with the calls, each with its transcript. A WeChat sender's key is the hash of
their OpenID (`wechat.service.sender_hash`), which the person does not know and the line never
shows, and a web-chat visitor's key is a random one their page made and kept: neither can be
found from a phone number, and the line holds nothing else that identifies those people, so
their conversations cannot be exported on request (they are still purged with their calls).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hotline.blocklist import service as blocklist
from hotline.calls import service as calls
from hotline.calls.models import Call
from hotline.conversations import service as conversations
from hotline.escalation.models import Escalation, EscalationLog, Page
from hotline.followups import service as followups
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.privacy import caller_hash
from hotline.retention.models import LegalHold


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _escalation(session: Session, escalation: Escalation) -> dict[str, Any]:
    pages = session.exec(
        select(Page).where(Page.escalation_id == escalation.id).order_by(col(Page.id))
    )
    entries = session.exec(
        select(EscalationLog)
        .where(EscalationLog.escalation_id == escalation.id)
        .order_by(col(EscalationLog.id))
    )
    return {
        "id": escalation.id,
        "level": escalation.level,
        "reason": escalation.reason,
        "status": escalation.status.value,
        "created_at": _iso(escalation.created_at),
        "acknowledged_at": _iso(escalation.acknowledged_at),
        "joined_at": _iso(escalation.joined_at),
        "resolved_at": _iso(escalation.resolved_at),
        "outcome": escalation.outcome,
        "pages": [
            {
                "id": page.id,
                "user_id": page.user_id,
                "channel": page.channel.value,
                "status": page.status.value,
                "created_at": _iso(page.created_at),
                "sent_at": _iso(page.sent_at),
            }
            for page in pages
        ],
        "log": [
            {
                "at": _iso(entry.at),
                "kind": entry.kind,
                "user_id": entry.user_id,
                "channel": entry.channel,
                "detail": entry.detail,
            }
            for entry in entries
        ],
    }


def _transcript(session: Session, call: Call) -> list[dict[str, Any]] | None:
    """A text conversation's messages in order: who wrote (the person, the counselor, the line),
    when, and the words. A supervisor's private notes to the counselor are staff remarks and, like
    the counselors' remarks on follow-up attempts, not exported."""
    if not call.is_text or call.id is None:
        return None
    return [
        {
            "sender": message.sender.value,
            "at": _iso(message.at),
            "body": message.body,
            "delivery": message.delivery.value,
        }
        for message in conversations.transcript(session=session, call_id=call.id, private=False)
    ]


def _call(session: Session, call: Call) -> dict[str, Any]:
    assert call.id is not None
    line = session.get(Line, call.line_id)
    note = notes.note_of(session=session, call_id=call.id)
    escalation = session.exec(select(Escalation).where(Escalation.call_id == call.id)).first()
    holds = session.exec(
        select(LegalHold).where(LegalHold.call_id == call.id).order_by(col(LegalHold.id))
    )
    return {
        "id": call.id,
        "call_sid": call.call_sid,
        "channel": call.channel.value,
        "line": {"number": line.number, "name": line.name} if line else None,
        "state": call.state.value,
        "language": call.language,
        "in_danger": call.in_danger,
        "repeat_caller": call.repeat_caller,
        "created_at": _iso(call.created_at),
        "queued_at": _iso(call.queued_at),
        "connected_at": _iso(call.connected_at),
        "ended_at": _iso(call.ended_at),
        "end_reason": call.end_reason,
        "counselor_id": call.counselor_id,
        "voicemail_url": call.voicemail_url,
        "events": [
            {"state": e.state, "at": _iso(e.at), "user_id": e.user_id, "detail": e.detail}
            for e in calls.history(session=session, call_id=call.id)
        ],
        "note": notes.public(session=session, note=note) if note is not None else None,
        "transcript": _transcript(session, call),
        "escalation": _escalation(session, escalation) if escalation is not None else None,
        "legal_holds": [
            {
                "reason": hold.reason,
                "set_at": _iso(hold.set_at),
                "set_by_id": hold.set_by_id,
                "released_at": _iso(hold.released_at),
            }
            for hold in holds
        ],
    }


def subject_access(*, session: Session, secret: str, number: str, now: datetime) -> dict[str, Any]:
    """Every call (and SMS conversation) from this number with its events, note (decrypted, with
    addenda and the follow-up), transcript, escalation (pages, log), legal holds; the follow-ups
    with their attempts; and every blocklist entry."""
    hashed = caller_hash(secret, number)
    found = session.exec(
        select(Call).where(Call.caller_hash == hashed).order_by(col(Call.created_at), col(Call.id))
    )
    exported = [_call(session, call) for call in found]
    # What the note asked for, and the calls back made: who, when, the outcome (the callers'
    # words are in the note; the counselors' remarks on attempts are not exported).
    follow_ups = [
        {
            "call_id": item["id"],
            **item["note"]["follow_up"],
            "scheduled": followups.export_of(session=session, call_id=item["id"]),
        }
        for item in exported
        if item["note"] is not None and item["note"]["follow_up"].get("wanted")
    ]
    entries = blocklist.entries_for(session=session, caller_hash=hashed)
    return {
        "generated_at": now.isoformat(),
        "calls": exported,
        "follow_ups": follow_ups,
        "blocklist": [
            {
                "id": entry.id,
                "set_at": _iso(entry.set_at),
                "until": _iso(entry.until),
                "permanent": entry.until is None,
                "reason": entry.reason,
                "set_by_id": entry.set_by_id,
                "call_id": entry.call_id,
                "removed_at": _iso(entry.removed_at),
            }
            for entry in entries
        ],
        "count": {"calls": len(exported), "blocklist": len(entries)},
    }
