"""Conversations' timers: people who waited past the maximum are given the partner line and
the emergency numbers; people still waiting hear when their place in the queue improves."""

from __future__ import annotations

from hotline.conversations import service as conversations
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry, engine_interval


def overdue(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        due = conversations.overdue(session=session, now=now)
        return sum(conversations.give_up_waiting(session=session, call=c, now=now) for c in due)


def positions(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return conversations.tell_positions(session=session, now=now)


def register(registry: Registry) -> None:
    for name, run, order in (
        ("conversations.overdue", overdue, 21),
        # After the offers: a conversation offered is no longer waiting.
        ("conversations.positions", positions, 110),
    ):
        registry.add(
            Job(
                name=name,
                run=run,
                once=COMPARE_AND_SET,
                every=engine_interval,
                tick=True,
                order=order,
            )
        )
