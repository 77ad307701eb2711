"""The dispatcher: offers queued calls, fires due timers, and does the phone-network work.

Due times live in the database (offer_expires_at, queue_deadline_at), so a restart loses
nothing: APScheduler runs `tick` every second on every instance, and compare-and-set updates
make each timer fire once however many instances tick. `kick` runs a tick at once when
something may have become offerable. Tests call `tick()` directly after moving the clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated, Any

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import Depends, Request

from hotline.auth.models import User
from hotline.board import service as board
from hotline.calls.models import Call
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.escalation import paging
from hotline.escalation import service as escalations
from hotline.followups import service as followups
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.notes import service as notes
from hotline.realtime.events import agent_topic, emit
from hotline.retention import service as retention
from hotline.routing import service as routing
from hotline.stats import rollup
from hotline.telephony.guard import Degraded, Episode
from hotline.telephony.port import TelephonyError, TelephonyPort

log = logging.getLogger(__name__)
TICK_JOB = "dispatcher-tick"
RETENTION_JOB = "retention-purge"
# The purge runs once a day (claimed per day across instances); this is how often it is checked.
RETENTION_CHECK_S = 3600
OVERFLOW_RETRY_S = 30
ROLLUP_JOB = "stats-rollup"
RECORDINGS_JOB = "provider-recordings"
# How often recordings of purged calls are deleted at the provider (retried until they go).
RECORDINGS_INTERVAL_S = 300
# How often the statistics roll-up takes in newly settled days (a year's backlog: a few runs).
ROLLUP_INTERVAL_S = 60
FALLBACKS_JOB = "line-fallbacks"
# How often each number's fallback (partner line) is re-read for when the database is down.
FALLBACKS_INTERVAL_S = 60


class Dispatcher:
    def __init__(
        self, *, db: Database, clock: Clock, settings: Settings, telephony: TelephonyPort
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.telephony = telephony
        self.degraded = Degraded(settings)
        self._tick_failing = Episode(
            "dispatcher tick failing (timers wait until it works again)",
            "dispatcher tick works again after %d failed ticks",
            log,
        )
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self._network = ThreadPoolExecutor(max_workers=8, thread_name_prefix="telephony")
        self._dirty = threading.Event()
        self._tick_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, *, sync_numbers: bool) -> None:
        self._scheduler.add_job(
            self._tick_job, "interval", id=TICK_JOB, seconds=self.settings.engine_interval_s
        )
        self._scheduler.add_job(
            self._retention_job, "interval", id=RETENTION_JOB, seconds=RETENTION_CHECK_S
        )
        self._scheduler.add_job(
            self._rollup_job, "interval", id=ROLLUP_JOB, seconds=ROLLUP_INTERVAL_S
        )
        self._scheduler.add_job(
            self.delete_provider_recordings,
            "interval",
            id=RECORDINGS_JOB,
            seconds=RECORDINGS_INTERVAL_S,
        )
        self._scheduler.add_job(
            self.refresh_fallbacks,
            "interval",
            id=FALLBACKS_JOB,
            seconds=FALLBACKS_INTERVAL_S,
            next_run_time=datetime.now(UTC),
        )
        if sync_numbers:
            self._scheduler.add_job(
                self.sync_numbers, "date", id="sync-numbers", run_date=datetime.now(UTC)
            )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._network.shutdown(wait=True)

    def kick(self) -> None:
        self._dirty.set()
        if self._scheduler.running:
            try:
                self._scheduler.modify_job(TICK_JOB, next_run_time=datetime.now(UTC))
            except Exception:  # shutting down; the next start ticks anyway
                log.debug("kick ignored", exc_info=True)

    # --- the work ---------------------------------------------------------------------------

    def _tick_job(self) -> None:
        try:
            self.tick()
        except Exception as error:  # the database down: once per outage, not every second
            self._tick_failing.occurred(exc_info=error)
        else:
            self._tick_failing.check()

    def tick(self) -> int:
        """Expire offers, overflow, offer; again while kicks came in. Returns the offers made."""
        offers = 0
        with self._tick_lock:
            while True:
                self._dirty.clear()
                now = self.clock.now()
                with self.db.session() as session:
                    effects = routing.expire_offers(
                        session=session,
                        now=now,
                        missed_before_away=self.settings.missed_offers_before_away,
                    )
                with self.db.session() as session:
                    effects.merge(routing.overflow_due(session=session, now=now))
                with self.db.session() as session:
                    routing.free_stranded(session=session, now=now)
                with self.db.session() as session:
                    notes.mark_overdue(session=session, now=now, due_s=self.settings.note_due_s)
                with self.db.session() as session:
                    followups.expire_overdue(session=session, now=now)
                with self.db.session() as session:
                    escalations.run_due(session=session, now=now)
                with self.db.session() as session:
                    pages = escalations.claim_pages(session=session, now=now)
                for page_id in pages:
                    self._network.submit(self._guard, self.send_page, page_id)
                with self.db.session() as session:
                    stuck = board.expire_dialing_monitors(
                        session=session, now=now, timeout_s=self.settings.monitor_dial_timeout_s
                    )
                for monitor_id in stuck:
                    self._network.submit(self._guard, self.cancel_monitor_leg, monitor_id)
                while True:
                    with self.db.session() as session:
                        # The offer's own time, not the tick's start: a call queued since
                        # then must not look offered before it was queued.
                        made = routing.offer_next(
                            session=session,
                            now=self.clock.now(),
                            offer_timeout_s=self.settings.offer_timeout_s,
                            instance=self.settings.instance_name,
                        )
                    if not made:
                        break
                    offers += 1
                effects.kick = False
                self.apply(effects)
                if not self._dirty.is_set():
                    return offers

    def _retention_job(self) -> None:
        try:
            self.run_retention()
        except Exception:
            log.exception("retention purge failed")

    def _rollup_job(self) -> None:
        try:
            rollup.refresh(db=self.db, now=self.clock.now())
        except Exception:
            log.exception("statistics roll-up failed")

    def delete_provider_recordings(self) -> int:
        """Delete the provider's copies of purged calls' recordings (never on a request)."""
        try:
            return retention.delete_provider_recordings(
                db=self.db, delete_at_provider=self.telephony.delete_recording
            )
        except Exception:
            log.exception("deleting purged recordings at the provider failed")
            return 0

    def run_retention(self) -> retention.PurgeResult | None:
        """The day's purge, if no instance has run it yet today (its own sessions, in batches)."""
        return retention.run_scheduled(
            db=self.db, now=self.clock.now(), instance=self.settings.instance_name
        )

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
                user.endpoint,
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
            conference, endpoint, number = call.call_sid, user.endpoint, line.number
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

    def send_page(self, page_id: int) -> None:
        """Send one claimed page by SMS or voice; record the outcome either way."""
        try:
            with self.db.session() as session:
                message = paging.outgoing(session=session, page_id=page_id)
            if message is None:
                return
            if message.channel == "sms":
                sid = self.telephony.send_sms(to=message.to, from_=message.from_, body=message.text)
            else:
                sid = self.telephony.place_call(
                    to=message.to,
                    from_=message.from_,
                    url=self.telephony.url(f"/twilio/page/voice?page_id={page_id}"),
                    status_callback=self.telephony.url(f"/twilio/page/status?page_id={page_id}"),
                )
        except Exception as error:
            log.warning("page %s not sent: %s", page_id, type(error).__name__)
            with self.db.session() as session:
                escalations.page_failed(
                    session=session,
                    page_id=page_id,
                    error=f"{type(error).__name__}: {error}",
                    now=self.clock.now(),
                )
            return
        with self.db.session() as session:
            wanted = escalations.page_sent(
                session=session, page_id=page_id, provider_sid=sid, now=self.clock.now()
            )
        if not wanted and message.channel == "voice":
            self.end_paging_call(sid)

    def end_paging_call(self, call_sid: str) -> None:
        """Stop a paging call once someone has acknowledged; one already over is left be."""
        try:
            self.telephony.hang_up(call_sid)
        except TelephonyError as error:
            log.info("paging call not ended (%s): probably over already", type(error).__name__)

    def cancel_monitor_leg(self, monitor_id: int) -> None:
        """Hang up a supervisor's leg that was given up because it never answered."""
        board.cancel_monitor_leg(db=self.db, telephony=self.telephony, monitor_id=monitor_id)

    def _say_goodbye(self, call_sid: str) -> None:
        self.telephony.redirect(call_sid, self.telephony.url("/twilio/voice/after"))

    def refresh_fallbacks(self) -> None:
        """Remember each number's partner line while the database can be read."""
        try:
            with self.db.session() as session:
                self.degraded.fallbacks.replace(lines.list_lines(session=session))
        except Exception as error:  # the webhooks say when the database is down
            log.debug("line fallbacks not refreshed: %s", type(error).__name__)

    def sync_numbers(self) -> None:
        """Point every active line's number at this deployment (simulator mode, at start)."""
        with self.db.session() as session:
            numbers = [line.number for line in lines.list_lines(session=session) if line.active]
        for number in numbers:
            try:
                self.telephony.sync_number(number)
            except Exception:
                log.exception("could not configure number webhooks; retrying in 2 s")
                self._scheduler.add_job(
                    self.sync_numbers,
                    "date",
                    id="sync-numbers",
                    replace_existing=True,
                    run_date=datetime.fromtimestamp(datetime.now(UTC).timestamp() + 2, UTC),
                )
                return


def dispatcher_of(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Dispatcher, Depends(dispatcher_of)]
