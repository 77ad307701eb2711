"""Emergency linkage's timer: erasing callers' numbers once nothing may need them."""

from __future__ import annotations

from datetime import timedelta

from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.linkage import service as linkage

# Often enough that a call without an escalation keeps its number seconds past its end, at most.
ERASE_INTERVAL_S = 10


def erase(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return linkage.erase_due(
            session=session,
            now=now,
            window=timedelta(hours=ctx.settings.rescue_number_window_h),
            wrap_up=timedelta(seconds=ctx.settings.note_due_s),
        )


def register(registry: Registry) -> None:
    registry.add(Job(name="linkage.erase", run=erase, once=COMPARE_AND_SET, every=ERASE_INTERVAL_S))
