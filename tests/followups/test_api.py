"""Follow-ups over real HTTP (app under uvicorn, real database, injected clock): created by
submitting a note through the note API, worked through the JSON API and the console forms,
within the access rules (lines, the assignee, roles); every view in the audit log, and the
callback number only on the assignee's screen."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from sqlalchemy import text
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.lines.models import Line
from hotline.simulator.console_client import ConsoleClient
from tests.calls import connected_call
from tests.factories import PASSWORD, make_line, make_user
from tests.followups.drive import CALLBACK, bare_follow_up, note_fields, submitted_follow_up
from tests.notes.test_api import NoteClient
from tests.stack import Stack
from tests.staff import Staff

REMARK = "她妈妈接的电话，说她在睡觉"
OTHER_LINE = "+8601012356"


def follow_ups(stack: Stack) -> list[FollowUp]:
    with stack.db.session() as session:
        return list(session.exec(select(FollowUp).order_by(FollowUp.id)))  # type: ignore[arg-type]


def audit(stack: Stack, object_type: str) -> list[AuditEvent]:
    with stack.db.session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.object_type == object_type)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def rows(page: httpx.Response) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="followup-row" data-id="(\d+)"', page.text)]


def form(staff: Staff, path: str, **fields: str) -> httpx.Response:
    return staff.http.post(path, data={"csrf_token": staff.token, **fields})


def test_a_submitted_note_schedules_one_follow_up_worked_by_its_line(app_only: Stack) -> None:
    line = make_line(app_only.db)
    other = make_line(app_only.db, number=OTHER_LINE)
    make_user(app_only.db, "alice", line_ids=[line.id or 0])
    make_user(app_only.db, "bob", line_ids=[line.id or 0])
    make_user(app_only.db, "carol", line_ids=[other.id or 0])
    call_id, _ = connected_call(app_only, "CA" + "1" * 32, "alice")
    writer = NoteClient(app_only, "alice")
    saved = writer.put(call_id, 1, **note_fields(app_only.db, within="24h", level="high"))
    assert saved.status_code == 200, saved.text
    submitted_at = app_only.clock.now()
    done = writer.post(f"/api/calls/{call_id}/note/submit", {"version": saved.json()["version"]})
    assert done.status_code == 200, done.text
    again = writer.post(f"/api/calls/{call_id}/note/submit", {"version": done.json()["version"]})
    assert again.status_code == 409
    (follow_up,) = follow_ups(app_only)
    assert follow_up.call_id == call_id and follow_up.priority is True
    assert follow_up.due_at == submitted_at + timedelta(hours=24)
    fid = follow_up.id
    path = f"/api/followups/{fid}"

    # Nobody signed in: refused, and the page sends the browser to sign in.
    anonymous = httpx.Client(base_url=app_only.url, timeout=10)
    assert anonymous.get("/api/followups").status_code == 401
    assert anonymous.get(path).status_code == 401
    page = anonymous.get("/console/followups")
    assert page.status_code == 303 and page.headers["location"] == "/login"

    # Another line's counselor neither sees nor works it.
    carol = Staff(app_only, "carol")
    assert carol.get("/api/followups").json()["count"] == 0
    assert carol.get(path).status_code == 403
    assert carol.post(f"{path}/attempts", {"outcome": "reached"}).status_code == 403
    assert carol.post(f"{path}/claim", {}).status_code == 403
    assert form(carol, f"/console/followups/{fid}/attempts", outcome="reached").status_code == 403
    assert "/console/followups/" not in carol.get("/console/followups").text

    # Its line's counselors see it on the queue; the number never: the line calls back.
    alice, bob = Staff(app_only, "alice"), Staff(app_only, "bob")
    listed = alice.get("/api/followups").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == fid
    assert "callback_number" not in listed["data"][0]
    unclaimed = alice.get(path).json()
    assert "callback_number" not in unclaimed and unclaimed["plan"] is None
    assert unclaimed["can_call_back"] is True
    assert alice.post(f"{path}/claim", {}, csrf=False).status_code == 403
    claimed = alice.post(f"{path}/claim", {})
    assert claimed.status_code == 200
    assert "callback_number" not in claimed.json() and claimed.json()["mine"] is True
    assert CALLBACK not in claimed.text and claimed.json()["can_call_back"] is True
    assert claimed.json()["plan"] == "Ask how the job centre appointment went"
    as_bob = bob.get(path).json()
    assert as_bob["can_call_back"] is False and as_bob["assigned_to"] == "Alice"
    assert bob.post(f"{path}/attempts", {"outcome": "no_answer"}).json()["code"] == "claimed"

    # Bad input: a clear 4xx, nothing changes.
    assert alice.post(f"{path}/attempts", {"outcome": "hung_up"}).status_code == 422
    assert alice.post(f"{path}/attempts", {"outcome": "reached", "x": 1}).status_code == 422
    long = alice.post(f"{path}/attempts", {"outcome": "no_answer", "note": "x" * 2001})
    assert long.status_code == 422
    assert alice.get("/api/followups?status=done").status_code == 422
    assert follow_ups(app_only)[0].attempts == 0

    tried = alice.post(f"{path}/attempts", {"outcome": "no_answer", "note": REMARK})
    assert tried.status_code == 200, tried.text
    assert (tried.json()["status"], tried.json()["attempts"]) == ("scheduled", 1)
    assert tried.json()["history"][0]["note"] == REMARK
    assert bob.get(path).json()["history"][0]["note"] is None  # remarks: assignee, supervisors
    reached = alice.post(f"{path}/attempts", {"outcome": "reached"}).json()
    assert (reached["status"], reached["close_reason"]) == ("completed", "reached")
    assert reached["can_call_back"] is False  # closed: nobody is to be called back
    assert alice.get("/api/followups?status=scheduled").json()["count"] == 0
    assert alice.get("/api/followups?status=completed").json()["count"] == 1

    # The audit log: each view and change; never the number.
    views = [(e.user_id, e.detail) for e in audit(app_only, "follow_up")]
    assert views and all(detail != "callback number shown" for _user, detail in views)
    edits = [e.detail for e in audit(app_only, "follow_up") if e.action == AuditAction.edit]
    assert edits == ["claim", "attempt no_answer", "attempt reached"]
    assert audit(app_only, "follow_up_list")
    with app_only.db.engine.connect() as connection:
        raw = " ".join(
            str(v)
            for table in ("audit_log", "follow_up_attempts", "follow_ups")
            for row in connection.execute(text(f"select * from {table}"))
            for v in row
        )
    assert CALLBACK not in raw and CALLBACK.lstrip("+") not in raw and REMARK not in raw


def test_the_console_forms_claim_offer_the_call_back_and_log(quiet_app: Stack) -> None:
    app_only = quiet_app  # no background dispatcher: the helper offers its calls itself
    line = make_line(app_only.db)
    alice = make_user(app_only.db, "alice")
    make_user(app_only.db, "bob")
    follow_up = submitted_follow_up(app_only.db, line, alice, app_only.clock.now())
    fid = follow_up.id
    counselor = Staff(app_only, "alice")
    queue = counselor.get("/console/followups")
    assert queue.status_code == 200 and f'data-id="{fid}"' in queue.text
    assert CALLBACK not in queue.text
    refused = counselor.http.post(f"/console/followups/{fid}/claim", data={"csrf_token": "x"})
    assert refused.status_code == 403
    claimed = form(counselor, f"/console/followups/{fid}/claim")
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/console/followups/{fid}?done=claimed"
    page = counselor.get(claimed.headers["location"])
    assert CALLBACK not in page.text and "The follow-up is yours now." in page.text
    assert 'data-testid="btn-dialback"' in page.text  # the line calls back, not the counselor
    assert [e.detail for e in audit(app_only, "follow_up") if e.action == AuditAction.view] == [
        None
    ]
    other = Staff(app_only, "bob")
    assert CALLBACK not in other.get(f"/console/followups/{fid}").text
    held = form(other, f"/console/followups/{fid}/attempts", outcome="no_answer")
    assert held.status_code == 409 and "Someone else is working on" in held.text
    bad = form(counselor, f"/console/followups/{fid}/attempts", outcome="")
    assert bad.status_code == 422 and "Choose what happened on the call." in bad.text
    assert follow_ups(app_only)[0].attempts == 0
    logged = form(counselor, f"/console/followups/{fid}/attempts", outcome="voicemail")
    assert logged.headers["location"] == f"/console/followups/{fid}?done=logged"
    released = form(counselor, f"/console/followups/{fid}/release")
    assert released.headers["location"] == "/console/followups?done=released"
    assert follow_ups(app_only)[0].assigned_to_id is None
    # A counselor cannot cancel; a closed one takes no more attempts.
    assert form(counselor, f"/console/followups/{fid}/cancel").status_code == 403
    finished = form(other, f"/console/followups/{fid}/attempts", outcome="wrong_number")
    assert finished.headers["location"] == "/console/followups?done=failed"
    closed = form(other, f"/console/followups/{fid}/attempts", outcome="reached")
    assert closed.status_code == 409 and "already closed" in closed.text
    assert counselor.get("/console/followups/99999").status_code == 404


def test_supervisors_see_every_line_and_the_overdue_ones(quiet_app: Stack) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    other = make_line(stack.db, number=OTHER_LINE)
    alice = make_user(stack.db, "alice", line_ids=[line.id or 0])
    make_user(stack.db, "boss", role=Role.supervisor)
    now = stack.clock.now()
    with stack.db.session() as session:
        overdue = bare_follow_up(
            session, alice, line.id or 0, "late", now - timedelta(hours=1), FollowUpStatus.scheduled
        )
        later = [
            bare_follow_up(
                session,
                alice,
                other.id or 0,
                f"later{n}",
                now + timedelta(hours=n + 1),
                FollowUpStatus.scheduled,
            )
            for n in range(50)  # due later, on the other line
        ]
    boss, counselor = Staff(stack, "boss"), Staff(stack, "alice")
    assert counselor.get("/supervisor/followups").status_code == 403
    assert counselor.get("/api/followups").json()["count"] == 1  # alice's line only
    page = boss.get("/supervisor/followups")
    assert page.status_code == 200
    assert "Overdue follow-ups: 1" in page.text
    assert rows(page) == [overdue, *later[:49]]  # soonest due first, 50 a page
    assert rows(boss.get("/supervisor/followups?page=2")) == [later[49]]
    assert rows(boss.get("/supervisor/followups?status=overdue")) == [overdue]
    assert rows(boss.get(f"/supervisor/followups?line={line.id}")) == [overdue]
    # Due on the local day (UTC+8) of 11:00 on 23 November: 10:00 (overdue), 12:00 ... 23:00.
    today = (now + timedelta(hours=8)).date().isoformat()
    assert rows(boss.get(f"/supervisor/followups?from={today}&to={today}")) == [
        overdue,
        *later[:12],
    ]
    assert boss.get("/api/followups?status=overdue").json()["count"] == 1
    filters = [e.detail for e in audit(stack, "follow_up_list") if e.user_id is not None]
    assert "status=overdue" in filters

    # More than 48 hours past due, the dispatcher's tick closes it as failed.
    stack.clock.advance(47 * 3600)
    stack.dispatcher.tick()
    boss = Staff(stack, "boss")  # the day's session has expired
    assert boss.get(f"/api/followups/{overdue}").json()["status"] == "scheduled"
    stack.clock.advance(3600 + 1)
    stack.dispatcher.tick()
    boss, counselor = Staff(stack, "boss"), Staff(stack, "alice")  # two days on: new sessions
    expired = boss.get(f"/api/followups/{overdue}").json()
    assert (expired["status"], expired["close_reason"]) == ("failed", "expired")
    assert counselor.post(f"/api/followups/{later[0]}/cancel", {}).status_code == 403
    cancelled = boss.post(f"/api/followups/{later[0]}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def _submit(writer: NoteClient, call_id: int, **fields: object) -> None:
    saved = writer.put(call_id, 1, **fields)
    assert saved.status_code == 200, saved.text
    done = writer.post(f"/api/calls/{call_id}/note/submit", {"version": saved.json()["version"]})
    assert done.status_code == 200, done.text


def test_the_caller_ringing_again_and_counselled_meets_their_follow_up(app_only: Stack) -> None:
    line = make_line(app_only.db)
    for name in ("alice", "bob", "dan"):
        make_user(app_only.db, name, line_ids=[line.id or 0])
    make_user(app_only.db, "boss", role=Role.supervisor)
    first, _ = connected_call(app_only, "CA" + "1" * 32, "alice")
    _submit(NoteClient(app_only, "alice"), first, **note_fields(app_only.db, level="high"))
    (owed,) = follow_ups(app_only)
    assert owed.status == FollowUpStatus.scheduled and owed.priority

    # Rings again: the counselor sees the follow-up owed, in the caller's history.
    second, _ = connected_call(app_only, "CA" + "2" * 32, "bob")
    bob = NoteClient(app_only, "bob")
    (earlier,) = bob.get(f"/api/calls/{second}/history").json()["data"]
    assert earlier["call_id"] == first
    assert earlier["follow_up_due_at"] == owed.due_at.isoformat()
    assert earlier["follow_up_priority"] is True

    # A silent call does not reach them: still owed.
    _submit(bob, second, call_type="silent")
    assert follow_ups(app_only)[0].status == FollowUpStatus.scheduled

    # A counselling call does: completed, with dan recorded as having reached the caller.
    third, _ = connected_call(app_only, "CA" + "3" * 32, "dan")
    dan = NoteClient(app_only, "dan")
    _submit(dan, third, **note_fields(app_only.db, level="none", wanted=False))
    met = follow_ups(app_only)[0]
    assert (met.status, met.close_reason, met.attempts) == (
        FollowUpStatus.completed,
        "called_in",
        1,
    )
    assert met.closed_at == app_only.clock.now()
    seen = Staff(app_only, "boss").get(f"/api/followups/{met.id}")
    (attempt,) = seen.json()["history"]
    assert (attempt["outcome"], attempt["by"]) == ("reached", "Dan")
    edits = [e.detail for e in audit(app_only, "follow_up") if e.action == AuditAction.edit]
    assert edits == [f"called_in on call {third}"]
    history = dan.get(f"/api/calls/{third}/history").json()["data"]
    assert [row["follow_up_due_at"] for row in history] == [None, None]


def test_a_withheld_number_never_meets_anyone_elses_follow_up(app_only: Stack) -> None:
    line = make_line(app_only.db)
    for name in ("alice", "bob"):
        make_user(app_only.db, name, line_ids=[line.id or 0])
    first, _ = connected_call(app_only, "CA" + "1" * 32, "alice", caller="anonymous")
    _submit(NoteClient(app_only, "alice"), first, **note_fields(app_only.db))
    second, _ = connected_call(app_only, "CA" + "2" * 32, "bob", caller="anonymous")
    _submit(NoteClient(app_only, "bob"), second, **note_fields(app_only.db, wanted=False))
    assert [f.status for f in follow_ups(app_only)] == [FollowUpStatus.scheduled]


def test_the_supervisors_list_downloads_as_csv_every_row_audited(quiet_app: Stack) -> None:
    stack = quiet_app
    # A name someone typed that a spreadsheet would run as a formula.
    line = make_line(stack.db)
    with stack.db.session() as session:
        named = session.get(Line, line.id)
        assert named is not None
        named.name = '=HYPERLINK("http://evil")'
        session.add(named)
    alice = make_user(stack.db, "alice", line_ids=[line.id or 0])
    make_user(stack.db, "boss", role=Role.supervisor)
    now = stack.clock.now()
    with stack.db.session() as session:
        late = bare_follow_up(
            session, alice, line.id or 0, "late", now - timedelta(hours=2), FollowUpStatus.scheduled
        )
        for n in range(520):  # more than one page of the export's reading
            bare_follow_up(
                session,
                alice,
                line.id or 0,
                f"done{n}",
                now - timedelta(days=3, minutes=n),
                FollowUpStatus.completed,
                closed=now - timedelta(days=3),
            )
    boss = Staff(stack, "boss")
    assert Staff(stack, "alice").get("/supervisor/followups.csv").status_code == 403
    page = boss.get("/supervisor/followups?status=overdue")
    assert 'href="/supervisor/followups.csv?status=overdue"' in page.text

    got = boss.get("/supervisor/followups.csv?status=overdue&lang=en")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["cache-control"] == "no-store"
    table = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert table[0][:3] == ["Follow-up", "Call", "Line"]
    (row,) = table[1:]
    assert row[0] == str(late) and row[6] == "Overdue"
    assert row[2] == '\'=HYPERLINK("http://evil")'  # text, never a formula

    everything = boss.get("/supervisor/followups.csv")
    assert len(list(csv.reader(io.StringIO(everything.text)))) == 1 + 521
    exports = [e.detail for e in audit(stack, "follow_up_list") if e.action == AuditAction.export]
    assert exports == ["status=overdue", None]


def test_a_supervisors_console_counts_the_priority_follow_ups_past_due(quiet_app: Stack) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice", line_ids=[line.id or 0])
    make_user(stack.db, "boss", role=Role.supervisor)
    now = stack.clock.now()
    with stack.db.session() as session:
        for name, due, priority in [
            ("late-priority", now - timedelta(hours=1), True),
            ("late", now - timedelta(hours=1), False),
            ("soon-priority", now + timedelta(hours=1), True),
        ]:
            fid = bare_follow_up(session, alice, line.id or 0, name, due, FollowUpStatus.scheduled)
            found = session.get(FollowUp, fid)
            assert found is not None
            found.priority = priority
    boss = ConsoleClient(stack.url, "boss", PASSWORD)
    assert boss.wait(lambda snap: "agent" in snap)["priority_followups_overdue"] == 1
    boss.close()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    assert "priority_followups_overdue" not in counselor.wait(lambda snap: "agent" in snap)
    counselor.close()
