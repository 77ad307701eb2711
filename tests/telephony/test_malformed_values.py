"""Signed but malformed values on every Twilio webhook: never a 5xx. Nonsense is refused (4xx,
nothing written) or answered with TwiML that keeps the caller somewhere sensible (an unknown key
at the menu queues with the defaults, as a timeout does)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from sqlmodel import select

from hotline.calls.models import Call, CallState
from tests.calls import CALLER, LINE, inbound
from tests.conftest import migrated_postgres_database, migrated_sqlite_url
from tests.factories import make_line
from tests.fuzz.test_fuzz import row_counts
from tests.stack import ACCOUNT_SID, Stack, running_stack

QUEUED = "CA" + "a" * 32
RECORDING_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'b' * 32}"
HUGE = "9" * 5000
ROUTES = {
    "/twilio/voice/incoming": {},
    "/twilio/voice/gather": {"Digits": "1"},
    "/twilio/voice/hold": {},
    "/twilio/voice/after": {},
    "/twilio/voice/overflow": {},
    "/twilio/voice/callback": {"Digits": "1"},
    "/twilio/voice/voicemail": {},
    "/twilio/voice/status": {"CallStatus": "in-progress"},
    "/twilio/conference/status": {
        "StatusCallbackEvent": "participant-join",
        "FriendlyName": QUEUED,
        "ConferenceSid": "CF" + "a" * 32,
    },
    "/twilio/participant/status?call_id=1&user_id=1": {"CallStatus": "ringing"},
    "/twilio/recording/status": {"RecordingSid": "RE" + "b" * 32, "RecordingUrl": RECORDING_URL},
    "/twilio/page/voice?page_id=1": {},
    "/twilio/page/keypress?page_id=1": {"Digits": "2"},
    "/twilio/page/status?page_id=1": {"CallStatus": "completed"},
    "/twilio/page/join?page_id=1": {"Digits": "1"},
    "/twilio/monitor/status?monitor_id=1": {"CallStatus": "completed"},
    "/twilio/sms/incoming": {"Body": "hello"},
    "/twilio/sms/status?message_id=1": {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"},
    "/twilio/party/status?party_id=1": {"CallStatus": "ringing"},
    "/twilio/transfer/status?transfer_id=1": {"CallStatus": "ringing"},
    "/twilio/voice/not-in-service": {},
    "/twilio/dialback/answer?dial_back_id=1": {"AnsweredBy": "human"},
    "/twilio/dialback/status?dial_back_id=1": {"CallStatus": "ringing"},
}


@dataclass
class Case:
    path: str
    form: dict[str, str] = field(default_factory=dict)
    expect: str = "refused"  # refused: 4xx, nothing written | answered: 200 TwiML | menu: queued
    # Tables an answer may write besides its receipt (a kept recording without its duration).
    writes: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        def short(text: str) -> str:
            return text if len(text) < 48 else f"{text[:40]}...({len(text)})"

        return f"{short(self.path)} { ({k: short(v) for k, v in self.form.items()}) }"


def every_route(form: dict[str, str]) -> list[Case]:
    return [Case(path, form) for path in ROUTES]


CASES = [
    # Over-long and ill-formed SIDs and values, everywhere: 400 before any state change.
    *every_route({"CallSid": "CA" + "a" * 100_000}),
    *every_route({"CallSid": "CA" + "z" * 32}),
    *every_route({"CallSid": "CA" + "a" * 33}),
    *every_route({"AccountSid": "AC-" + "1" * 31}),
    *every_route({"SpeechResult": "x" * 3000}),
    # The menu: keys no keypad sends get the default language, never a 500.
    Case("/twilio/voice/gather", {"Digits": "²"}, "menu"),
    Case("/twilio/voice/gather", {"Digits": "١"}, "menu"),
    Case("/twilio/voice/gather", {"Digits": "-1"}, "menu"),
    Case("/twilio/voice/gather", {"Digits": "9" * 1000}, "menu"),
    Case("/twilio/voice/gather", {"Digits": HUGE}),
    # Ids in the query string.
    Case("/twilio/participant/status?call_id=²&user_id=1", {"CallStatus": "busy"}),
    Case(f"/twilio/participant/status?call_id={HUGE}&user_id=1", {"CallStatus": "busy"}),
    Case("/twilio/participant/status?call_id=-1&user_id=1", {"CallStatus": "busy"}),
    Case("/twilio/participant/status?call_id=99999999999&user_id=1", {"CallStatus": "busy"}),
    Case("/twilio/participant/status?call_id=1&user_id=abc", {"CallStatus": "busy"}),
    Case("/twilio/monitor/status?monitor_id=²", {"CallStatus": "completed"}),
    Case("/twilio/monitor/status?monitor_id=-3", {"CallStatus": "completed"}),
    Case(f"/twilio/monitor/status?monitor_id={HUGE}", {"CallStatus": "completed"}),
    Case("/twilio/page/voice?page_id=²", {}, "answered"),
    Case(f"/twilio/page/keypress?page_id={HUGE}", {"Digits": "1"}, "answered"),
    Case("/twilio/page/status?page_id=abc", {"CallStatus": "failed"}, "answered"),
    Case("/twilio/page/status?page_id=-1", {"CallStatus": "failed"}, "answered"),
    Case("/twilio/page/join?page_id=²", {"Digits": "1"}, "answered"),
    Case(f"/twilio/page/join?page_id={HUGE}", {"Digits": "1"}, "answered"),
    Case("/twilio/page/join?page_id=1", {"Digits": "²"}, "answered"),
    Case("/twilio/voice/hold?lang=²", {}, "answered"),
    Case("/twilio/party/status?party_id=²", {"CallStatus": "busy"}),
    Case("/twilio/party/status?party_id=-1", {"CallStatus": "busy"}),
    Case(f"/twilio/party/status?party_id={HUGE}", {"CallStatus": "busy"}),
    Case("/twilio/party/status?party_id=99999999", {"CallStatus": "completed"}, "answered"),
    Case("/twilio/party/status?party_id=1", {"CallStatus": "²"}, "answered"),
    Case("/twilio/transfer/status?transfer_id=²", {"CallStatus": "busy"}),
    Case("/twilio/transfer/status?transfer_id=-1", {"CallStatus": "busy"}),
    Case(f"/twilio/transfer/status?transfer_id={HUGE}", {"CallStatus": "busy"}),
    Case("/twilio/transfer/status?transfer_id=99999999", {"CallStatus": "completed"}, "answered"),
    Case("/twilio/transfer/status?transfer_id=1", {"CallStatus": "²"}, "answered"),
    Case("/twilio/voice/not-in-service", {"Digits": "²"}, "answered"),
    # The line's calls back: ids in the query string, and values no dial-back has.
    Case("/twilio/dialback/answer?dial_back_id=²", {}),
    Case("/twilio/dialback/answer?dial_back_id=-1", {}),
    Case(f"/twilio/dialback/answer?dial_back_id={HUGE}", {}),
    Case("/twilio/dialback/answer?dial_back_id=99999999", {}, "answered"),
    Case("/twilio/dialback/answer?dial_back_id=1", {"AnsweredBy": "²" * 100}, "answered"),
    Case("/twilio/dialback/status?dial_back_id=²", {"CallStatus": "busy"}),
    Case("/twilio/dialback/status?dial_back_id=0", {"CallStatus": "busy"}),
    Case(f"/twilio/dialback/status?dial_back_id={HUGE}", {"CallStatus": "busy"}),
    Case("/twilio/dialback/status?dial_back_id=99999999", {"CallStatus": "busy"}, "answered"),
    Case("/twilio/dialback/status?dial_back_id=1", {"CallStatus": "²"}, "answered"),
    # The callback key: another key leaves a message (nothing written); a huge one is refused.
    Case("/twilio/voice/callback", {"Digits": "²"}, "answered"),
    Case("/twilio/voice/callback", {"Digits": HUGE}),
    # Participant labels that are not ours.
    *[
        Case(
            "/twilio/conference/status",
            {**ROUTES["/twilio/conference/status"], "ParticipantLabel": label, "CallSid": leg},
            "answered",
        )
        for label in (
            "counselor:abc",
            "counselor:²",
            "supervisor:-1",
            "crisis:" + "9" * 30,
            "counselor:" + "9" * 1000,
        )
        for leg in ("CA" + "c" * 32,)
    ],
    Case(
        "/twilio/conference/status",
        {
            **ROUTES["/twilio/conference/status"],
            "CallSid": "CA" + "c" * 32,
            "SequenceNumber": "²",
            "Timestamp": "-1",
        },
        "answered",
    ),
    # Durations: the callback is kept without one.
    *[
        Case(
            "/twilio/recording/status",
            {**ROUTES["/twilio/recording/status"], "RecordingDuration": duration},
            "answered",
            frozenset({"call_recordings"}),
        )
        for duration in ("²", "-5", "9" * 1000)
    ],
    Case("/twilio/sms/incoming", {"Body": "x" * 3000}),
    # A conversation's SMS status: ids and values no message of ours has.
    Case("/twilio/sms/status?message_id=1", {"MessageSid": "SM-" + "c" * 31}),
    Case("/twilio/sms/status?message_id=1", {"MessageSid": ""}),
    Case("/twilio/sms/status?message_id=²", {"MessageStatus": "delivered"}, "answered"),
    Case(f"/twilio/sms/status?message_id={HUGE}", {"MessageStatus": "failed"}, "answered"),
    Case("/twilio/sms/status?message_id=1", {"MessageStatus": "²" * 100}, "answered"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def webhooks(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One app per backend for every case (each case leaves it as it found it)."""

    def serve(url: str) -> Iterator[Stack]:
        with running_stack(url, with_simulator=False, run_engine=False) as stack:
            make_line(stack.db)
            stack.webhook("/twilio/voice/incoming", inbound(QUEUED))
            stack.webhook("/twilio/voice/gather", {**inbound(QUEUED), "Digits": "1"})
            yield stack

    if request.param == "sqlite":
        yield from serve(migrated_sqlite_url(request, tmp_path_factory.mktemp("db")))
        return
    with migrated_postgres_database(request) as url:
        yield from serve(url)


_sids = iter(range(1, 10_000))


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_a_malformed_signed_value_never_gets_a_5xx(webhooks: Stack, case: Case) -> None:
    stack = webhooks
    base = {"AccountSid": ACCOUNT_SID, "CallSid": QUEUED, "From": CALLER, "To": LINE}
    if case.expect == "menu":  # a caller of its own, at the menu
        base["CallSid"] = f"CA{next(_sids):032x}"
        assert stack.webhook("/twilio/voice/incoming", inbound(base["CallSid"])).is_success
    route = case.path.split("?")[0]
    defaults = next(v for k, v in ROUTES.items() if k.split("?")[0] == route)
    form = {**base, **defaults, **case.form}
    before = row_counts(stack)

    # Signed over the URL as sent: percent-encoded, as Twilio requests (and signs) it.
    response = stack.webhook(quote(case.path, safe="/?=&"), form)

    assert response.status_code < 500, response.text[:200]
    after = row_counts(stack)
    changed = {t for t in before if before[t] != after[t]}
    if case.expect == "refused":
        assert 400 <= response.status_code < 500
        assert not changed
        return
    assert response.status_code == 200
    # TwiML, or nothing for a callback whose answer Twilio ignores (a recording's status).
    assert response.text == "" or "<Response" in response.text
    menu_writes = {"call_events"} if case.expect == "menu" else set()
    assert changed <= {"webhook_receipts", *case.writes, *menu_writes}
    if case.expect == "menu":
        with stack.db.session() as session:
            call = session.exec(select(Call).where(Call.call_sid == base["CallSid"])).one()
        assert call.state == CallState.queued and not call.in_danger
        assert call.language == "zh_CN" and "<Conference" in response.text


def test_the_cases_cover_every_webhook(webhooks: Stack) -> None:
    """A new webhook must be added to ROUTES (and so to every case above)."""
    paths = {p for p in webhooks.app.openapi()["paths"] if p.startswith("/twilio/")}
    assert paths == {route.split("?")[0] for route in ROUTES}
