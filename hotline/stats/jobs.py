"""Statistics' timer: the roll-up takes in newly settled days (a year's backlog: a few runs)."""

from __future__ import annotations

from hotline.jobs import Job, JobContext, Registry
from hotline.stats import rollup

INTERVAL_S = 60
LINE_LOCK = (
    "the line's stats_rollups row, locked FOR UPDATE SKIP LOCKED (SQLite write lock) for each "
    "day rolled up; a second start of a line loses on its primary key"
)


def refresh(ctx: JobContext) -> int:
    return rollup.refresh(db=ctx.db, now=ctx.clock.now()).days


def register(registry: Registry) -> None:
    registry.add(Job(name="stats.rollup", run=refresh, once=LINE_LOCK, every=INTERVAL_S))
