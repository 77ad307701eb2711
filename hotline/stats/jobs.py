"""Statistics' timers: the roll-up takes in newly settled days (a year's backlog: a few runs), and
the reports of the month, quarter and half-year just over are filed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.jobs import Job, JobContext, Registry
from hotline.stats import archive, rollup, service

INTERVAL_S = 60
LINE_LOCK = (
    "the line's stats_rollups row, locked FOR UPDATE SKIP LOCKED (SQLite write lock) for each "
    "day rolled up; a second start of a line loses on its primary key"
)


def refresh(ctx: JobContext) -> int:
    return rollup.refresh(db=ctx.db, now=ctx.clock.now()).days


FILING_INTERVAL_S = 3600  # a period just over is filed within the hour
CHAIN_KEYS = (
    "the archive's unique seq and (period, line): a twin filing fails on insert and rolls back"
)


def local_today(zone: str, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def file_reports(ctx: JobContext) -> int:
    """File every report that is due, one per transaction."""
    key = archive.signing_key(ctx.settings.secret_key)
    filed = 0
    while True:
        now = ctx.clock.now()
        with ctx.db.session() as session:
            _line, zone = service.zone_of(session=session, line_id=None)
            made = archive.file_due(
                db_session=session, today=local_today(zone, now).date(), now=now, key=key
            )
        if not made:
            return filed
        filed += made


def register(registry: Registry) -> None:
    registry.add(Job(name="stats.rollup", run=refresh, once=LINE_LOCK, every=INTERVAL_S))
    registry.add(
        Job(
            name="stats.file_reports",
            run=file_reports,
            once=CHAIN_KEYS,
            every=FILING_INTERVAL_S,
        )
    )
