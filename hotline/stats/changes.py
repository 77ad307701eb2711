"""Telling the statistics roll-up that an old call changed (kept apart from `rollup` so the call
and note services can use it without importing the statistics)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from hotline.calls.models import Call
from hotline.stats.models import StatsStale

SETTLE_DAYS = 2  # a local day is rolled up once today is at least this many days after it


def mark_changed(*, session: Session, call: Call, now: datetime) -> None:
    """Record that a call's figures changed, if its day may already be rolled up.

    Conservative (a day old in UTC rather than whole days in the line's zone) and cheap: a plain
    insert in the caller's transaction, so the mark commits exactly when the change does."""
    arrived = call.queued_at or call.created_at
    if arrived < now - timedelta(days=SETTLE_DAYS - 1):
        session.add(StatsStale(line_id=call.line_id, arrived_at=arrived))
