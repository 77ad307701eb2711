"""Callbacks that Twilio sends together may arrive in any order: the end is the same.

Hypothesis writes call stories (menu races, hang-ups in the menu, in the queue and during an
offer, live calls ended by the caller, by the counselor's phone or console, a crisis responder
joining and taking the caller over). Each story is delivered to the real webhook handlers (the
app's endpoint functions, receipts and all, past the signature check) against a real database;
every set of callbacks Twilio may send at the same moment is delivered in every order, and the
final call, counselor states and event history must equal those of in-order delivery.

Speed: one migrated database per backend, one connection. A story runs inside a transaction
that is rolled back afterwards, and each other order of a set is tried from a SAVEPOINT taken just
before the set, so no story is replayed from its start. The handlers' own sessions nest in
those savepoints (a commit releases one, a rollback undoes one). The phone network is
faked: the work the handlers ask of it (Effects) is recorded, not dialled.

Left out of the sets, because their handlers change nothing for them (only the webhook receipt),
so their place in an order cannot matter: the counselor's and responder's leg `completed` status
(/twilio/participant/status acts only on a leg that never answered; the leg's `canceled`, sent
when the caller leaves during the connection, is in), and the crisis responder's
participant-leave (nothing follows a responder leaving). Each would multiply the orders to try
by five or six.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text
from starlette.requests import Request

from hotline.app import create_app
from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.clock import FakeClock
from hotline.db import Database, make_engine
from hotline.escalation import service as escalations
from hotline.migrate import upgrade
from hotline.routing import service as routing
from hotline.routing.engine import Dispatcher
from hotline.routing.models import AgentState
from hotline.telephony import router as telephony
from tests.calls import LINE, inbound
from tests.conftest import fresh_postgres_database
from tests.factories import make_line, make_user
from tests.stack import make_settings

# 500 stories per backend: 1,000 a run.
STORIES = 500
BASE = "http://testserver"
CALL_SID = "CA" + "5" * 32
COUNSELOR_LEG = "CA" + "6" * 32
RESPONDER_LEG = "CA" + "7" * 32
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

Callback = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Together:
    """Callbacks Twilio sends at the same moment (any arrival order)."""

    callbacks: tuple[Callback, ...]


@dataclass(frozen=True)
class Act:
    """Something our side does: the dispatcher offers, the counselor answers, and so on."""

    name: str


Step = Together | Act


@dataclass(frozen=True)
class Story:
    steps: tuple[Step, ...]
    gaps: tuple[int, ...]  # seconds before each step


# --- the callbacks, as Twilio sends them ---------------------------------------------------


def status(call_status: str) -> Callback:
    return (
        "/twilio/voice/status",
        {
            **inbound(CALL_SID),
            "CallStatus": call_status,
            "SequenceNumber": "0",  # its only status callback (we ask for the end alone)
            "Timestamp": "Mon, 23 Nov 2026 03:00:00 +0000",
        },
    )


def gather(digits: str) -> Callback:
    return ("/twilio/voice/gather", {**inbound(CALL_SID), "Digits": digits})


def conference(event: str, **params: str) -> Callback:
    return (
        "/twilio/conference/status",
        {
            "AccountSid": "AC" + "1" * 32,
            "ConferenceSid": "CF" + CALL_SID[2:],
            "FriendlyName": CALL_SID,
            "StatusCallbackEvent": event,
            **params,
        },
    )


def leave(leg: str, reason: str, label: str | None = None, ends: bool = False) -> Callback:
    extra = {"ParticipantLabel": label, "Label": label} if label else {}
    return conference(
        "participant-leave",
        CallSid=leg,
        ReasonParticipantLeft=reason,
        EndConferenceOnExit="true" if ends else "false",
        **extra,
    )


def join(leg: str, label: str | None = None) -> Callback:
    extra = {"ParticipantLabel": label, "Label": label} if label else {}
    return conference("participant-join", CallSid=leg, **extra)


def conference_end(reason: str, by: str | None = None) -> Callback:
    extra = {"CallSidEndingConference": by} if by else {}
    return conference("conference-end", ReasonConferenceEnded=reason, **extra)


def leg_status(call_status: str) -> Callback:
    """The counselor leg's progress (its query names the call and the counselor)."""
    return (
        "/twilio/participant/status?call_id={call_id}&user_id={counselor}",
        {
            "AccountSid": "AC" + "1" * 32,
            "CallSid": COUNSELOR_LEG,
            "CallStatus": call_status,
        },
    )


COUNSELOR = "counselor:{counselor}"
RESPONDER = "crisis:{responder}"


def caller_hangs_up_waiting() -> Together:
    """The caller hangs up while alone in the conference (queued or offered)."""
    return Together(
        (
            leave(CALL_SID, "participant_hung_up", ends=True),
            conference_end("participant-with-end-conference-on-exit-left", CALL_SID),
            status("completed"),
        )
    )


# --- stories -----------------------------------------------------------------------------


def weighted(**weights: int) -> st.SearchStrategy[str]:
    """One of the names, drawn in proportion to its weight: most stories reach a live call."""
    return st.sampled_from([name for name, weight in weights.items() for _ in range(weight)])


@st.composite
def stories(draw: st.DrawFn) -> Story:
    steps: list[Step] = [Together((("/twilio/voice/incoming", inbound(CALL_SID)),))]
    digits = draw(st.sampled_from(["1", "2", "9", ""]))
    menu = draw(weighted(answered=3, race=1, hang_up=1))
    if menu == "hang_up":
        steps.append(Together((status("completed"),)))
    elif menu == "race":  # a key and the hang-up at once
        steps.append(Together((gather(digits), status("completed"))))
    else:
        steps += [Together((gather(digits),)), Together((join(CALL_SID),))]
        steps += draw(queued())
    gaps = draw(st.lists(st.integers(0, 90), min_size=len(steps), max_size=len(steps)))
    return Story(tuple(steps), tuple(gaps))


@st.composite
def queued(draw: st.DrawFn) -> list[Step]:
    if draw(weighted(hang_up=1, offer=3)) == "hang_up":
        return [caller_hangs_up_waiting()]
    steps: list[Step] = [Act("offer")]
    answer = draw(weighted(none=1, decline=1, accept=4))
    if answer == "none":
        return [*steps, caller_hangs_up_waiting()]
    if answer == "decline":
        return [*steps, Act("decline"), caller_hangs_up_waiting()]
    steps.append(Act("accept"))
    leg = draw(weighted(caller_leaves=2, no_answer=1, busy=1, joins=6)).replace("_", "-")
    if leg == "caller-leaves":  # while the counselor's phone rings: the leg is cancelled
        return [
            *steps,
            Together((*caller_hangs_up_waiting().callbacks, leg_status("canceled"))),
        ]
    if leg != "joins":
        return [*steps, Together((leg_status(leg),)), caller_hangs_up_waiting()]
    steps.append(Together((join(COUNSELOR_LEG, COUNSELOR),)))
    return steps + draw(connected())


def caller_ends_live_call() -> Together:
    callbacks = [
        leave(CALL_SID, "participant_hung_up", ends=True),
        leave(COUNSELOR_LEG, "conference_ended", COUNSELOR),
        conference_end("participant-with-end-conference-on-exit-left", CALL_SID),
        status("completed"),
    ]
    return Together(tuple(callbacks))


@st.composite
def connected(draw: st.DrawFn) -> list[Step]:
    end = draw(st.sampled_from(["caller", "phone_drops", "console", "responder"]))
    if end == "caller":
        return [caller_ends_live_call()]
    if end == "phone_drops":  # the conference goes on with the caller, who is queued again
        return [
            Together((leave(COUNSELOR_LEG, "participant_hung_up", COUNSELOR),)),
            caller_hangs_up_waiting(),
        ]
    if end == "console":  # our REST request ends the conference; the caller hears goodbye
        return [
            Act("hang_up"),
            Together(
                (
                    leave(CALL_SID, "conference_ended", ends=True),
                    leave(COUNSELOR_LEG, "conference_ended", COUNSELOR),
                    conference_end("conference-ended-via-api"),
                )
            ),
            Together((status("completed"),)),
            Act("finish_wrap_up"),
        ]
    steps: list[Step] = [Act("escalate"), Together((join(RESPONDER_LEG, RESPONDER),))]
    then = draw(st.sampled_from(["caller", "hand_over", "phone_drops"]))
    if then == "caller":
        return [*steps, caller_ends_live_call()]
    if then == "hand_over":
        steps += [
            Act("hang_up"),
            Together((leave(COUNSELOR_LEG, "participant_hung_up", COUNSELOR),)),
        ]
    else:
        steps.append(Together((leave(COUNSELOR_LEG, "participant_hung_up", COUNSELOR),)))
    return [
        *steps,
        Together(
            (
                leave(CALL_SID, "participant_hung_up", ends=True),
                conference_end("participant-with-end-conference-on-exit-left", CALL_SID),
                status("completed"),
            )
        ),
    ]


# --- the harness -------------------------------------------------------------------------


class SetClock(FakeClock):
    def set(self, at: datetime) -> None:
        with self._lock:
            self._now = at


class RecordingDispatcher(Dispatcher):
    """The phone network is faked: the work asked of it is recorded, never done."""

    def apply(self, effects: routing.Effects) -> None:
        self.asked.append(effects)

    asked: list[routing.Effects]


ENDPOINTS = {
    "/twilio/voice/incoming": telephony.incoming,
    "/twilio/voice/gather": telephony.gather,
    "/twilio/voice/status": telephony.call_status,
    "/twilio/conference/status": telephony.conference_status,
    "/twilio/participant/status": telephony.participant_status,
}


@dataclass
class Harness:
    connection: Connection
    db: Database
    app: FastAPI
    dispatcher: RecordingDispatcher
    clock: SetClock
    names: dict[str, int]
    counselor: User
    responder: User

    def post(self, path: str, params: dict[str, str]) -> None:
        """Run the webhook's handler as the app does once the signature is checked (that part,
        and the HTTP around it, are tested elsewhere; skipping them keeps 1,000 stories fast)."""
        path, _, query = path.format(**self.names).partition("?")
        params = {k: v.format(**self.names) for k, v in params.items()}
        request = Request(
            {
                "type": "http",
                "method": "POST",
                "scheme": "http",
                "server": ("testserver", 80),
                "root_path": "",
                "path": path,
                "query_string": query.encode(),
                "headers": [],
                "app": self.app,
            }
        )
        response = ENDPOINTS[path](request, params, self.dispatcher)
        assert response.status_code == 200, (path, params, response.body)

    def act(self, name: str) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            call = calls.get_by_sid(session=session, call_sid=CALL_SID)
            assert call is not None and call.id is not None
            try:
                if name == "offer":
                    routing.offer_next(session=session, now=now, offer_timeout_s=30)
                elif name == "accept":
                    routing.accept(
                        session=session,
                        user=self.counselor,
                        call_id=call.id,
                        now=now,
                        connect_timeout_s=45,
                    )
                elif name == "decline":
                    routing.decline(session=session, user=self.counselor, call_id=call.id, now=now)
                elif name == "hang_up":
                    routing.hang_up(session=session, user=self.counselor, call_id=call.id, now=now)
                elif name == "finish_wrap_up":
                    routing.finish_wrap_up(
                        session=session, user=self.counselor, call_id=call.id, now=now
                    )
                elif name == "escalate":
                    escalation = escalations.trigger(
                        session=session,
                        call=call,
                        level="imminent",
                        reason="plan and intent",
                        user_id=self.counselor.id,
                        now=now,
                    )
                    assert escalation.id is not None
                    escalations.acknowledge(
                        session=session,
                        escalation_id=escalation.id,
                        user=self.responder,
                        now=now,
                        channel="console",
                    )
            except (routing.RoutingError, escalations.EscalationError):
                pass  # refused in this order: the final state says so

    def run(self, steps: tuple[Step, ...], times: list[datetime]) -> None:
        for step, at in zip(steps, times, strict=True):
            self.clock.set(at)
            if isinstance(step, Act):
                self.act(step.name)
            else:
                for path, params in step.callbacks:
                    self.post(path, params)

    def outcome(self) -> dict[str, Any]:
        """The final state, normalised: ids the database hands out become names, and events
        of one moment are compared as a set (their order within it is arrival order)."""
        rows = self.connection.execute

        def listed(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in rows(text(sql))]

        call_ids = {row[0]: "call" for row in listed("SELECT id FROM calls")}

        def named(values: tuple[Any, ...], *positions: int) -> tuple[Any, ...]:
            return tuple(call_ids.get(v, v) if i in positions else v for i, v in enumerate(values))

        call = [row._asdict() for row in rows(text("SELECT * FROM calls"))]
        for found in call:
            found.pop("id")
        return {
            "call": call,
            "agents": sorted(
                named(r, 6)
                for r in listed(
                    "SELECT user_id, state, reason, since, idle_since, missed_offers, call_id"
                    " FROM agent_status"
                )
            ),
            "call_events": sorted(
                map(repr, listed("SELECT at, state, detail, user_id FROM call_events"))
            ),
            "presence": sorted(
                map(
                    repr,
                    (
                        named(r, 4)
                        for r in listed(
                            "SELECT at, user_id, state, reason, call_id FROM presence_events"
                        )
                    ),
                )
            ),
            "escalations": listed("SELECT status, level FROM escalations"),
        }


def migrated_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('order')}/hotline.db"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """One migrated database per backend, with the line and the people every story uses."""
    for url in migrated_url(request.param, tmp_path_factory):
        engine = make_engine(url)
        setup = Database(engine)
        make_line(setup, number=LINE)
        counselor = make_user(setup, "alice")
        responder = make_user(setup, "zhao", role=Role.crisis)
        assert counselor.id is not None and responder.id is not None
        connection = engine.connect()
        db = Database(connection)  # type: ignore[arg-type]  # every session nests in it
        clock = SetClock(START)
        config = make_settings(url, 0, None, public_base_url=BASE, run_engine=False)
        app = create_app(config, clock=clock)
        dispatcher = RecordingDispatcher(
            db=db, clock=clock, settings=config, telephony=app.state.telephony
        )
        dispatcher.asked = []
        app.state.db = db
        app.state.dispatcher.stop()
        app.state.dispatcher = dispatcher
        try:
            yield Harness(
                connection=connection,
                db=db,
                app=app,
                dispatcher=dispatcher,
                clock=clock,
                names={
                    "counselor": counselor.id,
                    "responder": responder.id,
                    "call_id": 0,  # set per story, once the call exists
                },
                counselor=counselor,
                responder=responder,
            )
        finally:
            dispatcher.stop()
            connection.close()
            engine.dispose()


def check(harness: Harness, story: Story) -> None:
    times: list[datetime] = []
    for gap in story.gaps:
        times.append((times[-1] if times else START) + timedelta(seconds=gap))
    steps = story.steps
    # A transaction per story (PostgreSQL slows down as one transaction piles up thousands of
    # subtransactions), and a savepoint in it for the handlers' sessions to nest in.
    transaction = harness.connection.begin()
    harness.connection.begin_nested()
    try:
        harness.clock.set(START)
        with harness.db.session() as session:
            routing.set_presence(
                session=session,
                user=harness.counselor,
                state=AgentState.available,
                reason=None,
                now=START,
            )
        # The call's id (for the counselor leg's callback URL) is the one the first step makes.
        harness.run(steps[:1], times[:1])
        with harness.db.session() as session:
            call = calls.get_by_sid(session=session, call_sid=CALL_SID)
            assert call is not None and call.id is not None
            harness.names["call_id"] = call.id
        # In order, step by step; before each set, every other order of it (and the rest of
        # the story in order) from a savepoint, its outcome kept for the comparison.
        others: list[tuple[int, list[str], dict[str, Any]]] = []
        for k in range(1, len(steps)):
            step = steps[k]
            if isinstance(step, Together) and len(step.callbacks) > 1:
                for order in list(itertools.permutations(step.callbacks))[1:]:
                    other = harness.connection.begin_nested()
                    harness.run((Together(order), *steps[k + 1 :]), times[k:])
                    others.append((k, [path for path, _ in order], harness.outcome()))
                    other.rollback()
            harness.run((step,), times[k : k + 1])
        expected = harness.outcome()
        for k, order, got in others:
            assert got == expected, (k, order, story)
    finally:
        transaction.rollback()


# About a minute of CPU per backend; the margin is for a loaded CI machine.
@pytest.mark.timeout(600)
@settings(
    max_examples=STORIES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(story=stories())
def test_callbacks_sent_together_end_the_same_in_any_order(harness: Harness, story: Story) -> None:
    check(harness, story)
