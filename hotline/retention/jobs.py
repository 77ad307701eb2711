"""Retention's timer: the daily purge (checked hourly; one instance runs it each UTC day)."""

from __future__ import annotations

from hotline.jobs import Job, JobContext, Registry
from hotline.retention import service as retention

# The purge runs once a day (claimed per day across instances); this is how often it is checked.
CHECK_S = 3600
DAY_CLAIM = (
    "lease row: the instance that inserts the day's retention_runs row (unique day) purges; "
    "each batch locks its calls FOR UPDATE SKIP LOCKED, and a repeated purge deletes nothing"
)


def run_retention(ctx: JobContext) -> retention.PurgeResult | None:
    """The day's purge, if no instance has run it yet today (its own sessions, in batches)."""
    return retention.run_scheduled(
        db=ctx.db, now=ctx.clock.now(), instance=ctx.settings.instance_name
    )


def purge(ctx: JobContext) -> int:
    result = run_retention(ctx)
    return 0 if result is None else sum(result.counts.values())


def register(registry: Registry) -> None:
    registry.add(Job(name="retention.purge", run=purge, once=DAY_CLAIM, every=CHECK_S))
