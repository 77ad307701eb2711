"""Only people who can acknowledge an escalation hold crisis shifts: rotations, overrides, swaps
and rotation edits refuse anyone else, and the rota page warns about a holder who no longer can
(a role changed later)."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.auth import service as auth
from hotline.auth.models import Role, User
from tests.factories import make_user
from tests.rota.conftest import Api, Client

NOT_ELIGIBLE = "Not allowed on this rota: Carl."


def test_a_crisis_shift_needs_someone_who_can_acknowledge(api: Api) -> None:
    ids = {
        name: make_user(api.db, name, role=role).id
        for name, role in (
            ("admin", Role.admin),
            ("alice", Role.crisis),
            ("bob", Role.crisis),
            ("sue", Role.supervisor),
            ("carl", Role.counselor),
        )
    }
    admin, bob, sue, carl = (Client(api, name) for name in ("admin", "bob", "sue", "carl"))
    schedule_id = admin.post("/api/rota/schedules", {"name": "Crisis team"}).json()["id"]
    path = f"/api/rota/schedules/{schedule_id}"
    rotation = {
        "name": "days",
        "shift": "daily",
        "handoff_time": "09:00",
        "start_date": "2026-11-02",
        "member_ids": [ids["alice"], ids["bob"], ids["carl"]],
    }
    refused = admin.post(f"{path}/rotations", rotation)
    assert refused.status_code == 422 and refused.json()["detail"].startswith(NOT_ELIGIBLE)
    assert refused.json()["errors"]["member_ids"] == (
        "This person's role cannot hold shifts in this schedule."
    )
    made = admin.post(f"{path}/rotations", {**rotation, "member_ids": [ids["alice"], ids["bob"]]})
    assert made.status_code == 201
    edit = admin.patch(
        f"/api/rota/rotations/{made.json()['id']}", {"member_ids": [ids["carl"], ids["bob"]]}
    )
    assert edit.status_code == 422 and edit.json()["code"] == "not_eligible"

    cover = {
        "kind": "replace",
        "user_id": ids["carl"],
        "replaced_user_id": ids["bob"],
        "start_at": "2026-11-03T12:00:00+08:00",
        "end_at": "2026-11-03T13:00:00+08:00",
    }
    override = sue.post(f"{path}/overrides", cover)
    assert override.status_code == 422 and override.json()["code"] == "not_eligible"
    add = sue.post(f"{path}/overrides", {**cover, "kind": "add", "replaced_user_id": None})
    assert add.status_code == 422 and add.json()["code"] == "not_eligible"

    swap = {
        "schedule_id": schedule_id,
        "counterpart_id": ids["carl"],
        "start_at": "2026-11-03T18:00:00+08:00",
        "end_at": "2026-11-04T09:00:00+08:00",
    }
    asked = bob.post("/api/rota/swaps", swap)
    assert asked.status_code == 422 and asked.json()["detail"].startswith(NOT_ELIGIBLE)
    assert carl.get("/api/rota/swaps").json()["count"] == 0

    # Asked while she could; her role changes before she accepts: the swap is refused.
    pending = bob.post("/api/rota/swaps", {**swap, "counterpart_id": ids["alice"]})
    assert pending.status_code == 201
    page = admin.get(f"/rota/{schedule_id}", lang="en")
    assert 'data-testid="rota-unfit"' not in page.text
    with api.db.session() as session:
        alice = session.get(User, ids["alice"])
        assert alice is not None
        auth.set_role(session=session, user=alice, role=Role.counselor, now=datetime.now(UTC))
    answer = Client(api, "alice").post(
        f"/api/rota/swaps/{pending.json()['id']}/answer", {"accept": True}
    )
    assert answer.status_code == 409 and answer.json()["code"] == "not_eligible"
    on_call = carl.get(f"{path}/oncall", at="2026-11-03T20:00:00+08:00").json()
    assert on_call["user_ids"] == [ids["bob"]]

    # The page names the holder who can no longer answer the pages.
    page = admin.get(f"/rota/{schedule_id}", lang="en")
    assert 'data-testid="rota-unfit"' in page.text
    warning = page.text.split('data-testid="rota-unfit"')[1].split("</div>")[0]
    assert "Alice" in warning and "Counselor" in warning and "Bob" not in warning


def test_a_purpose_change_keeps_only_people_who_may_hold_it(api: Api) -> None:
    make_user(api.db, "admin", role=Role.admin)
    bob_id = make_user(api.db, "bob", role=Role.crisis).id
    admin = Client(api, "admin")
    admin.post("/api/rota/schedules", {"name": "Crisis A"})
    second = admin.post("/api/rota/schedules", {"name": "Crisis B"}).json()["id"]
    rotation = {
        "name": "days",
        "shift": "daily",
        "handoff_time": "09:00",
        "start_date": "2026-11-02",
        "member_ids": [bob_id],
    }
    assert admin.post(f"/api/rota/schedules/{second}/rotations", rotation).status_code == 201
    changed = admin.patch(f"/api/rota/schedules/{second}", {"purpose": "supervisor"})
    assert changed.status_code == 422 and changed.json()["code"] == "not_eligible"
    assert admin.get(f"/api/rota/schedules/{second}").json()["purpose"] == "crisis"
