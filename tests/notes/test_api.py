"""The call-note API over real HTTP: validation, autosave versions, triage and escalation,
submission and immutability, addenda, caller history within the access rules, encryption."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call, CallEvent, CallState
from hotline.notes.models import CallNote, IssueCategory, NoteStatus
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.calls import connected_call
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

SUMMARY = "说起失业后的绝望，已经想好了方法"
CALLBACK = "+8613912345678"


class NoteClient:
    """A signed-in counselor talking to the note API, with the CSRF header."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.console = ConsoleClient(stack.url, username, PASSWORD)
        self.http: httpx.Client = self.console.http
        self.token = csrf_from(self.http.get("/console").text)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def put(self, call_id: int, version: int, **fields: Any) -> httpx.Response:
        return self.http.put(
            f"/api/calls/{call_id}/note",
            json={"version": version, "fields": fields},
            headers={"X-CSRF-Token": self.token},
        )

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.token})


def category_id(stack: Stack, code: str) -> int:
    with stack.db.session() as session:
        found = session.exec(select(IssueCategory).where(IssueCategory.code == code)).one()
        assert found.id is not None
        return found.id


def start(
    stack: Stack,
    sid: str = "CA" + "1" * 32,
    username: str = "alice",
    caller: str = "+8613800000001",
) -> tuple[int, NoteClient]:
    make_line(stack.db) if not stack.extra.get("line") else None
    stack.extra["line"] = True
    call_id, _user = connected_call(stack, sid, username, caller=caller)
    return call_id, NoteClient(stack, username)


COMPLETE_SCREEN = {
    "q1_wish_dead": True,
    "q2_suicidal_thoughts": True,
    "q3_method": True,
    "q4_intent": False,
    "q5_plan": False,
    "q6_behaviour": False,
    "intensity": 6,
    "hopelessness": 7,
    "protective_factors": ["supports"],
}


def test_drafts_validate_per_field_and_keep_their_version(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    note = alice.get(f"/api/calls/{call_id}/note").json()
    assert note["status"] == "draft" and note["version"] == 1
    bad = alice.put(
        call_id, 1, screener={"q2_suicidal_thoughts": False, "q3_method": True, "intensity": 11}
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert set(errors) >= {"screener.intensity"}
    bad_number = alice.put(call_id, 1, follow_up={"wanted": True, "callback_number": "call me"})
    assert bad_number.json()["errors"] == {
        "follow_up.callback_number": "Enter a phone number (digits, spaces, + and -)."
    }
    unknown = alice.put(call_id, 1, favourite_colour="blue")
    assert unknown.status_code == 422 and "favourite_colour" in unknown.json()["errors"]
    skipped = alice.put(call_id, 1, screener={"q2_suicidal_thoughts": False, "q3_method": True})
    assert skipped.json()["errors"] == {
        "screener.q3_method": skipped.json()["errors"]["screener.q3_method"]
    }
    assert alice.get(f"/api/calls/{call_id}/note").json()["version"] == 1  # nothing changed
    no_csrf = alice.http.put(f"/api/calls/{call_id}/note", json={"version": 1, "fields": {}})
    assert no_csrf.status_code == 403


def test_autosave_merges_and_refuses_a_stale_version(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    first = alice.put(call_id, 1, summary="first words")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = alice.put(
        call_id,
        2,
        profile={
            "age_band": "18_24",
            "gender": "female",
            "region": "Wenzhou",
            "population_groups": [],
        },
    )
    assert second.json()["summary"] == "first words"  # other fields are kept
    stale = alice.put(call_id, 2, summary="from another tab")
    assert stale.status_code == 409
    assert stale.json()["note"]["version"] == 3 and stale.json()["note"]["summary"] == "first words"


def test_screener_suggests_the_level_and_high_risk_escalates_at_once(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    low = alice.put(call_id, 1, screener={"q1_wish_dead": True})
    assert low.json()["suggested_level"] == "low" and low.json()["escalation"] is None
    high = alice.put(
        call_id, 2, screener={"q1_wish_dead": True, "q2_suicidal_thoughts": True, "q4_intent": True}
    )
    note = high.json()
    assert note["suggested_level"] == "high"
    assert note["escalation"]["level"] == "high"
    imminent = alice.put(call_id, 3, crisis_level="imminent")
    assert imminent.json()["escalation"]["level"] == "imminent"
    with app_only.db.session() as session:
        raised = [
            e.state
            for e in session.exec(select(CallEvent).where(CallEvent.call_id == call_id))
            if e.state.startswith("escalation_")
        ]
    assert raised == ["escalation_high", "escalation_imminent"]
    snapshot = alice.console.wait(lambda s: (s["call"] or {}).get("crisis_level") == "imminent")
    assert snapshot["call"]["escalated"] is True


def test_submission_rules_immutability_and_addenda(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    empty = alice.post(f"/api/calls/{call_id}/note/submit", {"version": 1})
    assert empty.status_code == 422 and "call_type" in empty.json()["errors"]
    alice.put(call_id, 1, call_type="self")
    incomplete = alice.post(f"/api/calls/{call_id}/note/submit", {"version": 2}).json()["errors"]
    assert {
        "profile.age_band",
        "categories",
        "screener.q1_wish_dead",
        "crisis_level",
        "summary",
    } <= set(incomplete)
    saved = alice.put(
        call_id,
        2,
        profile={"age_band": "25_34", "gender": "male"},
        categories=[category_id(app_only, "work.job_loss")],
        screener=COMPLETE_SCREEN,
        crisis_level="low",
        summary=SUMMARY,
        follow_up={"wanted": True, "consent": True, "within": "24h"},
    ).json()
    assert saved["suggested_level"] == "moderate"
    errors = alice.post(f"/api/calls/{call_id}/note/submit", {"version": saved["version"]}).json()[
        "errors"
    ]
    assert set(errors) == {"override_reason", "follow_up.callback_number"}
    saved = alice.put(
        call_id,
        saved["version"],
        override_reason="Ambivalent, strong supports",
        follow_up={"wanted": True, "consent": True, "within": "24h", "callback_number": CALLBACK},
    ).json()
    assert saved["level_lowered"] is True
    done = alice.post(f"/api/calls/{call_id}/note/submit", {"version": saved["version"]})
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    version = done.json()["version"]
    assert alice.put(call_id, version, summary="rewritten").status_code == 409
    assert alice.get(f"/api/calls/{call_id}/note").json()["summary"] == SUMMARY
    added = alice.post(f"/api/calls/{call_id}/note/addenda", {"text": "Called back, safe."})
    assert [a["text"] for a in added.json()["addenda"]] == ["Called back, safe."]
    make_user(app_only.db, "bob")
    bob = NoteClient(app_only, "bob")
    assert bob.get(f"/api/calls/{call_id}/note").status_code == 403
    assert bob.post(f"/api/calls/{call_id}/note/addenda", {"text": "x"}).status_code == 403

    # Encrypted at rest: the raw row holds neither the summary nor the callback number.
    with app_only.db.engine.connect() as connection:
        raw = " ".join(
            str(v) for row in connection.execute(text("select * from call_notes")) for v in row
        )
        raw += " ".join(
            str(v) for row in connection.execute(text("select * from note_addenda")) for v in row
        )
    assert SUMMARY not in raw and CALLBACK not in raw and "Called back" not in raw
    with app_only.db.session() as session:
        assert session.exec(select(CallNote)).one().sensitive is not None


def test_a_non_counselling_call_is_one_click(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    alice.put(call_id, 1, call_type="silent")
    done = alice.post(f"/api/calls/{call_id}/note/submit", {"version": 2})
    assert done.status_code == 200 and done.json()["status"] == "submitted"


HIGH_RISK_SCREEN = {"q1_wish_dead": True, "q2_suicidal_thoughts": True, "q4_intent": True}


def test_a_caller_at_risk_is_never_recorded_as_a_prank(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    high = alice.put(call_id, 1, screener=HIGH_RISK_SCREEN, summary="has a plan").json()
    assert high["escalation"]["level"] == "high"
    prank = alice.put(call_id, high["version"], call_type="prank")
    assert prank.status_code == 422 and prank.json()["code"] == "risk_not_counselling"
    assert "moderate risk or higher" in prank.json()["errors"]["call_type"]
    kept = alice.get(f"/api/calls/{call_id}/note").json()
    assert kept["call_type"] is None and kept["version"] == high["version"]

    # A type chosen before the risk answers: submitting it is refused, the draft kept as it is.
    other, bob = start(app_only, "CA" + "2" * 32, "bob", "+8613800000002")
    silent = bob.put(other, 1, call_type="silent").json()
    risky = bob.put(
        other,
        silent["version"],
        screener={"q1_wish_dead": True, "q2_suicidal_thoughts": True, "q3_method": True},
    ).json()
    assert risky["suggested_level"] == "moderate"
    refused = bob.post(f"/api/calls/{other}/note/submit", {"version": risky["version"]})
    assert refused.status_code == 422 and refused.json()["code"] == "risk_not_counselling"
    assert set(refused.json()["errors"]) >= {"call_type"}
    draft = bob.get(f"/api/calls/{other}/note").json()
    assert draft["status"] == "draft" and draft["version"] == risky["version"]
    assert draft["screener"]["q3_method"] is True and draft["call_type"] == "silent"
    with app_only.db.session() as session:
        assert all(n.status == NoteStatus.draft for n in session.exec(select(CallNote)))


def test_a_counselors_unfinished_notes_are_listed_wherever_they_were_begun(
    app_only: Stack,
) -> None:
    first, alice = start(app_only)
    alice.put(first, 1, summary="half a note", screener={"q1_wish_dead": True})
    alice.console.send("hangup", call_id=first)
    alice.console.state("wrap_up")
    alice.console.send("finish_wrap_up", call_id=first)
    alice.console.state("available")
    alice.console.send("set_state", state="offline", reason=None)  # connected_call makes her
    alice.console.state("offline")  # available once the next caller waits (no race with it)
    second, _alice_id = connected_call(app_only, "CA" + "2" * 32, "alice", caller="+8613800000002")
    listed = alice.get("/api/notes/unfinished").json()
    assert listed["count"] == 2
    old, new = listed["data"]
    assert old["call_id"] == first and new["call_id"] == second
    assert old["line_name"] == "Line +8657796525" and old["level"] == "low"
    assert old["connected"] is True and old["overdue"] is False and old["at"]
    assert new["level"] is None  # no note opened yet: still one to write
    # The console's snapshot carries the same list (for the warning before going available).
    snapshot = alice.console.wait(lambda s: len(s.get("unfinished_notes", [])) == 2)
    assert [n["call_id"] for n in snapshot["unfinished_notes"]] == [first, second]
    # Opened from the list in another browser: the draft is there, and still hers to write.
    note = alice.get(f"/api/calls/{first}/note").json()
    assert note["summary"] == "half a note"
    done = alice.put(first, note["version"], call_type="silent")
    alice.post(f"/api/calls/{first}/note/submit", {"version": done.json()["version"]})
    assert [n["call_id"] for n in alice.get("/api/notes/unfinished").json()["data"]] == [second]
    make_user(app_only.db, "bob")
    assert NoteClient(app_only, "bob").get("/api/notes/unfinished").json() == {
        "data": [],
        "count": 0,
    }


def test_a_note_begun_for_a_call_that_never_connected_is_kept(stack: Stack) -> None:
    make_line(stack.db)
    stack.dispatcher.sync_numbers()
    phone = "+8613900009999"
    make_user(stack.db, "carol", endpoint=phone)
    stack.simulator.set_phone(phone, "manual")  # her phone rings and rings
    carol = NoteClient(stack, "carol")
    carol.console.send("set_state", state="available", reason=None)
    carol.console.state("available")
    caller = stack.simulator.place_call("+8613800000003", "+8657796525", digits="1")
    call_id = carol.console.offer()["call_id"]
    carol.console.send("accept", call_id=call_id)
    carol.console.wait(lambda s: (s["call"] or {}).get("state") == "connecting")
    note = carol.get(f"/api/calls/{call_id}/note").json()
    saved = carol.put(call_id, note["version"], summary="said she took pills", crisis_level="high")
    assert saved.status_code == 200
    # The caller hangs up before the counselor's phone is in: the call never connected.
    stack.simulator.hangup(caller)
    carol.console.wait(lambda s: s["call"] is None)

    def abandoned() -> bool:
        with stack.db.session() as session:
            call = session.get(Call, call_id)
            return call is not None and call.state == CallState.abandoned

    assert stack.simulator.wait_for(abandoned)
    listed = carol.get("/api/notes/unfinished").json()["data"]
    assert [(n["call_id"], n["connected"], n["level"]) for n in listed] == [
        (call_id, False, "high")
    ]
    kept = carol.get(f"/api/calls/{call_id}/note").json()
    assert kept["summary"] == "said she took pills" and kept["status"] == "draft"
    assert carol.put(call_id, kept["version"], summary="more").status_code == 200


def test_caller_history_is_for_their_counselor_and_reviewers_only(app_only: Stack) -> None:
    caller = "+8613700000007"
    first_call, alice = start(app_only, "CA" + "1" * 32, "alice", caller)
    alice.put(
        first_call, 1, call_type="self", summary="Exam stress, slept badly", crisis_level="low"
    )
    alice.console.send("hangup", call_id=first_call)
    alice.console.state("wrap_up")
    alice.console.send("finish_wrap_up", call_id=first_call)
    alice.console.state("available")
    alice.console.send("set_state", state="offline", reason=None)  # the next call goes to bob
    alice.console.state("offline")
    second_call, _bob_id = connected_call(app_only, "CA" + "2" * 32, "bob", caller=caller)
    bob = NoteClient(app_only, "bob")
    history = bob.get(f"/api/calls/{second_call}/history").json()
    assert history["count"] == 1
    assert history["data"][0]["summary_excerpt"] == "Exam stress, slept badly"
    assert history["data"][0]["crisis_level"] == "low"
    # alice is no longer on this caller's call: no history for her.
    assert alice.get(f"/api/calls/{second_call}/history").status_code == 403
    make_user(app_only.db, "sup", role=Role.supervisor)
    assert NoteClient(app_only, "sup").get(f"/api/calls/{second_call}/history").status_code == 200
    other_call, _ = connected_call(app_only, "CA" + "3" * 32, "carol", caller="+8613600000000")
    carol = NoteClient(app_only, "carol")
    assert carol.get(f"/api/calls/{other_call}/history").json()["count"] == 0


def test_history_through_an_old_call_is_refused(app_only: Stack) -> None:
    """History is for a live call and its note window; an old call of one's own does not open
    the caller's later calls by others."""
    caller = "+8613700000008"
    first_call, alice = start(app_only, "CA" + "4" * 32, "alice", caller)
    alice.put(first_call, 1, call_type="self", summary="First call", crisis_level="low")
    alice.console.send("hangup", call_id=first_call)
    alice.console.state("wrap_up")
    assert alice.get(f"/api/calls/{first_call}/history").status_code == 200  # wrap-up
    alice.console.send("finish_wrap_up", call_id=first_call)
    alice.console.state("available")
    alice.console.send("set_state", state="offline", reason=None)
    alice.console.state("offline")
    app_only.clock.advance(app_only.settings.note_due_s - 60)
    assert alice.get(f"/api/calls/{first_call}/history").status_code == 200  # the note window
    app_only.clock.advance(60)

    second_call, _bob_id = connected_call(app_only, "CA" + "5" * 32, "bob", caller=caller)
    bob = NoteClient(app_only, "bob")
    bob.put(second_call, 1, call_type="self", summary="Later, with bob", crisis_level="low")
    # Her old call no longer opens the caller's history, so not bob's later note either.
    refused = alice.get(f"/api/calls/{first_call}/history")
    assert refused.status_code == 403 and "Later, with bob" not in refused.text
    # Bob, on the live call, sees the earlier call.
    seen = bob.get(f"/api/calls/{second_call}/history").json()
    assert [row["call_id"] for row in seen["data"]] == [first_call]
    # A reviewer on the first call sees only what came before it: nothing.
    make_user(app_only.db, "sup", role=Role.supervisor)
    earlier = NoteClient(app_only, "sup").get(f"/api/calls/{first_call}/history").json()
    assert earlier["count"] == 0


def test_options_are_translated_and_include_the_taxonomy(app_only: Stack) -> None:
    _call_id, alice = start(app_only)
    options = alice.get("/api/notes/options").json()
    assert {level["code"]: level["colour"] for level in options["levels"]} == {
        "none": "green",
        "low": "yellow",
        "moderate": "orange",
        "high": "red",
        "imminent": "red",
    }
    tops = {c["code"] for c in options["categories"]}
    assert {"suicide", "family", "emotional"} <= tops
    assert any(r["phone"] == "120" for r in options["referrals"])


def test_an_unsubmitted_note_becomes_overdue_after_wrap_up_time(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    alice.put(call_id, 1, call_type="self", summary="still writing")
    alice.console.send("hangup", call_id=call_id)
    alice.console.state("wrap_up")
    app_only.clock.advance(app_only.settings.note_due_s - 1)
    app_only.dispatcher.tick()
    assert alice.get(f"/api/calls/{call_id}/note").json()["overdue"] is False
    app_only.clock.advance(2)
    app_only.dispatcher.tick()
    overdue = alice.get(f"/api/calls/{call_id}/note").json()
    assert overdue["overdue"] is True and overdue["summary"] == "still writing"
    done = alice.put(
        call_id,
        overdue["version"],
        profile={"age_band": "unknown", "gender": "unknown"},
        categories=[category_id(app_only, "other")],
        screener={**COMPLETE_SCREEN, "q3_method": False},
        crisis_level="low",
    )
    submitted = alice.post(f"/api/calls/{call_id}/note/submit", {"version": done.json()["version"]})
    assert submitted.status_code == 200 and submitted.json()["overdue"] is False


def test_admins_edit_the_taxonomy_and_referrals_without_a_deploy(app_only: Stack) -> None:
    _call_id, alice = start(app_only)
    make_user(app_only.db, "root", role=Role.admin)
    admin = NoteClient(app_only, "root")
    assert (
        alice.post(
            "/api/admin/categories", {"code": "x", "label_zh": "x", "label_en": "x"}
        ).status_code
        == 403
    )
    top = admin.post(
        "/api/admin/categories",
        {"code": "online", "label_zh": "网络问题", "label_en": "Online life"},
    )
    assert top.status_code == 201
    child = admin.post(
        "/api/admin/categories",
        {
            "code": "online.gaming",
            "parent_id": top.json()["id"],
            "label_zh": "游戏沉迷",
            "label_en": "Gaming",
        },
    )
    assert child.status_code == 201
    assert (
        admin.post(
            "/api/admin/categories", {"code": "online", "label_zh": "a", "label_en": "b"}
        ).status_code
        == 422  # the code is taken
    )
    grandchild = admin.post(
        "/api/admin/categories",
        {
            "code": "online.gaming.x",
            "parent_id": child.json()["id"],
            "label_zh": "a",
            "label_en": "b",
        },
    )
    assert grandchild.status_code == 422  # two levels only
    clinic = admin.post(
        "/api/admin/referrals",
        {"kind": "psychiatric_clinic", "name": "温州市第七人民医院", "phone": "0577-00000000"},
    )
    assert clinic.status_code == 201
    options = alice.get("/api/notes/options").json()
    online = next(c for c in options["categories"] if c["code"] == "online")
    assert [c["code"] for c in online["children"]] == ["online.gaming"]
    assert any(r["name"] == "温州市第七人民医院" for r in options["referrals"])
    retired = admin.http.put(
        f"/api/admin/categories/{top.json()['id']}",
        json={"code": "online", "label_zh": "网络问题", "label_en": "Online life", "active": False},
        headers={"X-CSRF-Token": admin.token},
    )
    assert retired.status_code == 200
    options = alice.get("/api/notes/options").json()
    assert "online" not in {c["code"] for c in options["categories"]}
