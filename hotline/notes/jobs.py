"""Notes' timer: answered calls whose note is overdue are flagged."""

from __future__ import annotations

from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.notes import service as notes


def mark_overdue(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return notes.mark_overdue(session=session, now=now, due_s=ctx.settings.note_due_s)


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="notes.overdue",
            run=mark_overdue,
            once=COMPARE_AND_SET,
            tick=True,
            order=40,
        )
    )
