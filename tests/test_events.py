"""Events leave only when the outermost transaction commits, never at a SAVEPOINT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

import hotline.realtime.events  # noqa: F401 - the listeners under test
from hotline.db import Database, make_engine
from hotline.realtime.events import emit


class Recorder:
    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None:
        self.published.append(topic)


def test_events_wait_for_the_outer_commit_and_die_with_its_rollback() -> None:
    recorder = Recorder()
    db = Database(make_engine("sqlite://"), recorder)
    with db.session() as session:
        session.execute(text("select 1"))
        with session.begin_nested():
            emit(session, "inside-savepoint")
        assert recorder.published == []  # the savepoint is released, nothing is committed yet
        try:
            with session.begin_nested():
                emit(session, "rolled-back-savepoint")
                raise LookupError
        except LookupError:
            pass
        assert recorder.published == []
    assert recorder.published == ["inside-savepoint", "rolled-back-savepoint"]

    try:
        with db.session() as session:
            emit(session, "never")
            raise LookupError
    except LookupError:
        pass
    assert recorder.published == ["inside-savepoint", "rolled-back-savepoint"]
