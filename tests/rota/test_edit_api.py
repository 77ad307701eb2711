"""Editing the rota over real HTTP (SQLite and PostgreSQL): who may, what is refused, what the
rota answers afterwards, and the audit row every change leaves."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.escalation.models import EscalationPolicy
from hotline.rota.models import ScheduleOverride, SwapRequest
from tests.factories import make_line, make_user
from tests.rota.conftest import Api, Client


def _people(api: Api) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, role in (
        ("admin", Role.admin),
        ("alice", Role.crisis),
        ("bob", Role.crisis),
        ("carol", Role.crisis),
        ("sue", Role.supervisor),
    ):
        user_id = make_user(api.db, name, role=role).id
        assert user_id is not None
        ids[name] = user_id
    return ids


def _audit(api: Api, object_type: str) -> list[tuple[str, str | None, int | None, str]]:
    with api.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type)
            .order_by(col(AuditEvent.id))
        ).all()
        return [(r.action.value, r.object_id, r.user_id, r.detail or "") for r in rows]


def _on_call(client: Client, schedule_id: int, at: str | None = None) -> list[int]:
    params = {"at": at} if at else {}
    found = client.get(f"/api/rota/schedules/{schedule_id}/oncall", **params)
    assert found.status_code == 200, found.text
    user_ids: list[int] = found.json()["user_ids"]
    return user_ids


def _rotation(members: list[int], **fields: Any) -> dict[str, Any]:
    return {
        "name": "days",
        "shift": "daily",
        "handoff_time": "09:00",
        "start_date": "2026-11-02",
        "member_ids": members,
        **fields,
    }


def test_admin_edits_and_deletes_a_rotation(api: Api) -> None:
    ids = _people(api)
    admin, sue, alice = Client(api, "admin"), Client(api, "sue"), Client(api, "alice")
    schedule_id = admin.post("/api/rota/schedules", {"name": "Crisis team"}).json()["id"]
    made = admin.post(
        f"/api/rota/schedules/{schedule_id}/rotations", _rotation([ids["alice"], ids["bob"]])
    )
    rotation_id = made.json()["id"]
    path = f"/api/rota/rotations/{rotation_id}"
    # 10:00 on 3 November in Shanghai: shift 1 of [alice, bob] is bob's.
    assert _on_call(alice, schedule_id) == [ids["bob"]]

    swapped = {"member_ids": [ids["bob"], ids["alice"]]}
    assert admin.patch(path, swapped, csrf=False).status_code == 403
    assert sue.patch(path, swapped).status_code == 403  # supervisors don't edit rotations
    assert alice.patch(path, swapped).status_code == 403
    assert _on_call(alice, schedule_id) == [ids["bob"]]

    changed = admin.patch(path, swapped)
    assert changed.status_code == 200 and changed.json()["member_ids"] == swapped["member_ids"]
    assert _on_call(alice, schedule_id) == [ids["alice"]]
    # The rota answers from the current definition, for the past too (documented).
    assert _on_call(alice, schedule_id, "2026-11-02T09:00:00+08:00") == [ids["bob"]]

    # Checked as a whole, like a new rotation; nothing changes when it is refused.
    custom = admin.patch(path, {"shift": "custom"})
    assert custom.status_code == 422
    assert custom.json()["errors"] == {"shift_hours": "Required."}
    half = admin.patch(path, {"active_from": "20:00"})
    assert half.json()["errors"] == {
        "active_until": "Give both the start and the end of the daily window."
    }
    stranger = admin.patch(path, {"member_ids": [ids["alice"], 9999]})
    assert stranger.status_code == 422
    assert stranger.json()["errors"] == {"member_ids": "Choose people who have an active account."}
    assert admin.patch(path, {"colour": "red"}).json()["errors"] == {"colour": "Unknown field."}
    assert admin.patch(path, {"member_ids": []}).json()["errors"] == {
        "member_ids": "Add at least one person to the rotation."
    }
    assert admin.patch("/api/rota/rotations/999", swapped).status_code == 404

    # A later hand-off and a night-only window, then a layer above it with carol.
    night = admin.patch(
        path,
        {
            "shift": "custom",
            "shift_hours": 12,
            "handoff_time": "08:00",
            "active_from": "20:00",
            "active_until": "08:00",
        },
    )
    assert night.status_code == 200, night.text
    assert _on_call(alice, schedule_id) == []  # 10:00 is outside the window
    assert _on_call(alice, schedule_id, "2026-11-03T21:00:00+08:00") != []
    cleared = admin.patch(path, {"active_from": None, "active_until": None, "shift": "daily"})
    assert cleared.json()["active_from"] is None and cleared.json()["shift_hours"] is None
    other = admin.post(
        f"/api/rota/schedules/{schedule_id}/rotations",
        _rotation([ids["carol"]], name="cover", layer=1),
    ).json()
    # Hand-off now at 08:00: 10:00 on the 3rd is still shift 1, alice's in [bob, alice].
    assert _on_call(alice, schedule_id) == [ids["alice"], ids["carol"]]  # same layer: both
    assert admin.patch(f"/api/rota/rotations/{other['id']}", {"layer": 2}).status_code == 200
    assert _on_call(alice, schedule_id) == [ids["carol"]]  # the higher layer wins

    assert sue.delete(f"/api/rota/rotations/{other['id']}").status_code == 403
    assert admin.delete(f"/api/rota/rotations/{other['id']}", csrf=False).status_code == 403
    assert admin.delete(f"/api/rota/rotations/{other['id']}").status_code == 204
    assert admin.delete(f"/api/rota/rotations/{other['id']}").status_code == 404
    assert _on_call(alice, schedule_id) == [ids["alice"]]

    audit = _audit(api, "rotation")
    assert [(action, object_id) for action, object_id, _u, _d in audit] == [
        ("edit", str(rotation_id)),
        ("edit", str(rotation_id)),
        ("edit", str(rotation_id)),
        ("edit", str(rotation_id)),
        ("edit", str(other["id"])),
        ("edit", str(other["id"])),
        ("edit", str(other["id"])),
    ]
    assert all(user_id == ids["admin"] for _a, _o, user_id, _d in audit)
    details = [detail for *_rest, detail in audit]
    assert details[0].startswith("created")
    assert details[1] == f"updated; member_ids: [{ids['alice']}, {ids['bob']}] -> " + (
        f"[{ids['bob']}, {ids['alice']}]"
    )
    assert "shift_hours: None -> 12" in details[2] and "active_from: None -> 20:00" in details[2]
    assert details[5] == "updated; layer: 1 -> 2"
    assert details[6].startswith("deleted from schedule")


def test_schedules_in_use_are_not_deleted(api: Api) -> None:
    ids = _people(api)
    admin, sue = Client(api, "admin"), Client(api, "sue")
    first = admin.post("/api/rota/schedules", {"name": "Crisis team"}).json()["id"]
    rotation = admin.post(
        f"/api/rota/schedules/{first}/rotations", _rotation([ids["alice"], ids["bob"]])
    ).json()
    second = admin.post("/api/rota/schedules", {"name": "Backup"}).json()["id"]
    with api.db.session() as session:
        policy = EscalationPolicy(
            name="Night policy",
            steps=[
                {"targets": [{"kind": "user", "id": ids["sue"]}], "wait_minutes": 3},
                {"targets": [{"kind": "schedule", "id": first}], "wait_minutes": 3},
            ],
        )
        session.add(policy)
        session.flush()
        policy_id = policy.id
    make_line(api.db, number="+8657796525", escalation_policy_id=policy_id)

    path = f"/api/rota/schedules/{first}"
    assert sue.patch(path, {"description": "x"}).status_code == 403
    assert admin.patch(path, {"description": "x"}, csrf=False).status_code == 403
    renamed = admin.patch(path, {"name": " Night team ", "description": "Nights"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Night team" and renamed.json()["timezone"] == "Asia/Shanghai"
    taken = admin.patch(path, {"name": "Backup"})
    assert taken.status_code == 409 and taken.json()["errors"] == {
        "name": "A schedule with this name already exists."
    }
    zone = admin.patch(path, {"timezone": "Mars/Olympus"})
    assert zone.json()["errors"] == {"timezone": "Choose a time zone such as Asia/Shanghai."}

    assert sue.delete(path).status_code == 403
    assert admin.delete(path, csrf=False).status_code == 403
    refused = admin.delete(path)
    assert refused.status_code == 409 and refused.json()["code"] == "schedule_in_use"
    assert "Night policy (Line +8657796525)" in refused.json()["detail"]
    moved = admin.patch(path, {"purpose": "supervisor"})  # would leave the policy's step empty
    assert moved.status_code == 409 and moved.json()["code"] == "schedule_in_use"
    assert admin.get(path).status_code == 200
    assert _on_call(admin, first) == [ids["bob"]]

    # An override and a swap that belong to the schedule go with it.
    admin.post(
        f"{path}/overrides",
        {
            "kind": "add",
            "user_id": ids["carol"],
            "start_at": "2026-11-04T09:00:00+08:00",
            "end_at": "2026-11-04T10:00:00+08:00",
        },
    )
    bob = Client(api, "bob")
    asked = bob.post(
        "/api/rota/swaps",
        {
            "schedule_id": first,
            "counterpart_id": ids["alice"],
            "start_at": "2026-11-03T18:00:00+08:00",
            "end_at": "2026-11-03T20:00:00+08:00",
        },
    )
    assert asked.status_code == 201
    with api.db.session() as session:
        stored = session.get(EscalationPolicy, policy_id)
        assert stored is not None
        stored.steps = [stored.steps[0]]
        session.add(stored)
    deleted = admin.delete(path)
    assert deleted.status_code == 204, deleted.text
    assert admin.get(path).status_code == 404
    assert admin.get(f"/api/rota/schedules/{second}").status_code == 200
    with api.db.session() as session:
        assert session.exec(select(ScheduleOverride)).all() == []
        assert session.exec(select(SwapRequest)).all() == []
    assert admin.patch(f"/api/rota/rotations/{rotation['id']}", {"layer": 3}).status_code == 404

    # The last crisis schedule is what the default policy pages: it stays.
    last = admin.delete(f"/api/rota/schedules/{second}")
    assert last.status_code == 409 and last.json()["code"] == "last_schedule"
    moved = admin.patch(f"/api/rota/schedules/{second}", {"purpose": "supervisor"})
    assert moved.status_code == 409 and moved.json()["code"] == "last_schedule"

    audit = _audit(api, "schedule")
    assert [(a, o, detail.split(";")[0]) for a, o, _u, detail in audit] == [
        ("edit", str(first), "created"),
        ("edit", str(second), "created"),
        ("edit", str(first), "updated"),
        ("edit", str(first), "deleted"),
    ]
    assert "name: Crisis team -> Night team" in audit[2][3]
    assert "description:  -> Nights" in audit[2][3]


def test_overrides_are_cancelled_without_rewriting_the_past(api: Api) -> None:
    ids = _people(api)
    admin, sue, alice, bob = (Client(api, n) for n in ("admin", "sue", "alice", "bob"))
    schedule_id = admin.post("/api/rota/schedules", {"name": "Crisis team"}).json()["id"]
    admin.post(
        f"/api/rota/schedules/{schedule_id}/rotations", _rotation([ids["alice"], ids["bob"]])
    )
    path = f"/api/rota/schedules/{schedule_id}/overrides"
    under_way = sue.post(  # carol covers bob from 09:30 to 11:00; it is 10:00
        path,
        {
            "kind": "replace",
            "user_id": ids["carol"],
            "replaced_user_id": ids["bob"],
            "start_at": "2026-11-03T09:30:00+08:00",
            "end_at": "2026-11-03T11:00:00+08:00",
        },
    ).json()
    later = sue.post(
        path,
        {
            "kind": "add",
            "user_id": ids["carol"],
            "start_at": "2026-11-04T12:00:00+08:00",
            "end_at": "2026-11-04T13:00:00+08:00",
        },
    ).json()
    assert _on_call(alice, schedule_id) == [ids["carol"]]

    assert alice.delete(f"/api/rota/overrides/{later['id']}").status_code == 403
    assert sue.delete(f"/api/rota/overrides/{later['id']}", csrf=False).status_code == 403
    assert sue.delete("/api/rota/overrides/999").status_code == 404

    ended = sue.delete(f"/api/rota/overrides/{under_way['id']}")
    assert ended.status_code == 200
    assert ended.json()["deleted"] is False
    assert ended.json()["override"]["end_at"] == "2026-11-03T02:00:00Z"  # now
    assert _on_call(alice, schedule_id) == [ids["bob"]]
    # What happened before the cancellation stays as it was.
    assert _on_call(alice, schedule_id, "2026-11-03T09:45:00+08:00") == [ids["carol"]]
    over = sue.delete(f"/api/rota/overrides/{under_way['id']}")
    assert over.status_code == 409 and over.json()["detail"] == "This time is already over."

    gone = admin.delete(f"/api/rota/overrides/{later['id']}")
    assert gone.status_code == 200 and gone.json() == {"deleted": True, "override": None}
    assert _on_call(alice, schedule_id, "2026-11-04T12:30:00+08:00") == [ids["alice"]]

    # Cancelling the override an accepted swap made cancels the swap too.
    swap = bob.post(
        "/api/rota/swaps",
        {
            "schedule_id": schedule_id,
            "counterpart_id": ids["alice"],
            "start_at": "2026-11-03T18:00:00+08:00",
            "end_at": "2026-11-03T20:00:00+08:00",
        },
    ).json()
    accepted = alice.post(f"/api/rota/swaps/{swap['id']}/answer", {"accept": True}).json()
    assert _on_call(alice, schedule_id, "2026-11-03T19:00:00+08:00") == [ids["alice"]]
    assert sue.delete(f"/api/rota/overrides/{accepted['override_id']}").status_code == 200
    assert _on_call(alice, schedule_id, "2026-11-03T19:00:00+08:00") == [ids["bob"]]
    mine = {s["id"]: s for s in bob.get("/api/rota/swaps").json()["data"]}
    assert mine[swap["id"]]["status"] == "cancelled" and mine[swap["id"]]["override_id"] is None

    audit = _audit(api, "override")
    assert [(detail.split(";")[0], user_id) for _a, _o, user_id, detail in audit] == [
        ("created", ids["sue"]),
        ("created", ids["sue"]),
        ("ended early", ids["sue"]),
        ("deleted", ids["admin"]),
        ("deleted", ids["sue"]),
    ]
    assert all(action == AuditAction.edit.value for action, *_rest in audit)
    swaps = _audit(api, "swap")
    assert [detail.split(";")[0] for *_rest, detail in swaps] == ["requested", "accepted"]
