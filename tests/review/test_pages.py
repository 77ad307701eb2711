"""The supervisors' pages over real HTTP, on both databases: who may open each page and export,
what is written to the audit log, the CSV files, QA feedback reaching only its counselor, and the
recording proxy (fed by the Twilio simulator, which records the call and serves the media)."""

from __future__ import annotations

import csv
import gc
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role, User
from hotline.calls.models import Call
from hotline.escalation import service as escalations
from hotline.review.models import CallRecording
from hotline.routing.models import AgentState
from hotline.simulator.console_client import ConsoleClient, csrf_from
from hotline.telephony.models import WebhookReceipt
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.review import drive
from tests.servers import ServerThread, bind_free_socket
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, Stack, running_stack

LINE = "+8657796525"
CALLER = "+8613812345678"


@dataclass
class World:
    stack: Stack
    alice: User
    bob: User
    call_id: int
    bob_call_id: int
    escalation_id: int


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    # No engine: the test drives routing itself, at the fake clock's times.
    with running_stack(database_url, with_simulator=False, run_engine=False) as stack:
        db, now = stack.db, stack.clock.now()
        line = make_line(db, recording=True)
        alice = make_user(db, "alice")
        bob = make_user(db, "bob")
        worker = make_user(db, "zhao", role=Role.crisis)
        make_user(db, "boss", role=Role.supervisor)
        make_user(db, "root", role=Role.admin)
        make_rota(db, "crisis", [worker])
        call_id = drive.whole_call(db, line, alice, "CA1", now - timedelta(hours=1), 300, 10)
        drive.write_note(
            db,
            alice,
            call_id,
            now - timedelta(minutes=50),
            submit=False,
            summary="Caller lost her job; agreed to call a friend tonight.",
        )
        drive.presence(db, alice, AgentState.offline, now - timedelta(minutes=49))
        bob_call = drive.whole_call(db, line, bob, "CA2", now - timedelta(minutes=40), 60, 10)
        with db.session() as session:
            call = session.get(Call, call_id)
            assert call is not None
            escalation = escalations.trigger(
                session=session,
                call=call,
                level="high",
                reason="pills at hand",
                user_id=alice.id,
                now=now - timedelta(minutes=58),
            )
            assert escalation.id is not None
            escalation_id = escalation.id
        yield World(stack, alice, bob, call_id, bob_call, escalation_id)


def client_for(stack: Stack, username: str | None) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=15)
    if username is not None:
        token = csrf_from(client.get("/login").text)
        answer = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303
    return client


def routes(world: World) -> list[str]:
    return [
        "/supervisor/shifts",
        "/supervisor/shifts.csv",
        "/supervisor/escalations",
        "/supervisor/escalations.csv",
        f"/supervisor/escalations/{world.escalation_id}",
        "/supervisor/calls",
        "/supervisor/calls.csv",
        f"/supervisor/calls/{world.call_id}",
    ]


def test_only_supervisors_and_admins_open_the_pages(world: World) -> None:
    stack = world.stack
    expected = {None: None, "alice": 403, "zhao": 403, "boss": 200, "root": 200}
    for username, status in expected.items():
        client = client_for(stack, username)
        for path in routes(world):
            answer = client.get(path)
            if username is None:
                if path.endswith(".csv"):
                    assert answer.status_code == 401, path
                else:
                    assert answer.status_code == 303, path
                    assert answer.headers["location"] == "/login"
            else:
                assert answer.status_code == status, (username, path)
        # Saving a review is refused too, whatever the form says.
        page = client.get("/console").text if username else ""
        token = csrf_from(page) if username else "x"
        posted = client.post(
            f"/supervisor/calls/{world.call_id}/review",
            data={"csrf_token": token, "score_rapport": "4", "comment": "hi"},
        )
        if username in ("boss", "root"):
            assert posted.status_code == 303
        else:
            assert posted.status_code in (303, 403) and "saved" not in posted.headers.get(
                "location", ""
            )


def test_views_and_exports_are_audited(world: World) -> None:
    stack = world.stack
    boss = client_for(stack, "boss")
    for path in routes(world):
        assert boss.get(path, params={"line": ""}).status_code == 200, path
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.username == "boss").order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
    got = [(r.action, r.object_type, r.object_id) for r in rows]
    assert got == [
        (AuditAction.sign_in, "session", None),
        (AuditAction.view, "shift_log", None),
        (AuditAction.export, "shift_log", None),
        (AuditAction.view, "escalation_log", None),
        (AuditAction.export, "escalation_log", None),
        (AuditAction.view, "escalation", str(world.escalation_id)),
        (AuditAction.view, "call_list", None),
        (AuditAction.export, "call_list", None),
        (AuditAction.view, "call", str(world.call_id)),
    ]
    # Nothing of the note or the escalation's reason is in the log.
    assert not any("lost her job" in (r.detail or "") for r in rows)
    assert not any("pills" in (r.detail or "") for r in rows)


def test_pages_show_the_records_and_the_csv_has_the_filtered_rows(world: World) -> None:
    stack = world.stack
    boss = client_for(stack, "boss")
    detail = boss.get(f"/supervisor/escalations/{world.escalation_id}").text
    assert 'data-kind="triggered"' in detail and "Alice" in detail
    assert "pills at hand" not in detail  # the reason is the caller's data
    call_page = boss.get(f"/supervisor/calls/{world.call_id}").text
    assert "Caller lost her job" in call_page  # the note, decrypted for the reviewer
    assert "No recording has been received" in call_page
    shifts = boss.get("/supervisor/shifts.csv").content.decode("utf-8-sig")
    header, *rows, total = list(csv.reader(io.StringIO(shifts)))
    assert header[:2] == ["Day", "Person"] and "Calls handled" in header
    handled = {row[1]: int(row[header.index("Calls handled")]) for row in rows}
    # The supervisor appears too: signing in is part of their shift.
    assert handled == {"Alice": 1, "Bob": 1, "Boss": 0}
    # The last line sums the whole filtered period, column by column.
    assert total[:4] == ["Total", "", "", ""]
    for column in range(4, len(header)):
        assert int(total[column]) == sum(int(row[column]) for row in rows), header[column]
    assert int(total[header.index("Calls handled")]) == 2
    page = boss.get("/supervisor/shifts").text
    footer = page[page.index('data-testid="shift-total"') : page.index("</tfoot>")]
    assert 'data-rows="3"' in footer and "Total for the period" in footer
    assert 'data-testid="total-calls-handled">2<' in footer
    only_bob = boss.get("/supervisor/shifts", params={"person": world.bob.id}).text
    assert 'data-testid="total-calls-handled">1<' in only_bob
    assert f'<option value="{world.bob.id}" selected>Bob</option>' in only_bob  # kept chosen
    chosen = boss.get("/supervisor/escalations", params={"level": "high", "status": "open"}).text
    assert '<option value="high" selected>' in chosen and '<option value="open" selected>' in chosen
    assert chosen.count(" selected>") == 2
    only_alice = boss.get("/supervisor/calls.csv", params={"person": world.alice.id}).content
    _header, *alice_rows = list(csv.reader(io.StringIO(only_alice.decode("utf-8-sig"))))
    assert [r[0] for r in alice_rows] == [str(world.call_id)]
    # Dates are local days: the calls were made today, none of them tomorrow.
    today = stack.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    listed = boss.get("/supervisor/calls", params={"from": today.isoformat()}).text
    assert listed.count('data-testid="call-row"') == 2
    tomorrow = (today + timedelta(days=1)).isoformat()
    listed = boss.get("/supervisor/calls", params={"from": tomorrow, "to": tomorrow}).text
    assert 'data-testid="call-row"' not in listed and 'data-testid="no-results"' in listed
    too_long = boss.get("/supervisor/shifts", params={"from": "2026-01-01", "to": "2026-11-01"})
    assert 'data-testid="filter-error"' in too_long.text
    # Headers follow the reader's language.
    boss.get("/supervisor/escalations", params={"lang": "zh_CN"})
    chinese = boss.get("/supervisor/escalations.csv").content.decode("utf-8-sig")
    zh_header, *esc_rows = list(csv.reader(io.StringIO(chinese)))
    assert zh_header[0] != "Escalation" and len(esc_rows) == 1
    assert esc_rows[0][1] == str(world.call_id)


def test_feedback_reaches_only_the_calls_counselor(world: World) -> None:
    stack = world.stack
    boss = client_for(stack, "boss")
    token = csrf_from(boss.get(f"/supervisor/calls/{world.call_id}").text)
    answer = boss.post(
        f"/supervisor/calls/{world.call_id}/review",
        data={
            "csrf_token": token,
            "score_rapport": "5",
            "score_documentation": "2",
            "marked_for_review": "1",
            "comment": "Warm opening; finish the note before the next call.",
        },
    )
    assert answer.status_code == 303
    bad = boss.post(
        f"/supervisor/calls/{world.call_id}/review",
        data={"csrf_token": token, "score_rapport": "9"},
    )
    assert bad.status_code == 422
    assert (
        boss.post(
            f"/supervisor/calls/{world.call_id}/review", data={"score_rapport": "5"}
        ).status_code
        == 403
    )  # no CSRF token
    marked = boss.get("/supervisor/calls", params={"marked": "1"}).text
    assert f'data-id="{world.call_id}"' in marked and f'data-id="{world.bob_call_id}"' not in marked
    alice_page = client_for(stack, "alice").get("/console/feedback").text
    assert "finish the note before the next call" in alice_page
    bob_page = client_for(stack, "bob").get("/console/feedback").text
    assert "finish the note" not in bob_page and 'data-testid="no-feedback"' in bob_page
    assert client_for(stack, None).get("/console/feedback").status_code == 303
    with stack.db.session() as session:
        edits = session.exec(
            select(AuditEvent).where(AuditEvent.action == AuditAction.edit)  # type: ignore[arg-type]
        ).all()
    assert [(e.object_type, e.object_id, e.username) for e in edits] == [
        ("call_review", str(world.call_id), "boss")
    ]


def take_recorded_call(stack: Stack) -> tuple[int, str]:
    """A simulated caller on a recording line talks to Alice (her console bot), then hangs up:
    the simulator records the conference and posts its recording callback. (call id, CallSid)"""
    make_line(stack.db, number=LINE, recording=True)
    stack.dispatcher.sync_numbers()
    console = ConsoleClient(stack.url, "alice", PASSWORD)
    console.send("set_state", state="available", reason=None)
    console.state("available")
    caller = stack.simulator.place_call(CALLER, LINE, digits="1")
    offer = console.offer()
    console.send("accept", call_id=offer["call_id"])
    console.wait(lambda s: (s["call"] or {}).get("state") == "connected")
    stack.simulator.hangup(caller)
    console.state("wrap_up")
    console.close()
    return offer["call_id"], caller


def stored_recordings(stack: Stack) -> list[CallRecording]:
    with stack.db.session() as session:
        return list(session.exec(select(CallRecording).order_by(col(CallRecording.id))).all())


def test_a_recorded_call_plays_back_through_the_proxy(stack: Stack) -> None:
    make_user(stack.db, "alice")
    make_user(stack.db, "zhao", role=Role.crisis)
    make_user(stack.db, "boss", role=Role.supervisor)
    call_id, _caller = take_recorded_call(stack)
    [stored] = stack.simulator.wait_for(lambda: stored_recordings(stack))
    [made] = stack.simulator.list_recordings()
    assert (stored.call_id, stored.recording_sid, stored.url) == (call_id, made["sid"], made["url"])
    assert stored.duration_s == made["duration"] >= 1

    path = f"/supervisor/calls/{call_id}/recordings/{stored.id}"
    boss = client_for(stack, "boss")
    assert f'src="{path}"' in boss.get(f"/supervisor/calls/{call_id}").text
    played = boss.get(path)
    assert played.status_code == 200 and played.headers["content-type"] == "audio/mpeg"
    assert played.headers["cache-control"] == "no-store"
    # The simulator's MP3 of that length: 36 ms frames, each starting with the frame sync.
    frames = len(played.content) // 144
    assert played.content[:2] == b"\xff\xfb" and frames * 0.036 >= made["duration"]
    assert client_for(stack, "alice").get(path).status_code == 403
    assert client_for(stack, "zhao").get(path).status_code == 403
    assert client_for(stack, None).get(path).status_code == 303
    assert boss.get(f"/supervisor/calls/{call_id + 1}/recordings/{stored.id}").status_code == 404
    with stack.db.session() as session:
        plays = session.exec(select(AuditEvent).where(AuditEvent.object_type == "recording")).all()
    assert [(p.username, p.object_id) for p in plays] == [("boss", str(stored.id))]

    # The callback again, as Twilio retries it: kept once; unsigned: refused.
    params = {
        "AccountSid": ACCOUNT_SID,
        "ConferenceSid": made["conference_sid"],
        "RecordingSid": made["sid"],
        "RecordingUrl": made["url"],
        "RecordingStatus": "completed",
        "RecordingDuration": str(made["duration"]),
    }
    assert stack.webhook("/twilio/recording/status", params, signature="bad").status_code == 403
    assert stack.webhook("/twilio/recording/status", params).status_code == 200
    assert [r.id for r in stored_recordings(stack)] == [stored.id]


def recorded(stack: Stack) -> tuple[str, bytes]:
    """A recorded call's playback path, and the MP3 the simulator serves for it."""
    make_user(stack.db, "alice")
    make_user(stack.db, "boss", role=Role.supervisor)
    call_id, _caller = take_recorded_call(stack)
    [stored] = stack.simulator.wait_for(lambda: stored_recordings(stack))
    [made] = stack.simulator.list_recordings()
    served = httpx.get(made["url"] + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=10)
    assert served.status_code == 200 and len(served.content) > 2 * 144
    return f"/supervisor/calls/{call_id}/recordings/{stored.id}", served.content


def test_the_proxy_streams_the_whole_recording_intact(stack: Stack) -> None:
    path, served = recorded(stack)
    received = b""
    with client_for(stack, "boss").stream("GET", path) as played:
        assert played.status_code == 200
        assert played.headers["content-type"] == "audio/mpeg"
        assert played.headers["cache-control"] == "no-store"
        assert played.headers["accept-ranges"] == "bytes"  # so the player may seek
        assert played.headers["content-length"] == str(len(served))
        assert "transfer-encoding" not in played.headers
        for chunk in played.iter_raw():
            received += chunk
    assert received == served


def test_the_proxy_passes_a_byte_range_on_so_the_player_can_seek(stack: Stack) -> None:
    path, served = recorded(stack)
    boss = client_for(stack, "boss")
    size = len(served)
    for asked, start, end in (
        ("bytes=144-1151", 144, 1151),  # the second to the eighth frame
        (f"bytes={size - 100}-", size - 100, size - 1),  # to the end
        ("bytes=-144", size - 144, size - 1),  # the last frame
        (f"bytes=0-{size + 1000}", 0, size - 1),  # past the end: as far as there is
    ):
        part = boss.get(path, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.content == served[start : end + 1], asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.headers["content-length"] == str(end + 1 - start)
        assert part.headers["cache-control"] == "no-store"
        assert part.headers["content-type"] == "audio/mpeg"
    beyond = boss.get(path, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.content == b""
    # Each request is a view of the recording, in the audit log.
    with stack.db.session() as session:
        plays = session.exec(select(AuditEvent).where(AuditEvent.object_type == "recording")).all()
    assert len(plays) == 5


def test_the_provider_failing_gives_502_and_nothing_of_its_answer(stack: Stack) -> None:
    path, _served = recorded(stack)
    boss = client_for(stack, "boss")
    [made] = stack.simulator.list_recordings()
    # Gone at the provider (deleted there): its 404 and error body are not passed on.
    gone = httpx.delete(made["url"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=10)
    assert gone.status_code == 204
    refused = boss.get(path)
    assert refused.status_code == 502
    assert refused.json() == {"detail": "recording unavailable"}
    # The provider unreachable.
    assert stack.simulator_server is not None
    stack.simulator_server.stop()
    for headers in ({}, {"Range": "bytes=0-99"}):
        down = boss.get(path, headers=headers)
        assert down.status_code == 502 and down.json() == {"detail": "recording unavailable"}


def test_a_recording_line_asks_twilio_for_the_recording_status(app_only: Stack) -> None:
    from tests.calls import inbound

    make_line(app_only.db, number="+8657796525", recording=True)
    make_line(app_only.db, number="+8601012356")
    callback = f'recordingStatusCallback="{app_only.url}/twilio/recording/status"'
    for number, records in (("+8657796525", True), ("+8601012356", False)):
        sid = "CA" + number[-6:] * 5 + "ab"
        params = inbound(sid, to=number)
        assert app_only.webhook("/twilio/voice/incoming", params).status_code == 200
        twiml = app_only.webhook("/twilio/voice/gather", {**params, "Digits": "1"}).text
        assert "<Conference" in twiml
        assert (callback in twiml) is records
        assert ('record="record-from-start"' in twiml) is records


RECORDING = "RE" + "ab" * 16
BAD_RECORDING_URLS = (
    f"https://evil.example/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
    f"http://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
    f"https://api.twilio.com.evil.example/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
    f"https://user:SECRET@api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}?t=SECRET",
    # Another resource of this account (its SMS, its calls) or another account's recording.
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
    f"https://api.twilio.com/2010-04-01/Accounts/AC{'2' * 32}/Recordings/{RECORDING}",
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}/../../Calls",
    # The simulator's host (its URL here is http://127.0.0.1:9), but another port.
    f"http://127.0.0.1:10/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
    "not a url",
    # urlsplit drops these before parsing, the client fetching it does not (it gave a 500).
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}\n",
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recor\tdings/{RECORDING}",
    f" https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
)


def test_a_recording_callback_pointing_elsewhere_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stack = world.stack
    with caplog.at_level(logging.WARNING):
        for n, url in enumerate(BAD_RECORDING_URLS):
            params = {
                "AccountSid": ACCOUNT_SID,
                "ConferenceSid": f"CF{world.call_id}",
                "RecordingSid": f"RE{n:032d}",
                "RecordingUrl": url,
                "RecordingStatus": "completed",
            }
            assert stack.webhook("/twilio/recording/status", params).status_code == 400, url
    with stack.db.session() as session:
        assert session.exec(select(CallRecording)).all() == []
        receipts = session.exec(
            select(WebhookReceipt).where(WebhookReceipt.endpoint == "/twilio/recording/status")
        ).all()
        assert receipts == []  # nothing written: not even the webhook's receipt
    refused = [r.getMessage() for r in caplog.records if "callback refused" in r.getMessage()]
    assert len(refused) == len(BAD_RECORDING_URLS)
    assert not any("SECRET" in line or "Recordings" in line for line in refused)
    # Twilio's own API is where real recordings are.
    good = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}"
    params = {
        "ConferenceSid": f"CF{world.call_id}",
        "RecordingSid": RECORDING,
        "RecordingUrl": good,
    }
    assert stack.webhook("/twilio/recording/status", params).status_code == 200
    assert [r.url for r in stored_recordings(stack)] == [good]


def test_a_stored_recording_elsewhere_is_never_fetched(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A URL kept before the check (or under other settings) gets no credentials sent to it."""
    stack = world.stack
    hits: list[str] = []
    trap = FastAPI()

    @trap.get("/{path:path}")
    def anything(path: str) -> Response:
        hits.append(path)
        return Response(b"ID3", media_type="audio/mpeg")

    server = ServerThread(trap, bind_free_socket()).start()
    try:
        url = (
            f"http://user:pw-SECRET@127.0.0.1:{server.port}/2010-04-01/Accounts/{ACCOUNT_SID}"
            f"/Recordings/{RECORDING}?token=SECRET"
        )
        with stack.db.session() as session:
            recording = CallRecording(
                call_id=world.call_id,
                recording_sid=RECORDING,
                url=url,
                created_at=stack.clock.now(),
            )
            session.add(recording)
            session.flush()
            recording_id = recording.id
        boss = client_for(stack, "boss")
        with caplog.at_level(logging.WARNING):
            answer = boss.get(f"/supervisor/calls/{world.call_id}/recordings/{recording_id}")
        assert answer.status_code == 502 and b"ID3" not in answer.content
        assert hits == []
        [line] = [r.getMessage() for r in caplog.records if "not fetched" in r.getMessage()]
        assert f"recording {recording_id}" in line and "127.0.0.1" in line
        assert "SECRET" not in line and "user" not in line and "Recordings" not in line
    finally:
        server.stop()


def test_a_stored_recording_url_ending_in_a_newline_is_a_502_not_a_500(world: World) -> None:
    """Kept before the callback refused it: the allow-list once passed it and the fetch broke."""
    stack = world.stack
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}\n"
    with stack.db.session() as session:
        recording = CallRecording(
            call_id=world.call_id, recording_sid=RECORDING, url=url, created_at=stack.clock.now()
        )
        session.add(recording)
        session.flush()
        recording_id = recording.id
    boss = client_for(stack, "boss")
    answer = boss.get(f"/supervisor/calls/{world.call_id}/recordings/{recording_id}")
    assert answer.status_code == 502


def test_the_proxy_streams_and_lets_go_of_the_provider_when_the_browser_leaves(
    database_url: str,
) -> None:
    """A provider whose recording never ends: the player still gets its first bytes (nothing
    waits for the whole file), and leaving closes the proxy's connection to the provider."""
    asked: list[tuple[str | None, str | None]] = []
    provider = FastAPI()

    @provider.get("/{path:path}")
    def endless(path: str, request: Request) -> StreamingResponse:
        asked.append((request.headers.get("authorization"), request.headers.get("range")))
        chunk = b"\xff\xfb" + bytes(142)
        return StreamingResponse(
            (chunk for _ in range(10**9)), status_code=206, media_type="audio/mpeg"
        )

    server = ServerThread(provider, bind_free_socket()).start()
    try:
        with running_stack(
            database_url, with_simulator=False, run_engine=False, simulator_url=server.url
        ) as stack:
            line = make_line(stack.db, recording=True)
            alice = make_user(stack.db, "alice")
            make_user(stack.db, "boss", role=Role.supervisor)
            now = stack.clock.now()
            call_id = drive.whole_call(stack.db, line, alice, "CA1", now, 60, 10)
            with stack.db.session() as session:
                recording = CallRecording(
                    call_id=call_id,
                    recording_sid=RECORDING,
                    url=f"{server.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}",
                    created_at=now,
                )
                session.add(recording)
                session.flush()
                path = f"/supervisor/calls/{call_id}/recordings/{recording.id}"
            boss = client_for(stack, "boss")
            connections = server.server.server_state.connections
            # The proxy must close it itself, not leave it to the garbage collector.
            gc.disable()
            try:
                with boss.stream("GET", path, headers={"Range": "bytes=0-"}) as played:
                    assert played.status_code == 206
                    assert next(played.iter_raw())[:2] == b"\xff\xfb"
                    assert len(connections) == 1  # the proxy's, still reading
                boss.close()
                deadline = time.monotonic() + 10
                while connections:  # a bounded wait for the close to arrive, not for time
                    assert time.monotonic() < deadline, "the proxy kept the provider's connection"
                    time.sleep(0.01)
            finally:
                gc.enable()
        [(authorization, ranged)] = asked
        assert authorization is not None and authorization.startswith("Basic ")
        assert ranged == "bytes=0-"
    finally:
        server.stop()


def test_the_escalation_page_says_who_was_not_paged_and_why(world: World) -> None:
    """A crisis worker on the rota whose account was disabled is skipped, and the supervisor's
    timeline says so (who, why) in their language."""
    stack = world.stack
    with stack.db.session() as session:
        worker = session.exec(select(User).where(User.username == "zhao")).one()
        worker.active = False
    with stack.db.session() as session:
        escalations.run_due(session=session, now=stack.clock.now())
    boss = client_for(stack, "boss")
    detail = boss.get(f"/supervisor/escalations/{world.escalation_id}?lang=en").text
    skipped = detail[detail.index('data-kind="page_skipped"') :].split("</li>")[0]
    assert "Not paged: cannot answer" in skipped and "Zhao" in skipped
    assert "account disabled" in skipped
    in_chinese = boss.get(f"/supervisor/escalations/{world.escalation_id}?lang=zh_CN").text
    assert "未呼叫：无法应答" in in_chinese and "账号已停用" in in_chinese
