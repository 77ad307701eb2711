"""Events are published only after the transaction that caused them commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

PENDING_KEY = "pending_events"
# Something the supervisors' live board shows changed (a call, a counselor, an escalation).
BOARD_TOPIC = "board"
# Something a supervisor must notice (an escalation's alarm, an overdue note, a caller in danger
# waiting): the board, and supervisors' consoles, listen.
SUPERVISORS_TOPIC = "supervisors"


def emit(session: OrmSession, topic: str, data: dict[str, Any] | None = None) -> None:
    session.info.setdefault(PENDING_KEY, []).append((topic, data or {}))


def agent_topic(user_id: int) -> str:
    return f"agent.{user_id}"


@event.listens_for(OrmSession, "after_commit")
def _publish_after_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    pending = session.info.pop(PENDING_KEY, [])
    bus = session.info.get("bus")
    if bus is None:
        return
    for topic, data in pending:
        bus.publish(topic, data)


@event.listens_for(OrmSession, "after_rollback")
def _drop_after_rollback(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # back to a SAVEPOINT: keep them (an extra hint is harmless, a lost one is not)
    session.info.pop(PENDING_KEY, None)
