"""A caller who waited past the line's maximum leaves a voicemail (the simulator records it
through the real <Record> flow); it waits on the live board until a supervisor has listened to
it through the authenticated proxy and marked what was done; every step audited."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.board import service as board
from hotline.calls.models import Call, CallState
from hotline.db import Database
from hotline.simulator.client import SimulatorControlError
from hotline.simulator.console_client import ConsoleClient
from hotline.voicemail import service as voicemail
from hotline.voicemail.models import Voicemail, VoicemailOutcome
from tests.calls import CALLER
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, Stack
from tests.staff import Staff

LINE = "+8657796525"


def voicemails(stack: Stack) -> list[Voicemail]:
    with stack.db.session() as session:
        return list(session.exec(select(Voicemail)))


def waiting_on_board(stack: Stack, user_id: int) -> int:
    with stack.db.session() as session:
        snapshot = board.board(session=session, user_id=user_id, now=stack.clock.now())
    (line,) = snapshot["lines"]
    return int(line["voicemails_waiting"])


def audit(stack: Stack) -> list[tuple[str, str, str | None]]:
    with stack.db.session() as session:
        return [
            (e.action.value, e.object_type, e.detail)
            for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))  # type: ignore[arg-type]
            if e.object_type.startswith("voicemail")
        ]


def leave_voicemail(stack: Stack) -> str:
    """A call nobody answers in time, sent to voicemail; the caller speaks, then presses #."""
    sid = stack.simulator.place_call(CALLER, LINE, digits="1")
    stack.simulator.wait_for(lambda: stack.simulator.get_call(sid).get("in_conference"))
    stack.clock.advance(31)
    stack.dispatcher.tick()
    stack.simulator.wait_for(
        lambda: any(e["kind"] == "record" for e in stack.simulator.get_call(sid)["transcript"])
    )
    # The simulated caller's silence may already have ended the recording (<Record timeout>).
    with contextlib.suppress(SimulatorControlError):
        stack.simulator.press(sid, "#")
    stack.simulator.wait_for(lambda: len(voicemails(stack)) == 1)
    return sid


def test_a_voicemail_waits_until_a_supervisor_has_heard_it_and_acted(stack: Stack) -> None:
    make_line(stack.db, number=LINE, max_queue_wait_s=30, overflow_action="voicemail")
    boss_user = make_user(stack.db, "boss", role=Role.supervisor)
    make_user(stack.db, "alice")
    stack.dispatcher.sync_numbers()
    leave_voicemail(stack)
    (message,) = voicemails(stack)
    with stack.db.session() as session:
        call = session.get(Call, message.call_id)
        assert call is not None and call.voicemail_url
        recorded_url = call.voicemail_url
    assert message.handled_at is None
    assert waiting_on_board(stack, boss_user.id or 0) == 1
    console = ConsoleClient(stack.url, "boss", PASSWORD)  # the supervisor's own console says so
    console.wait(lambda snap: snap.get("voicemails_waiting") == 1)

    # Only supervisors and admins see the list and the audio.
    alice = Staff(stack, "alice")
    assert alice.get("/supervisor/voicemails").status_code == 403
    assert alice.get(f"/supervisor/voicemails/{message.id}/audio").status_code == 403
    boss = Staff(stack, "boss")
    page = boss.get("/supervisor/voicemails?status=waiting&lang=en")
    assert page.status_code == 200
    assert re.search(rf'data-id="{message.id}" data-status="waiting"', page.text)

    # The message plays through the proxy, byte for byte what the provider keeps.
    played = boss.get(f"/supervisor/voicemails/{message.id}/audio")
    kept = httpx.get(recorded_url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert played.status_code == 200 and kept.status_code == 200
    assert played.content == kept.content and len(played.content) > 0

    # Bad input changes nothing: no token, an outcome that is not one.
    path = f"/supervisor/voicemails/{message.id}/handle"
    forged = boss.http.post(path, data={"outcome": "called_back"})
    assert forged.status_code == 403
    bad = boss.http.post(path, data={"outcome": "ignored", "csrf_token": boss.token})
    assert bad.status_code == 303 and bad.headers["location"].endswith("done=bad_outcome")
    assert voicemails(stack)[0].handled_at is None

    done = boss.http.post(path, data={"outcome": "called_back", "csrf_token": boss.token})
    assert done.status_code == 303 and done.headers["location"].endswith("done=handled")
    (handled,) = voicemails(stack)
    assert handled.outcome == VoicemailOutcome.called_back
    assert handled.handled_by_id == boss_user.id and handled.handled_at == stack.clock.now()
    again = boss.http.post(path, data={"outcome": "escalated", "csrf_token": boss.token})
    assert again.headers["location"].endswith("done=already")
    assert voicemails(stack)[0].outcome == VoicemailOutcome.called_back
    assert waiting_on_board(stack, boss_user.id or 0) == 0
    console.send("resync")
    console.wait(lambda snap: snap.get("voicemails_waiting") == 0)
    console.close()
    alice_console = ConsoleClient(stack.url, "alice", PASSWORD)
    assert "voicemails_waiting" not in alice_console.wait(lambda snap: "agent" in snap)
    alice_console.close()
    listed = boss.get("/supervisor/voicemails?status=handled&lang=en").text
    assert "Called back and reached" in listed and "Boss" in listed

    assert audit(stack) == [
        ("view", "voicemail_list", "status=waiting"),
        ("view", "voicemail", "played"),
        ("edit", "voicemail", "handled called_back"),
        ("view", "voicemail_list", "status=handled"),
    ]


def test_the_recording_callback_twice_makes_one_voicemail(app_only: Stack) -> None:
    make_line(app_only.db, number=LINE, max_queue_wait_s=30, overflow_action="voicemail")
    sid = "CA" + "7" * 32
    form = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": CALLER, "To": LINE}
    app_only.webhook("/twilio/voice/incoming", form)
    app_only.webhook("/twilio/voice/gather", {**form, "Digits": "1"})
    recorded = {
        **form,
        "RecordingUrl": recording_url(),
        "RecordingDuration": "12",
    }
    assert app_only.webhook("/twilio/voice/voicemail", recorded).status_code == 200
    assert (
        app_only.webhook("/twilio/voice/voicemail", {**recorded, "Digits": "#"}).status_code == 200
    )
    (message,) = voicemails(app_only)
    assert message.duration_s == 12
    # A duration that is no duration (beyond any integer column): the message is still kept.
    other = {**recorded, "CallSid": "CA" + "8" * 32, "RecordingDuration": "9" * 30}
    app_only.webhook("/twilio/voice/incoming", other)
    assert app_only.webhook("/twilio/voice/voicemail", other).status_code == 200
    assert sorted(v.duration_s or 0 for v in voicemails(app_only)) == [0, 12]


def recording_url(host: str = "https://api.twilio.com", account: str = ACCOUNT_SID) -> str:
    return f"{host}/2010-04-01/Accounts/{account}/Recordings/RE{'a' * 32}"


def test_a_recording_url_elsewhere_than_twilio_or_the_simulator_is_refused(
    app_only: Stack,
) -> None:
    """The audio proxy sends the account's credentials to the stored URL: a signed callback
    naming another host (or another account's recording) is refused and nothing is kept."""
    make_line(app_only.db, number=LINE, max_queue_wait_s=30, overflow_action="voicemail")
    sid = "CA" + "6" * 32
    form = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": CALLER, "To": LINE}
    app_only.webhook("/twilio/voice/incoming", form)
    for url in (
        recording_url("https://recordings.example.org"),
        recording_url("https://api.twilio.com.example.org"),
        recording_url("http://api.twilio.com"),
        recording_url(account="AC" + "f" * 32),
    ):
        answer = app_only.webhook(
            "/twilio/voice/voicemail", {**form, "RecordingUrl": url, "RecordingDuration": "5"}
        )
        assert answer.status_code == 400, url
    assert voicemails(app_only) == []
    with app_only.db.session() as session:
        call = session.exec(select(Call).where(Call.call_sid == sid)).one()
        assert call.voicemail_url is None
    kept = app_only.webhook("/twilio/voice/voicemail", {**form, "RecordingUrl": recording_url()})
    assert kept.status_code == 200 and len(voicemails(app_only)) == 1


def test_the_list_puts_callers_in_danger_then_high_risk_first_then_the_oldest(db: Database) -> None:
    line = make_line(db)
    boss = make_user(db, "boss", role=Role.supervisor)
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    ids: dict[str, int] = {}
    with db.session() as session:
        for n, (name, danger, history) in enumerate(
            [
                ("oldest", False, False),
                ("handled", True, True),
                ("history", False, True),
                ("newer", False, False),
                ("danger", True, False),
            ]
        ):
            call = Call(
                call_sid=f"CA{name}",
                line_id=line.id or 0,
                caller_hash=f"h-{name}",
                state=CallState.overflow,
                created_at=start + n * timedelta(minutes=10),
                in_danger=danger,
                high_risk_history=history,
                voicemail_url=f"https://api.twilio.com/{name}",
            )
            session.add(call)
            session.flush()
            message = Voicemail(
                call_id=call.id or 0, line_id=line.id or 0, recorded_at=call.created_at
            )
            session.add(message)
            session.flush()
            ids[name] = message.id or 0
    with db.session() as session:
        voicemail.handle(
            session=session,
            voicemail_id=ids["handled"],
            user=boss,
            outcome=VoicemailOutcome.escalated,
            now=start + timedelta(hours=1),
        )
    with db.session() as session:
        rows, total = voicemail.search(session=session, flt=voicemail.VoicemailFilter())
        waiting, _ = voicemail.search(
            session=session, flt=voicemail.VoicemailFilter(status="waiting")
        )
    order = {v: k for k, v in ids.items()}
    assert [order[r["id"]] for r in rows] == ["danger", "history", "oldest", "newer", "handled"]
    assert total == 5 and len(waiting) == 4
    assert rows[0]["in_danger"] and rows[1]["high_risk_history"]
