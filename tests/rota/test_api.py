"""The rota over real HTTP: a small app with the rota router and sign-in, under uvicorn."""

from __future__ import annotations

import httpx

from hotline.auth.models import Role, User
from hotline.rota.ical import feed_token
from tests.factories import make_user
from tests.rota.conftest import SECRET, Api, Client


def test_schedules_rotations_on_call_overrides_and_swaps(api: Api) -> None:
    admin_id = make_user(api.db, "admin", role=Role.admin).id
    alice_id = make_user(api.db, "alice", role=Role.crisis).id
    bob_id = make_user(api.db, "bob", role=Role.crisis).id
    make_user(api.db, "sue", role=Role.supervisor)
    make_user(api.db, "carl")  # a counselor
    admin, alice, bob, sue, carl = (
        Client(api, name) for name in ("admin", "alice", "bob", "sue", "carl")
    )
    assert admin_id is not None

    schedule = {"name": "Crisis team", "description": "Night and day"}
    assert admin.post("/api/rota/schedules", schedule, csrf=False).status_code == 403
    assert alice.post("/api/rota/schedules", schedule).status_code == 403
    bad = admin.post("/api/rota/schedules", {**schedule, "timezone": "Mars/Olympus"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"timezone": "Choose a time zone such as Asia/Shanghai."}
    made = admin.post("/api/rota/schedules", schedule)
    assert made.status_code == 201 and made.json()["timezone"] == "Asia/Shanghai"
    schedule_id = made.json()["id"]
    again = admin.post("/api/rota/schedules", schedule)
    assert again.status_code == 409
    assert again.json()["detail"] == "A schedule with this name already exists."

    rotation = {
        "name": "days",
        "shift": "daily",
        "handoff_time": "09:00",
        "start_date": "2026-11-02",
        "member_ids": [alice_id, bob_id],
    }
    path = f"/api/rota/schedules/{schedule_id}"
    wrong = admin.post(f"{path}/rotations", {**rotation, "handoff_time": "25:00"})
    assert wrong.json()["errors"] == {"handoff_time": "Enter a time as HH:MM, for example 09:00."}
    assert admin.post(f"{path}/rotations", rotation).status_code == 201
    detail = carl.get(path).json()
    assert [r["member_ids"] for r in detail["rotations"]] == [[alice_id, bob_id]]

    now = carl.get(f"{path}/oncall").json()  # 10:00 on the 3rd: bob's day
    assert now["user_ids"] == [bob_id] and now["people"][0]["display_name"] == "Bob"
    then = carl.get(f"{path}/oncall", at="2026-11-02T09:00:00+08:00").json()
    assert then["user_ids"] == [alice_id]
    naive = carl.get(f"{path}/oncall", at="2026-11-02T09:00:00")
    assert naive.status_code == 422 and "UTC offset" in naive.json()["errors"]["at"]
    missing = carl.get("/api/rota/schedules/999/oncall")
    assert missing.status_code == 404 and missing.json()["detail"] == "There is no such schedule."
    timeline = carl.get(
        f"{path}/shifts", start="2026-11-02T00:00:00+08:00", end="2026-11-04T00:00:00+08:00"
    ).json()
    assert [(s["user_id"], s["start"]) for s in timeline["data"]] == [
        (alice_id, "2026-11-02T01:00:00Z"),
        (bob_id, "2026-11-03T01:00:00Z"),
    ]

    cover = {
        "kind": "replace",
        "user_id": admin_id,
        "replaced_user_id": bob_id,
        "start_at": "2026-11-03T12:00:00+08:00",
        "end_at": "2026-11-03T13:00:00+08:00",
        "reason": "lunch",
    }
    assert alice.post(f"{path}/overrides", cover).status_code == 403
    assert sue.post(f"{path}/overrides", cover).status_code == 201
    lunch = carl.get(f"{path}/oncall", at="2026-11-03T12:30:00+08:00").json()
    assert lunch["user_ids"] == [admin_id]

    swap = {
        "schedule_id": schedule_id,
        "counterpart_id": alice_id,
        "start_at": "2026-11-03T18:00:00+08:00",
        "end_at": "2026-11-04T09:00:00+08:00",
    }
    assert carl.post("/api/rota/swaps", swap).status_code == 403  # counselors are not rostered
    asked = bob.post("/api/rota/swaps", swap)
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    swap_id = asked.json()["id"]
    assert [s["id"] for s in alice.get("/api/rota/swaps").json()["data"]] == [swap_id]
    refused = bob.post(f"/api/rota/swaps/{swap_id}/answer", {"accept": True})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the person asked can answer this swap request."
    accepted = alice.post(f"/api/rota/swaps/{swap_id}/answer", {"accept": True})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    evening = carl.get(f"{path}/oncall", at="2026-11-03T20:00:00+08:00").json()
    assert evening["user_ids"] == [alice_id]


def test_calendar_page_and_ical_feed(api: Api) -> None:
    admin_id = make_user(api.db, "admin", role=Role.admin).id
    alice_id = make_user(api.db, "alice", role=Role.crisis).id
    bob_id = make_user(api.db, "bob", role=Role.crisis).id
    assert admin_id is not None and alice_id is not None
    admin = Client(api, "admin")
    schedule_id = admin.post("/api/rota/schedules", {"name": "Crisis team"}).json()["id"]
    admin.post(
        f"/api/rota/schedules/{schedule_id}/rotations",
        {
            "name": "days",
            "shift": "daily",
            "start_date": "2026-11-02",
            "member_ids": [alice_id, bob_id],
        },
    )

    assert httpx.get(f"{api.url}/rota/{schedule_id}").status_code == 303  # sign in first
    page = admin.get(f"/rota/{schedule_id}", lang="en")
    assert page.status_code == 200
    html = page.text
    assert html.count('data-testid="rota-day"') == 14
    assert 'data-date="2026-11-03" aria-current="date"' in html
    assert f'data-testid="rota-shift" data-user="{bob_id}" data-now="true"' in html
    assert "On call now" in html and "Bob" in html and "Alice" in html
    assert "Tuesday, November 3, 2026" in html
    later = admin.get(f"/rota/{schedule_id}", start="2026-11-17", lang="en").text
    assert "Monday, November 30, 2026" in later and 'data-now="true"' not in later
    assert admin.get("/rota/999").status_code == 404
    for odd in ("0001-01-01", "not-a-date"):
        fallback = admin.get(f"/rota/{schedule_id}", start=odd, lang="en")
        assert fallback.status_code == 200 and "Tuesday, November 3, 2026" in fallback.text

    path = f"/rota/ical/{alice_id}.ics"
    assert httpx.get(api.url + path).status_code == 404
    assert httpx.get(api.url + path, params={"token": "forged"}).status_code == 404
    feed = httpx.get(api.url + path, params={"token": feed_token(SECRET, alice_id)})
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.text.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART:20261104T010000Z" in feed.text
    assert f"/rota/ical/{admin_id}.ics?token={feed_token(SECRET, admin_id)}" in html
    with api.db.session() as session:
        alice = session.get(User, alice_id)
        assert alice is not None
        alice.active = False
    gone = httpx.get(api.url + path, params={"token": feed_token(SECRET, alice_id)})
    assert gone.status_code == 404  # a deactivated account's feed stops
