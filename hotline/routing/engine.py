"""The dispatcher: routing, and the phone-network work that follows a commit.

It offers queued calls (through the routing timers it `kick`s), connects counselors and crisis
responders, and carries out `Effects` on its worker pool, never on a request or in a transaction.
The timers themselves are jobs (`hotline/jobs.py`; routing's are in `hotline/routing/jobs.py`),
run by the app's `Worker`; `tick()` and the other methods below marked "alias" run a job
synchronously for tests, which call them after moving the clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, Request

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.escalation import jobs as escalation_jobs
from hotline.escalation import service as escalations
from hotline.jobs import JobContext, Worker, registry
from hotline.lines.models import Line
from hotline.realtime.events import agent_topic, emit
from hotline.retention import jobs as retention_jobs
from hotline.retention import service as retention
from hotline.routing import service as routing
from hotline.telephony.guard import Degraded, Episode
from hotline.telephony.port import TelephonyError, TelephonyPort

log = logging.getLogger(__name__)
OVERFLOW_RETRY_S = 30
OFFERS_JOB = "routing.offers"


class Dispatcher:
    def __init__(
        self, *, db: Database, clock: Clock, settings: Settings, telephony: TelephonyPort
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.telephony = telephony
        self.degraded = Degraded(settings)
        # The worker that runs the timers: the app sets its own; a dispatcher made on its own
        # (tests) makes one with every feature's jobs when first ticked or kicked.
        self.worker: Worker | None = None
        self._worker_lock = threading.Lock()
        self._tick_failing = Episode(
            "dispatcher tick failing (timers wait until it works again)",
            "dispatcher tick works again after %d failed ticks",
            log,
        )
        self._network = ThreadPoolExecutor(max_workers=8, thread_name_prefix="telephony")

    def context(self) -> JobContext:
        """What the jobs work with: this dispatcher's database, clock, settings and network."""
        return JobContext(
            db=self.db,
            clock=self.clock,
            settings=self.settings,
            telephony=self.telephony,
            dispatcher=self,
        )

    def jobs(self) -> Worker:
        with self._worker_lock:
            if self.worker is None:
                self.worker = Worker(self.context(), registry().jobs)
            return self.worker

    # --- lifecycle ------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the worker pool (the app's lifespan stops the jobs' worker first)."""
        if self.worker is not None:
            self.worker.stop()
        self._network.shutdown(wait=True)

    def kick(self) -> None:
        """Run the routing timers (and the engine's others: pages) now, not at the next run."""
        self.jobs().wake()

    # --- the timers, run synchronously (tests) ---------------------------------------------

    def tick(self) -> int:
        """Alias: run every engine timer once, in order (again while kicks came in); returns the
        offers made. Tests call it after moving the clock."""
        return self.jobs().tick().done.get(OFFERS_JOB, 0)

    def _tick_job(self) -> None:
        """Alias: a tick as the scheduler ran it, the failure logged once per outage."""
        if self.jobs().tick().failed:
            self._tick_failing.occurred()
        else:
            self._tick_failing.check()

    def delete_provider_recordings(self) -> int:
        """Alias of the `review.recordings` job: 0 when it failed (logged)."""
        return self.jobs().run("review.recordings") or 0

    def run_retention(self) -> retention.PurgeResult | None:
        """Alias of the `retention.purge` job (its errors raise)."""
        return retention_jobs.run_retention(self.context())

    def sync_numbers(self) -> None:
        """Alias of the `telephony.sync_numbers` job (a failure is logged)."""
        self.jobs().run("telephony.sync_numbers")

    def send_page(self, page_id: int) -> None:
        """Alias of `hotline.escalation.jobs.send_page`."""
        escalation_jobs.send_page(self.context(), page_id)

    # --- the network work -------------------------------------------------------------------

    def apply(self, effects: routing.Effects) -> None:
        """Hand phone-network work to the worker pool; never on a request or a transaction."""
        for call_id in effects.connect:
            self._network.submit(self._guard, self.connect_counselor, call_id)
        for leg in effects.hang_up:
            self._network.submit(self._guard, self.telephony.hang_up, leg)
        for name in effects.end_conference:
            self._network.submit(self._guard, self.telephony.end_conference, name)
        for call_sid in effects.overflow:
            self._network.submit(self._guard, self._send_to_overflow, call_sid)
        for call_sid in effects.goodbye:
            self._network.submit(self._guard, self._say_goodbye, call_sid)
        for pair in effects.connect_responder:
            self._network.submit(self._guard, self.connect_responder, pair)
        for caller in effects.reassure:
            self._network.submit(self._guard, self._reassure, caller)
        for call_sid in effects.unhold:
            self._network.submit(self._guard, self._unhold, call_sid)
        if effects.kick:
            self.kick()

    def submit(self, function: Callable[[Any], object], argument: Any) -> None:
        """Run phone-network work for another feature on the worker pool (after a commit)."""
        self._network.submit(self._guard, function, argument)

    @staticmethod
    def _guard(function: Callable[[Any], object], argument: Any) -> None:
        try:
            function(argument)
        except Exception:
            log.exception("telephony task failed: %s", getattr(function, "__name__", function))

    def connect_counselor(self, call_id: int) -> None:
        """Ring the counselor who accepted and add them to the caller's conference."""
        with self.db.session() as session:
            call = session.get(Call, call_id)
            if call is None or call.offered_to_id is None:
                return
            user = session.get(User, call.offered_to_id)
            line = session.get(Line, call.line_id)
            assert user is not None and line is not None and user.id is not None
            conference, endpoint, number, user_id = (
                call.call_sid,
                routing.endpoint_for(session=session, user=user),
                line.number,
                user.id,
            )
        status_url = self.telephony.url(
            f"/twilio/participant/status?call_id={call_id}&user_id={user_id}"
        )
        try:
            leg = self.telephony.dial_into_conference(
                conference=conference,
                to=endpoint,
                from_=number,
                label=f"counselor:{user_id}",
                status_callback=status_url,
            )
        except Exception:
            log.exception("could not dial counselor user=%s for call=%s", user_id, conference)
            with self.db.session() as session:
                call = session.get(Call, call_id)
                if call is not None:
                    routing.counselor_leg_failed(
                        session=session,
                        call=call,
                        user_id=user_id,
                        now=self.clock.now(),
                        status="failed",
                    )
                    emit(session, agent_topic(user_id), {"error": "connect_failed"})
            self.kick()
            return
        log.info("dialled counselor user=%s leg=%s for call=%s", user_id, leg, conference)

    def _send_to_overflow(self, call_sid: str) -> None:
        try:
            self.telephony.redirect(call_sid, self.telephony.url("/twilio/voice/overflow"))
        except Exception:
            log.exception("overflow redirect failed for call=%s; back to the queue", call_sid)
            with self.db.session() as session:
                routing.overflow_failed(
                    session=session,
                    call_sid=call_sid,
                    now=self.clock.now(),
                    retry_s=OVERFLOW_RETRY_S,
                )
            self.kick()

    def connect_responder(self, pair: tuple[int, int]) -> None:
        """Ring the crisis worker who acknowledged and add them to the caller's conference."""
        call_id, user_id = pair
        with self.db.session() as session:
            call = session.get(Call, call_id)
            user = session.get(User, user_id)
            assert call is not None and user is not None
            if escalations.caller_gone_at(session=session, call=call) is not None:
                log.info("responder user=%s not dialled: caller of call=%s left", user_id, call_id)
                return
            line = session.get(Line, call.line_id)
            assert line is not None
            endpoint = routing.endpoint_for(session=session, user=user)
            conference, number = call.call_sid, line.number
        self.telephony.dial_into_conference(
            conference=conference,
            to=endpoint,
            from_=number,
            label=f"crisis:{user_id}",
            start_conference=False,
            status_callback=self.telephony.url(
                f"/twilio/participant/status?call_id={call_id}&user_id={user_id}"
            ),
        )

    def end_paging_call(self, call_sid: str) -> None:
        """Stop a paging call once someone has acknowledged; one already over is left be."""
        try:
            self.telephony.hang_up(call_sid)
        except TelephonyError as error:
            log.info("paging call not ended (%s): probably over already", type(error).__name__)

    def _reassure(self, caller: tuple[str, str]) -> None:
        """The counselor's leg dropped: the caller, alone in their conference, is told once and
        then hears the hold music (on hold, so a conference that had started plays it)."""
        call_sid, lang = caller
        self.telephony.update_participant(
            conference=call_sid,
            leg_sid=call_sid,
            hold=True,
            hold_url=self.telephony.url(f"/twilio/voice/hold?lang={lang}&dropped=1"),
        )

    def _unhold(self, call_sid: str) -> None:
        """A counselor is with the caller again: off hold, they hear each other."""
        self.telephony.update_participant(conference=call_sid, leg_sid=call_sid, hold=False)

    def _say_goodbye(self, call_sid: str) -> None:
        self.telephony.redirect(call_sid, self.telephony.url("/twilio/voice/after"))


def dispatcher_of(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Dispatcher, Depends(dispatcher_of)]
