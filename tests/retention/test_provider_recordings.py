"""A purged call's recordings go at the provider too: queued in the purge's transaction, then
deleted through the twilio library against the simulator, retried until they go."""

from __future__ import annotations

from sqlmodel import select

from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS, RecordingDeletion
from tests.factories import make_user
from tests.retention.records import days
from tests.review.test_pages import stored_recordings, take_recorded_call
from tests.stack import Stack


def queued(stack: Stack) -> list[RecordingDeletion]:
    with stack.db.session() as session:
        return list(session.exec(select(RecordingDeletion)).all())


def test_a_purged_calls_recording_is_deleted_at_the_provider(stack: Stack) -> None:
    make_user(stack.db, "alice")
    take_recorded_call(stack)
    [stored] = stack.simulator.wait_for(lambda: stored_recordings(stack))
    assert [r["sid"] for r in stack.simulator.list_recordings()] == [stored.recording_sid]

    stack.clock.advance(days(MIN_RETENTION_DAYS + 1).total_seconds())
    counted = retention.purge(db=stack.db, now=stack.clock.now(), dry_run=True)
    assert counted.counts["provider_recordings"] == 1 and queued(stack) == []
    purged = retention.purge(db=stack.db, now=stack.clock.now())
    assert purged.counts["provider_recordings"] == 1 and purged.counts["calls"] == 1
    assert stored_recordings(stack) == []
    assert [q.recording_sid for q in queued(stack)] == [stored.recording_sid]

    # The network fails: the deletion stays queued, counted, for the next run.
    def unreachable(_sid: str) -> None:
        raise ConnectionError("provider unreachable")

    assert retention.delete_provider_recordings(db=stack.db, delete_at_provider=unreachable) == 0
    assert [q.attempts for q in queued(stack)] == [1]
    assert len(stack.simulator.list_recordings()) == 1

    assert stack.dispatcher.delete_provider_recordings() == 1
    assert stack.simulator.list_recordings() == [] and queued(stack) == []

    # Asked again for one already gone (another instance got there first): done, not an error.
    with stack.db.session() as session:
        session.add(
            RecordingDeletion(recording_sid=stored.recording_sid, requested_at=stack.clock.now())
        )
    assert stack.dispatcher.delete_provider_recordings() == 1 and queued(stack) == []
