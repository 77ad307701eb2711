"""The board's timer: supervisors' monitor legs that never answered are given up and hung up."""

from __future__ import annotations

from hotline.board import service as board
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry


def expire_monitors(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        stuck = board.expire_dialing_monitors(
            session=session, now=now, timeout_s=ctx.settings.monitor_dial_timeout_s
        )

    def cancel_monitor_leg(monitor_id: int) -> None:
        board.cancel_monitor_leg(db=ctx.db, telephony=ctx.telephony, monitor_id=monitor_id)

    for monitor_id in stuck:  # after the commit, on the dispatcher's pool
        ctx.dispatcher.submit(cancel_monitor_leg, monitor_id)
    return len(stuck)


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="board.monitors",
            run=expire_monitors,
            once=COMPARE_AND_SET,
            tick=True,
            order=80,
        )
    )
