"""Call control's timer: cold transfers a colleague did not answer in time go back to the
counselor who offered them (the call never left them)."""

from __future__ import annotations

from hotline.callcontrol import transfers
from hotline.callcontrol.network import Network
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry


def expire_transfers(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        moves = transfers.expire_offers(session=session, now=now)
    network = Network(db=ctx.db, clock=ctx.clock, telephony=ctx.telephony)
    ctx.dispatcher.submit(network.carry_out, moves)
    return len(moves.hold) + len(moves.end_leg)


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="callcontrol.expire_transfers",
            run=expire_transfers,
            once=COMPARE_AND_SET,
            tick=True,
            order=15,
        )
    )
