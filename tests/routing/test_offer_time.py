"""An offer is stamped with the time it was made, never before the call it answers was queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hotline.calls.models import Call
from hotline.clock import FakeClock, as_utc
from hotline.db import Database
from hotline.routing.engine import Dispatcher
from hotline.telephony.port import TelephonyPort
from tests.factories import make_line, make_user
from tests.routing.test_dispatch import available, queue_call
from tests.stack import make_settings


class ClockWithRequest(FakeClock):
    """A fake clock that, right after its first reading, lets time pass and runs `during`: a
    webhook request that lands while the dispatcher's tick is under way."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.during: Callable[[], None] | None = None

    def now(self) -> datetime:
        reading = super().now()
        during, self.during = self.during, None
        if during is not None:
            self.advance(0.4)
            during()
        return reading


def test_a_call_queued_during_a_tick_is_offered_after_it_was_queued(
    db: Database, database_url: str
) -> None:
    clock = ClockWithRequest(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    line = make_line(db)
    available(db, clock, make_user(db, "u"))
    settings = make_settings(database_url, 9, None)
    dispatcher = Dispatcher(
        db=db, clock=clock, settings=settings, telephony=TelephonyPort(settings)
    )
    queued: list[int] = []
    clock.during = lambda: queued.append(queue_call(db, clock, line, "CA1"))
    try:
        assert dispatcher.tick() == 1
    finally:
        dispatcher.stop()
    with db.session() as session:
        call = session.get(Call, queued[0])
        assert call is not None and call.queued_at is not None and call.offered_at is not None
        assert as_utc(call.offered_at) >= as_utc(call.queued_at)
