"""Routing's timers: offers that ran out, callers past the line's wait, stranded counselors,
counselors whose console is gone, and offering queued calls (the dispatcher's `kick` runs them
at once)."""

from __future__ import annotations

from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.routing import service as routing


def expire_offers(ctx: JobContext) -> int:
    """Offers not accepted in time, and accepted calls that never joined, go back to the queue."""
    now = ctx.clock.now()  # read before the transaction, as a clock in a test may write
    with ctx.db.session() as session:
        effects = routing.expire_offers(
            session=session,
            now=now,
            missed_before_away=ctx.settings.missed_offers_before_away,
        )
    ctx.dispatcher.apply(effects)  # kicks the offers when a counselor came free
    return len(effects.hang_up)


def overflow(ctx: JobContext) -> int:
    """Callers who waited past the line's maximum go to the partner line or voicemail."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        effects = routing.overflow_due(session=session, now=now)
    ctx.dispatcher.apply(effects)
    return len(effects.overflow)


def free_stranded(ctx: JobContext) -> int:
    """Safety net: counselors held by a call that is no longer theirs are set free."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return routing.free_stranded(session=session, now=now)


def consoles_gone(ctx: JobContext) -> int:
    """Available counselors whose console has been closed past the grace are set away.

    Every instance's tick first says its own sockets are alive, then closes the sockets no
    instance has seen for the grace (one that crashed leaves its rows behind; without this
    its counselors would look connected for ever and be offered calls they cannot hear)."""
    now = ctx.clock.now()
    grace_s = ctx.settings.console_grace_s
    with ctx.db.session() as session:
        routing.console_heartbeat(
            session=session,
            instance=ctx.settings.instance_name,
            now=now,
            every_s=grace_s / 3,
        )
        routing.close_dead_sockets(session=session, now=now, stale_s=grace_s)
        return routing.set_away_consoles_gone(session=session, now=now, grace_s=grace_s)


def offer(ctx: JobContext) -> int:
    """Offer queued calls to free counselors, one transaction per offer, until none is left."""
    offers = 0
    while True:
        with ctx.db.session() as session:
            # The offer's own time, not the run's start: a call queued since then must not
            # look offered before it was queued.
            made = routing.offer_next(
                session=session,
                now=ctx.clock.now(),
                offer_timeout_s=ctx.settings.offer_timeout_s,
                instance=ctx.settings.instance_name,
                max_conversations=ctx.settings.max_conversations,
            )
        if not made:
            return offers
        offers += 1


def register(registry: Registry) -> None:
    for name, run, order in (
        ("routing.expire_offers", expire_offers, 10),
        ("routing.overflow", overflow, 20),
        ("routing.stranded", free_stranded, 30),
        # Before offering: no call goes to a counselor whose console is gone.
        ("routing.consoles_gone", consoles_gone, 35),
        # Last in a tick: the other timers may have freed counselors or queued calls.
        ("routing.offers", offer, 100),
    ):
        registry.add(
            Job(
                name=name,
                run=run,
                once=COMPARE_AND_SET,
                tick=True,
                order=order,
            )
        )
