"""Timers: each feature registers its jobs; one `Worker` runs them on one APScheduler scheduler.

A job is a function of a `JobContext` that handles what is due: due times live in columns, so a
restart loses no timer, and each job opens its own transactions (`ctx.db.session()`), never one
inside another. Every instance runs every job; what makes a job's work happen once across
instances is the job's own guard, named in `Job.once` (most are compare-and-set updates, with
`FOR UPDATE SKIP LOCKED` on PostgreSQL and the write lock on SQLite). Phone-network work found by
a job is handed to the dispatcher's pool after the commit (`ctx.dispatcher.apply` / `submit`).

The engine's timers (`tick=True`) run together, in `order`, in one thread: every
`engine_interval_s` as the scheduler's one `engine` job, from `Worker.tick()` (tests call it after
moving the fake clock), and at once on `Worker.wake()` (the dispatcher's `kick`). One thread, not
one per timer: each opens a transaction, and on SQLite a dozen threads queueing for the write lock
together every interval kept a request waiting behind them. A failing job does not hold up the
others; its failures are logged once per episode (`Episode`), not on every run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.telephony.guard import Episode
from hotline.telephony.port import TelephonyPort

if TYPE_CHECKING:
    from hotline.routing.engine import Dispatcher

log = logging.getLogger(__name__)

ENGINE = "engine"  # the scheduler's one job that runs the engine's timers, in order

# The guards jobs name in `Job.once` (what keeps two instances from doing the same work twice).
COMPARE_AND_SET = (
    "compare-and-set updates of the due rows (PostgreSQL FOR UPDATE SKIP LOCKED, SQLite write lock)"
)


@dataclass(frozen=True)
class JobContext:
    """What a job works with. `dispatcher` carries out phone-network work after the commit
    (`apply(effects)`, `submit(function, argument)`) and `kick()`s routing."""

    db: Database
    clock: Clock
    settings: Settings
    telephony: TelephonyPort
    dispatcher: Dispatcher


@dataclass(frozen=True)
class Job:
    """One timer. `run` returns how much it did (or None); `once` names its guard across
    instances. Scheduled every `every` seconds (a number, or read from the settings), or by a
    `cron` expression (UTC), or only at start (`at_start` without either)."""

    name: str
    run: Callable[[JobContext], int | None]
    once: str
    every: float | Callable[[Settings], float] | None = None
    cron: str | None = None
    tick: bool = False  # an engine timer: runs in `Worker.tick()`, so no `every` or `cron`
    order: int = 0  # position in `tick()`, lowest first
    at_start: bool = False  # also run as soon as the worker starts
    retry_s: float | None = None  # a failed run is tried again this much later
    enabled: Callable[[Settings], bool] | None = None  # scheduled only where this says so

    def interval_s(self, settings: Settings) -> float | None:
        return self.every(settings) if callable(self.every) else self.every


class Registry:
    """The jobs of every feature, by name; each feature's `jobs.register(registry)` adds its own."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job) -> None:
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} registered twice")
        if job.tick and (job.every is not None or job.cron is not None):
            raise ValueError(f"job {job.name!r}: an engine timer runs every engine_interval_s")
        self._jobs[job.name] = job

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._jobs


def registry() -> Registry:
    """Every feature's jobs (the features are listed here, once)."""
    from hotline.board import jobs as board
    from hotline.callcontrol import jobs as callcontrol
    from hotline.conversations import jobs as conversations
    from hotline.dialback import jobs as dialback
    from hotline.escalation import jobs as escalation
    from hotline.followups import jobs as followups
    from hotline.linkage import jobs as linkage
    from hotline.notes import jobs as notes
    from hotline.retention import jobs as retention
    from hotline.review import jobs as review
    from hotline.routing import jobs as routing
    from hotline.stats import jobs as stats
    from hotline.telephony import jobs as telephony

    found = Registry()
    for feature in (
        routing,
        conversations,
        callcontrol,
        notes,
        followups,
        escalation,
        board,
        retention,
        stats,
        review,
        telephony,
        linkage,
        dialback,
    ):
        feature.register(found)
    return found


@dataclass
class Ticked:
    """What one `tick()` did: each job's total (over repeats), and the jobs that failed."""

    done: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


class Worker:
    """Runs the jobs: on its scheduler (`start`/`stop`), or synchronously (`tick`, `run`)."""

    def __init__(self, context: JobContext, jobs: Iterable[Job]) -> None:
        self.context = context
        self.jobs = {job.name: job for job in jobs}
        self._engine = sorted((j for j in self.jobs.values() if j.tick), key=lambda j: j.order)
        # One run of a job at a time in this process (the scheduler's, tick()'s or a test's).
        self._running = {name: threading.Lock() for name in self.jobs}
        # Set by wake(): the job runs again when its current run ends (a kick is never lost).
        self._again = {name: threading.Event() for name in self.jobs}
        self._failing = {
            name: Episode(
                f"job {name} failing (its timers wait until it works again)",
                f"job {name} works again after %d failed runs",
                log,
            )
            for name in self.jobs
        }
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=len(self.jobs) + 2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        settings = self.context.settings
        now = datetime.now(UTC)
        if self._engine:
            self._scheduler.add_job(
                self.tick,
                IntervalTrigger(seconds=settings.engine_interval_s, timezone=UTC),
                id=ENGINE,
                name=ENGINE,
            )
        for job in self.jobs.values():
            if job.tick or (job.enabled is not None and not job.enabled(settings)):
                continue
            interval = job.interval_s(settings)
            first = now if job.at_start else None
            if job.cron is not None:
                trigger: CronTrigger | IntervalTrigger = CronTrigger.from_crontab(
                    job.cron, timezone=UTC
                )
            elif interval is not None:
                trigger = IntervalTrigger(seconds=interval, timezone=UTC)
            else:
                self._scheduler.add_job(
                    self._scheduled, "date", [job], id=job.name, name=job.name, run_date=now
                )
                continue
            kwargs = {} if first is None else {"next_run_time": first}
            self._scheduler.add_job(
                self._scheduled, trigger, [job], id=job.name, name=job.name, **kwargs
            )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def wake(self) -> None:
        """Run the engine's timers now (something became offerable, or pages are waiting)."""
        for job in self._engine:
            self._again[job.name].set()
        if not self._scheduler.running:
            return
        try:
            self._scheduler.modify_job(ENGINE, next_run_time=datetime.now(UTC))
        except Exception:  # shutting down, or no engine timers here; the next start runs them
            log.debug("wake ignored", exc_info=True)

    # --- running --------------------------------------------------------------------------

    def tick(self) -> Ticked:
        """Run every engine timer once, in order; again while wakes came in meanwhile."""
        ticked = Ticked()
        while True:
            for job in self._engine:
                done = self._run(job)
                if done is None:
                    ticked.failed.append(job.name)
                else:
                    ticked.done[job.name] = ticked.done.get(job.name, 0) + done
            if not any(self._again[job.name].is_set() for job in self._engine):
                return ticked

    def run(self, name: str) -> int | None:
        """Run one job now, in this thread; None if it failed (logged once per episode)."""
        return self._run(self.jobs[name])

    def _run(self, job: Job) -> int | None:
        with self._running[job.name]:
            self._again[job.name].clear()
            try:
                done = job.run(self.context)
            except Exception as error:  # e.g. the database down: once per outage, not every run
                self._failing[job.name].occurred(exc_info=error)
                return None
            self._failing[job.name].check()
            return done or 0

    def _scheduled(self, job: Job) -> None:
        """What the scheduler calls: the job, again while woken meanwhile; a retry if it failed."""
        while True:
            done = self._run(job)
            if done is None and job.retry_s is not None:
                self._retry(job)
                return
            if not self._again[job.name].is_set():
                return

    def _retry(self, job: Job) -> None:
        if not self._scheduler.running:
            return
        at = datetime.now(UTC) + timedelta(seconds=job.retry_s or 0)
        try:
            if job.every is None and job.cron is None:
                self._scheduler.add_job(
                    self._scheduled,
                    "date",
                    [job],
                    id=job.name,
                    name=job.name,
                    replace_existing=True,
                    run_date=at,
                )
            else:
                self._scheduler.modify_job(job.name, next_run_time=at)
        except Exception:  # shutting down
            log.debug("retry not scheduled for %s", job.name, exc_info=True)
