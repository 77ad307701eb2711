"""Placing the line's calls back, paced: at most one every `dialback_interval_s` across every
instance (the `DialPacer` row), oldest due first. The call itself is placed after the commit, on
the dispatcher's pool, never in a request."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hotline.clock import Clock
from hotline.db import Database
from hotline.dialback import service as dialbacks
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.telephony.port import TelephonyPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placer:
    db: Database
    clock: Clock
    telephony: TelephonyPort

    def place(self, placement: dialbacks.Placement) -> None:
        """Ring the person from the line's number. The number goes to the phone network only:
        a refusal is logged by its type (its message may quote the number)."""
        dial_back_id = placement.dial_back_id
        try:
            sid = self.telephony.place_dial_back(
                to=placement.to,
                from_=placement.from_,
                url=self.telephony.url(f"/twilio/dialback/answer?dial_back_id={dial_back_id}"),
                status_callback=self.telephony.url(
                    f"/twilio/dialback/status?dial_back_id={dial_back_id}"
                ),
            )
        except Exception as error:
            log.warning("dial-back %s: call refused: %s", dial_back_id, type(error).__name__)
            with self.db.session() as session:
                dialbacks.place_failed(
                    session=session, dial_back_id=dial_back_id, now=self.clock.now()
                )
            return
        with self.db.session() as session:
            dialbacks.placed(session=session, dial_back_id=dial_back_id, call_sid=sid)
        log.info("dial-back %s placed: call=%s", dial_back_id, sid)


def place_due(ctx: JobContext) -> int:
    """One due dial-back, if the pace allows it now; placed after the commit."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        placement = dialbacks.take_turn(
            session=session, now=now, interval_s=ctx.settings.dialback_interval_s
        )
    if placement is None:
        return 0
    ctx.dispatcher.submit(Placer(ctx.db, ctx.clock, ctx.telephony).place, placement)
    return 1


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="dialback.place",
            run=place_due,
            once=COMPARE_AND_SET + "; the pacer row's next_at",
            tick=True,
            order=75,
        )
    )
