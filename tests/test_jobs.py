"""The jobs' worker: every feature's timers are registered, a failing job holds up no other and
is logged once per episode, and a wake during a run is never lost."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline import jobs
from hotline.app import create_app
from hotline.jobs import Job, JobContext, Registry, Worker
from hotline.telephony import guard
from tests.stack import make_settings

FEATURES = {
    "routing": {
        "routing.expire_offers",
        "routing.overflow",
        "routing.stranded",
        "routing.consoles_gone",
        "routing.offers",
    },
    "callcontrol": {"callcontrol.expire_transfers"},
    "notes": {"notes.overdue"},
    "followups": {"followups.expire"},
    "escalation": {"escalation.steps", "escalation.drills", "escalation.pages"},
    "board": {"board.monitors"},
    "retention": {"retention.purge"},
    "stats": {"stats.rollup", "stats.file_reports"},
    "review": {"review.recordings"},
    "telephony": {"telephony.fallbacks", "telephony.sync_numbers"},
    "linkage": {"linkage.erase"},
    "dialback": {"dialback.place"},
    "conversations": {
        "conversations.overdue",
        "conversations.positions",
        "conversations.deliver",
    },
}
# The engine's timers, in the order the dispatcher's tick always ran them.
TICK_ORDER = [
    "routing.expire_offers",
    "callcontrol.expire_transfers",
    "routing.overflow",
    "conversations.overdue",
    "routing.stranded",
    "routing.consoles_gone",
    "notes.overdue",
    "followups.expire",
    "escalation.steps",
    "escalation.drills",
    "escalation.pages",
    "dialback.place",
    "board.monitors",
    "routing.offers",
    "conversations.positions",
    "conversations.deliver",
]
# The jobs below use none of it; the worker reads the settings.
NO_CONTEXT = cast(JobContext, SimpleNamespace(settings=make_settings("sqlite://", 9, None)))


def test_the_registry_holds_every_features_jobs_each_naming_its_guard() -> None:
    registered = {job.name: job for job in jobs.registry().jobs}
    assert set(registered) == set().union(*FEATURES.values())
    for name, job in registered.items():
        assert job.once.strip(), f"{name} does not name what keeps it once across instances"
        assert job.tick or job.every is not None or job.cron is not None or job.at_start, name
    engine = sorted((j for j in registered.values() if j.tick), key=lambda j: j.order)
    assert [job.name for job in engine] == TICK_ORDER


def test_the_app_runs_the_registry_on_one_worker_the_dispatcher_kicks(database_url: str) -> None:
    app = create_app(make_settings(database_url, 9, None, run_engine=False))
    worker = app.state.worker
    assert app.state.dispatcher.worker is worker
    assert set(worker.jobs) == {job.name for job in jobs.registry().jobs}
    app.state.dispatcher.stop()


def test_a_job_is_registered_once() -> None:
    registry = Registry()
    registry.add(Job(name="x", run=lambda ctx: 0, once="test", every=1))
    with pytest.raises(ValueError):
        registry.add(Job(name="x", run=lambda ctx: 0, once="test", every=1))


def test_an_engine_timer_takes_its_interval_from_the_engine() -> None:
    with pytest.raises(ValueError):
        Registry().add(Job(name="x", run=lambda ctx: 0, once="test", every=1, tick=True))


class Failing:
    def __init__(self) -> None:
        self.failing = True
        self.runs = 0

    def __call__(self, ctx: JobContext) -> int:
        self.runs += 1
        if self.failing:
            raise RuntimeError("the database is down")
        return 1


class Counting:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, ctx: JobContext) -> int:
        self.runs += 1
        return 1


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hotline.jobs"]


def test_a_failing_job_holds_up_no_other_and_is_logged_once_per_episode(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, other = Failing(), Counting()
    worker = Worker(
        NO_CONTEXT,
        [
            Job(name="broken", run=broken, once="test", tick=True, order=1),
            Job(name="other", run=other, once="test", tick=True, order=2),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="hotline.jobs"):
        for _ in range(3):
            ticked = worker.tick()
            assert ticked.failed == ["broken"] and ticked.done == {"other": 1}
        assert other.runs == 3 and broken.runs == 3
        assert failures(caplog) == ["job broken failing (its timers wait until it works again)"]

        broken.failing = False
        monkeypatch.setattr(guard, "QUIET_S", 0.0)  # as if it had been quiet for a while
        assert worker.tick().failed == []
        assert worker.run("broken") == 1
        broken.failing = True
        assert worker.run("broken") is None  # a new episode
    assert failures(caplog) == [
        "job broken failing (its timers wait until it works again)",
        "job broken works again after 3 failed runs",
        "job broken failing (its timers wait until it works again)",
    ]


def wait_for(condition: Any, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_on_the_scheduler_a_failing_job_holds_up_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, other = Failing(), Counting()
    worker = Worker(
        NO_CONTEXT,
        [
            Job(name="broken", run=broken, once="test", every=0.05),
            Job(name="other", run=other, once="test", every=0.05),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="hotline.jobs"):
        worker.start()
        try:
            wait_for(lambda: broken.runs >= 3 and other.runs >= 3)
        finally:
            worker.stop()
    assert failures(caplog) == ["job broken failing (its timers wait until it works again)"]


def test_on_the_scheduler_the_engine_timers_run_in_order_in_one_thread() -> None:
    ran: list[tuple[str, int]] = []

    def timer(name: str) -> Callable[[JobContext], int]:
        def run(ctx: JobContext) -> int:
            ran.append((name, threading.get_ident()))
            return 0

        return run

    context = cast(
        JobContext,
        SimpleNamespace(settings=make_settings("sqlite://", 9, None, engine_interval_s=0.05)),
    )
    worker = Worker(
        context,
        [
            Job(name="second", run=timer("second"), once="test", tick=True, order=2),
            Job(name="first", run=timer("first"), once="test", tick=True, order=1),
        ],
    )
    worker.start()
    try:
        wait_for(lambda: len(ran) >= 6)
    finally:
        worker.stop()
    names = [name for name, _ in ran[:6]]
    assert names == ["first", "second"] * 3
    # One tick at a time: each run of "second" follows a "first" on the same thread.
    for (_, first_thread), (_, second_thread) in zip(ran[0:6:2], ran[1:6:2], strict=True):
        assert first_thread == second_thread


def test_a_job_that_only_runs_at_start_is_retried_until_it_works() -> None:
    flaky = Failing()

    def heal() -> None:
        wait_for(lambda: flaky.runs >= 2)
        flaky.failing = False

    worker = Worker(
        NO_CONTEXT, [Job(name="once", run=flaky, once="test", at_start=True, retry_s=0.05)]
    )
    healer = threading.Thread(target=heal, daemon=True)
    healer.start()
    worker.start()
    try:
        wait_for(lambda: not flaky.failing and flaky.runs >= 3)
    finally:
        worker.stop()
    healer.join(timeout=5)


def test_a_wake_during_a_run_runs_the_engine_again() -> None:
    worker: Worker

    class WakesOnce:
        runs = 0

        def __call__(self, ctx: JobContext) -> int:
            self.runs += 1
            if self.runs == 1:
                worker.wake()  # e.g. a counselor came free while the offers ran
            return 1

    offers, later = WakesOnce(), Counting()
    slow = Job(name="slow", run=later, once="test", every=3600)  # not an engine timer
    worker = Worker(
        NO_CONTEXT,
        [Job(name="offers", run=offers, once="test", tick=True), slow],
    )
    assert worker.tick().done == {"offers": 2}
    assert later.runs == 0
