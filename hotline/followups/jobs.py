"""Follow-ups' timer: follow-ups long past due without reaching the caller are closed."""

from __future__ import annotations

from hotline.followups import service as followups
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry


def expire_overdue(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return followups.expire_overdue(session=session, now=now)


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="followups.expire",
            run=expire_overdue,
            once=COMPARE_AND_SET,
            tick=True,
            order=50,
        )
    )
