"""A mix of voice calls and text conversations on one line on local 2026-03-10 (Asia/Shanghai),
texts driven through the real conversation and routing services, voice calls made by hand.

    V1 voice   answered after 10 s, talk 60 + wrap 30
    V2 voice   abandoned 3 s after entering the queue (left out of the answer rate)
    V3 voice   abandoned 30 s after entering the queue
    W1 webchat accepted by alice after 20 s; she ends it and finishes its note
    S1 sms     accepted by alice after 39 s (her second); she ends it and finishes its note
    S2 sms     the person leaves 2 s after writing (a text: still in the answer rate)
    C1 wechat  the person leaves after 57 s, while alice holds two

    by channel  offered answered abandoned  answer rate
    voice          3       1        2         1/2
    sms            2       1        1         1/2
    webchat        1       1        0         1
    wechat         1       0        1         0
    total          7       3        4         3/6
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallState, Channel
from hotline.conversations import service as conversations
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from tests.factories import make_line, make_user

T0 = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 08:00 local
S = timedelta(seconds=1)


@dataclass
class Mix:
    line: Line
    alice: User
    calls: dict[str, int]


def _voice(db: Database, line: Line, name: str, queued: datetime, **fields: object) -> int:
    with db.session() as session:
        call = Call(
            call_sid=f"CA{name:0>32}",
            line_id=line.id or 0,
            caller_hash=f"h-{name}",
            created_at=queued,
            queued_at=queued,
            **fields,
        )
        session.add(call)
        session.flush()
        assert call.id is not None
        return call.id


def _text(db: Database, line: Line, channel: Channel, sender: str, at: datetime) -> int:
    with db.session() as session:
        call = conversations.begin(
            session=session,
            line=line,
            channel=channel,
            sender_hash=sender,
            body="你好",
            now=at,
            max_wait_s=600,
        )
        assert call.id is not None
        return call.id


def _offer_and_accept(db: Database, user: User, call_id: int, at: datetime) -> None:
    with db.session() as session:
        assert routing.offer_next(
            session=session, now=at - S, offer_timeout_s=20, max_conversations=2
        )
        assert session.get(Call, call_id).offered_to_id == user.id  # type: ignore[union-attr]
    with db.session() as session:
        routing.accept(session=session, user=user, call_id=call_id, now=at, connect_timeout_s=45)


def _person_leaves(db: Database, call_id: int, at: datetime) -> None:
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert conversations.end_by_person(session=session, call=call, now=at)


def open_mix(db: Database) -> Mix:
    """Everything up to T0 + 40 s: alice holds W1 and S1, C1 still waits."""
    line = make_line(db, number="+8610123456")
    alice = make_user(db, "alice")
    make_user(db, "sue", role=Role.supervisor)
    with db.session() as session:
        routing.set_presence(
            session=session, user=alice, state=AgentState.available, reason=None, now=T0 - S
        )
    ids = {
        "V1": _voice(
            db,
            line,
            "1",
            T0,
            state=CallState.completed,
            connected_at=T0 + 10 * S,
            ended_at=T0 + 70 * S,
            completed_at=T0 + 100 * S,
        ),
        "V2": _voice(db, line, "2", T0, state=CallState.abandoned, ended_at=T0 + 3 * S),
        "V3": _voice(db, line, "3", T0, state=CallState.abandoned, ended_at=T0 + 30 * S),
        "W1": _text(db, line, Channel.webchat, "w1", T0),
        "S1": _text(db, line, Channel.sms, "s1", T0 + S),
        "S2": _text(db, line, Channel.sms, "s2", T0 + 2 * S),
        "C1": _text(db, line, Channel.wechat, "c1", T0 + 3 * S),
    }
    _person_leaves(db, ids["S2"], T0 + 4 * S)
    _offer_and_accept(db, alice, ids["W1"], T0 + 20 * S)
    _offer_and_accept(db, alice, ids["S1"], T0 + 40 * S)
    return Mix(line=line, alice=alice, calls=ids)


def close_mix(db: Database, mix: Mix) -> None:
    """C1 leaves; alice ends W1 and S1 and finishes their notes."""
    _person_leaves(db, mix.calls["C1"], T0 + 60 * S)
    for name, at in (("W1", T0 + 100 * S), ("S1", T0 + 110 * S)):
        with db.session() as session:
            conversations.close_by_counselor(
                session=session, user=mix.alice, call_id=mix.calls[name], now=at
            )
        with db.session() as session:
            routing.finish_wrap_up(
                session=session, user=mix.alice, call_id=mix.calls[name], now=at + 30 * S
            )


# (offered, answered, abandoned, abandoned_short, answer rate, speed of answer)
EXPECTED = {
    "voice": (3, 1, 2, 1, 0.5, 10.0),
    "sms": (2, 1, 1, 0, 0.5, 39.0),
    "webchat": (1, 1, 0, 0, 1.0, 20.0),
    "wechat": (1, 0, 1, 0, 0.0, None),
    None: (7, 3, 4, 1, 0.5, 23.0),
}


def figures(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(
        row[name]
        for name in ("offered", "answered", "abandoned", "abandoned_short", "answer_rate", "asa_s")
    )
