"""Editing schedules and rotations on pages over real HTTP: who may (admins, as the JSON API),
errors next to their fields, the members' order by buttons, deleting with confirmation and the
refusal naming the policies, the audit rows with before and after, and the gap warning."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.escalation.models import EscalationPolicy
from hotline.rota import service as rota
from hotline.rota.models import Rotation, Schedule, ShiftKind
from hotline.rota.schemas import RotationCreate, ScheduleCreate
from tests.factories import make_user
from tests.rota.conftest import Api, Client

SCHEDULE = {"name": "Nights", "purpose": "crisis", "timezone": "Asia/Shanghai", "description": ""}
ROTATION = {
    "name": "Days",
    "layer": "1",
    "shift": "daily",
    "shift_hours": "",
    "handoff_time": "09:00",
    "start_date": "2026-11-03",
    "active_from": "09:00",
    "active_until": "21:00",
}


def _form(client: Client, path: str, fields: dict[str, Any]) -> httpx.Response:
    return client.http.post(path, data={"csrf_token": client.token, **fields})


def _audit(api: Api, object_type: str) -> list[tuple[str | None, str | None]]:
    with api.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type)
            .order_by(col(AuditEvent.id))
        ).all()
        return [(row.object_id, row.detail) for row in rows]


def _changes(detail: str | None) -> dict[str, Any]:
    assert detail is not None and ": " in detail
    changes: dict[str, Any] = json.loads(detail.split(": ", 1)[1])
    return changes


def _people(api: Api) -> dict[str, int]:
    found = {}
    for name, role in [
        ("root", Role.admin),
        ("sue", Role.supervisor),
        ("alice", Role.crisis),
        ("bob", Role.crisis),
        ("cathy", Role.counselor),
    ]:
        user_id = make_user(api.db, name, role=role).id
        assert user_id is not None
        found[name] = user_id
    return found


def _schedule_id(api: Api, name: str) -> int:
    with api.db.session() as session:
        schedule = session.exec(select(Schedule).where(Schedule.name == name)).one()
        assert schedule.id is not None
        return schedule.id


def test_only_admins_edit_the_rota_as_in_the_json_api(api: Api) -> None:
    _people(api)
    root, sue, alice = Client(api, "root"), Client(api, "sue"), Client(api, "alice")
    assert root.get("/rota/schedules/new").status_code == 200
    for other in (sue, alice):
        assert other.get("/rota/schedules/new").status_code == 403
        assert _form(other, "/rota/schedules/new", SCHEDULE).status_code == 403
    anonymous = httpx.Client(base_url=api.url)
    assert anonymous.post("/rota/schedules/new", data=SCHEDULE).status_code == 401
    assert root.http.post("/rota/schedules/new", data=SCHEDULE).status_code == 403  # no CSRF
    with api.db.session() as session:
        assert rota.list_schedules(session=session) == []
    # The rota page offers the editor to admins only.
    assert _form(root, "/rota/schedules/new", SCHEDULE).status_code == 303
    schedule_id = _schedule_id(api, "Nights")
    assert 'data-testid="rota-edit"' in root.get(f"/rota/{schedule_id}").text
    assert 'data-testid="rota-edit"' not in sue.get(f"/rota/{schedule_id}").text
    assert sue.get(f"/rota/{schedule_id}/edit").status_code == 403


def test_a_schedule_is_created_and_edited_with_errors_next_to_fields(api: Api) -> None:
    _people(api)
    root = Client(api, "root")
    root.get("/rota", lang="zh_CN")
    empty = _form(root, "/rota/schedules/new", {**SCHEDULE, "name": " "})
    assert empty.status_code == 422
    assert 'data-testid="error-name">必填。</p>' in empty.text
    root.get("/rota", lang="en")
    zone = _form(root, "/rota/schedules/new", {**SCHEDULE, "timezone": "Mars/Olympus"})
    assert zone.status_code == 422
    assert 'data-testid="error-timezone">Choose a time zone such as Asia/Shanghai.</p>' in zone.text
    assert 'value="Mars/Olympus"' in zone.text and 'value="Nights"' in zone.text

    created = _form(root, "/rota/schedules/new", SCHEDULE)
    assert created.status_code == 303
    schedule_id = _schedule_id(api, "Nights")
    assert created.headers["location"] == f"/rota/{schedule_id}/edit?done=schedule_created"
    taken = _form(root, "/rota/schedules/new", SCHEDULE)
    assert 'data-testid="error-name">A schedule with this name already exists.</p>' in taken.text

    path = f"/rota/{schedule_id}/edit"
    renamed = _form(root, path, {**SCHEDULE, "name": "Night team", "description": "after 21:00"})
    assert renamed.status_code == 303
    bad = _form(root, path, {**SCHEDULE, "timezone": ""})
    assert bad.status_code == 422 and 'data-testid="error-timezone"' in bad.text
    with api.db.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        assert (schedule.name, schedule.description) == ("Night team", "after 21:00")

    rows = _audit(api, "schedule")
    assert [row[0] for row in rows] == [str(schedule_id)] * 2
    assert rows[0][1] is not None and rows[0][1].startswith("created (page)")
    assert _changes(rows[0][1])["after"]["name"] == "Nights"
    assert rows[1][1] is not None and rows[1][1].startswith("updated (page)")
    assert _changes(rows[1][1]) == {
        "before": {"name": "Nights", "description": ""},
        "after": {"name": "Night team", "description": "after 21:00"},
    }


def test_a_rotation_is_built_with_members_in_order_and_checked(api: Api) -> None:
    people = _people(api)
    root = Client(api, "root")
    assert _form(root, "/rota/schedules/new", SCHEDULE).status_code == 303
    schedule_id = _schedule_id(api, "Nights")
    path = f"/rota/{schedule_id}/rotations"
    new_page = root.get(f"/rota/{schedule_id}/rotations/new").text
    # Only active people who may hold crisis shifts are offered.
    assert f'<option value="{people["alice"]}">Alice</option>' in new_page
    assert f'<option value="{people["cathy"]}">' not in new_page

    # Adding and moving people posts the form back, unsaved, what was typed kept.
    added = _form(root, path, {**ROTATION, "op": "add", "add_member": people["alice"]})
    assert added.status_code == 200 and 'data-testid="rotation-unsaved"' in added.text
    assert 'value="Days"' in added.text
    two = [people["alice"], people["bob"]]
    moved = _form(root, path, {**ROTATION, "member_ids": two, "op": "up:1"})
    order = [
        int(chunk.split('"')[0]) for chunk in moved.text.split('name="member_ids" value="')[1:]
    ]
    assert order == [people["bob"], people["alice"]]
    assert 'value="down:0" class="btn btn-quiet btn-small" data-testid="member-down" autofocus' in (
        moved.text
    )
    removed = _form(root, path, {**ROTATION, "member_ids": two, "op": "remove:0"})
    assert removed.text.count('name="member_ids"') == 1
    with api.db.session() as session:
        assert rota.list_rotations(session=session, schedule_id=schedule_id) == []

    # Saving: each error next to its field.
    wrong = _form(
        root,
        path,
        {**ROTATION, "start_date": "", "active_until": "", "member_ids": [], "op": "save"},
    )
    assert wrong.status_code == 422
    assert 'data-testid="error-start_date">Required.</p>' in wrong.text
    assert 'data-testid="error-active_until">Give both the start' in wrong.text
    assert 'data-testid="error-member_ids">Add at least one person' in wrong.text
    counselor = _form(root, path, {**ROTATION, "member_ids": [people["cathy"]], "op": "save"})
    assert counselor.status_code == 422
    assert 'data-testid="error-member_ids">This person&#39;s role cannot hold' in counselor.text
    saved = _form(root, path, {**ROTATION, "member_ids": [people["bob"], people["alice"]]})
    assert saved.status_code == 303
    with api.db.session() as session:
        (rotation,) = rota.list_rotations(session=session, schedule_id=schedule_id)
        assert rotation.member_ids == [people["bob"], people["alice"]]
        assert (rotation.active_from, rotation.active_until) == ("09:00", "21:00")
        rotation_id = rotation.id

    # Editing: the whole form again; the audit row has the fields before and after.
    edit = root.get(f"/rota/rotations/{rotation_id}").text
    assert 'value="21:00"' in edit and f'name="member_ids" value="{people["bob"]}"' in edit
    changed = {**ROTATION, "handoff_time": "08:00", "active_from": "", "active_until": ""}
    both = [people["bob"], people["alice"]]
    done = _form(root, f"/rota/rotations/{rotation_id}", {**changed, "member_ids": both})
    assert done.status_code == 303
    rows = _audit(api, "rotation")
    assert rows[0][1] is not None and rows[0][1].startswith("created (page)")
    assert _changes(rows[0][1])["after"]["member_ids"] == both
    assert _changes(rows[1][1]) == {
        "before": {"handoff_time": "09:00", "active_from": "09:00", "active_until": "21:00"},
        "after": {"handoff_time": "08:00", "active_from": None, "active_until": None},
    }


def test_removing_a_rotation_asks_first_and_is_audited(api: Api) -> None:
    people = _people(api)
    root = Client(api, "root")
    with api.db.session() as session:
        schedule = rota.create_schedule(session=session, data=ScheduleCreate(name="Crisis"))
        assert schedule.id is not None
        rotation = rota.add_rotation(
            session=session,
            schedule_id=schedule.id,
            data=RotationCreate(
                name="Weeks",
                shift=ShiftKind.weekly,
                start_date=date(2026, 11, 2),
                member_ids=[people["alice"]],
            ),
        )
        rotation_id, schedule_id = rotation.id, schedule.id
    asked = _form(root, f"/rota/rotations/{rotation_id}/delete", {})
    assert asked.status_code == 200 and 'data-testid="confirm-form"' in asked.text
    assert "<title>Remove the rotation Weeks from Crisis?" in asked.text
    assert '<h1 id="confirm-title">Remove the rotation Weeks from Crisis?</h1>' in asked.text
    with api.db.session() as session:
        assert session.get(Rotation, rotation_id) is not None
    gone = _form(root, f"/rota/rotations/{rotation_id}/delete", {"confirm": "1"})
    assert gone.headers["location"] == f"/rota/{schedule_id}/edit?done=rotation_removed"
    with api.db.session() as session:
        assert session.get(Rotation, rotation_id) is None
    (row,) = _audit(api, "rotation")
    assert row[1] is not None and row[1].startswith("deleted (page)")
    assert _changes(row[1])["before"]["member_ids"] == [people["alice"]]


def test_deleting_a_schedule_a_policy_pages_is_refused_with_the_policy(api: Api) -> None:
    _people(api)
    root = Client(api, "root")
    for name in ("Crisis A", "Crisis B"):
        assert _form(root, "/rota/schedules/new", {**SCHEDULE, "name": name}).status_code == 303
    paged, spare = _schedule_id(api, "Crisis A"), _schedule_id(api, "Crisis B")
    with api.db.session() as session:
        steps = [{"targets": [{"kind": "schedule", "id": paged}], "channels": ["console"]}]
        session.add(EscalationPolicy(name="Night policy", steps=steps))

    page = root.get(f"/rota/{paged}/delete")
    assert page.status_code == 200
    assert 'data-testid="confirm-refused"' in page.text and "Night policy" in page.text
    assert 'data-testid="confirm-form"' not in page.text
    refused = _form(root, f"/rota/{paged}/delete", {"confirm": "1"})
    assert refused.status_code == 409 and "Night policy" in refused.text

    assert 'data-testid="confirm-form"' in root.get(f"/rota/{spare}/delete").text
    deleted = _form(root, f"/rota/{spare}/delete", {"confirm": "1"})
    assert deleted.headers["location"] == "/rota?done=schedule_deleted"
    # The last crisis schedule left cannot go either (the default policy pages it).
    with api.db.session() as session:
        session.delete(session.exec(select(EscalationPolicy)).one())
    last = _form(root, f"/rota/{paged}/delete", {"confirm": "1"})
    assert last.status_code == 409 and "only schedule of its kind" in last.text
    with api.db.session() as session:
        assert {s.id for s in rota.list_schedules(session=session)} == {paged}
    details = [detail or "" for _id, detail in _audit(api, "schedule")]
    assert [d.split(" (")[0] for d in details] == ["created", "created", "deleted"]
    assert _changes(details[2])["before"]["name"] == "Crisis B"


def test_the_rota_page_and_its_list_warn_of_gaps(api: Api) -> None:
    people = _people(api)
    root, alice = Client(api, "root"), Client(api, "alice")
    assert _form(root, "/rota/schedules/new", SCHEDULE).status_code == 303
    assert _form(root, "/rota/schedules/new", {**SCHEDULE, "name": "Days"}).status_code == 303
    schedule_id = _schedule_id(api, "Nights")
    # Today 2026-11-03 10:00 in Shanghai: 09:00-21:00 only, so every night is a gap.
    path = f"/rota/{schedule_id}/rotations"
    assert _form(root, path, {**ROTATION, "member_ids": [people["alice"]]}).status_code == 303
    page = alice.get(f"/rota/{schedule_id}").text
    assert page.count('data-testid="rota-gap"') == 14
    assert 'data-start="2026-11-03T13:00:00+00:00"' in page  # 21:00 local
    assert "Gaps: 14" in page and "Gaps: 1<" in page  # the list: the empty one is one gap
    edit = root.get(f"/rota/{schedule_id}/edit").text
    assert edit.count('data-testid="rota-gap"') == 14
    nights = {**ROTATION, "name": "Nights", "layer": "2", "active_from": "21:00"}
    nights["active_until"] = "09:00"
    assert _form(root, path, {**nights, "member_ids": [people["bob"]]}).status_code == 303
    covered = alice.get(f"/rota/{schedule_id}").text
    assert 'data-testid="rota-gap"' not in covered and 'data-testid="rota-no-gaps"' in covered


def test_rotations_are_reordered_by_layer_with_buttons(api: Api) -> None:
    people = _people(api)
    root = Client(api, "root")
    assert _form(root, "/rota/schedules/new", SCHEDULE).status_code == 303
    schedule_id = _schedule_id(api, "Nights")
    path = f"/rota/{schedule_id}/rotations"
    for name, layer in [("Base", "1"), ("Extra", "1"), ("Top", "3")]:
        fields = {**ROTATION, "name": name, "layer": layer, "member_ids": [people["alice"]]}
        assert _form(root, path, fields).status_code == 303
    with api.db.session() as session:
        ids = {r.name: r.id for r in rota.list_rotations(session=session, schedule_id=schedule_id)}

    def layers() -> dict[str, int]:
        with api.db.session() as session:
            found = rota.list_rotations(session=session, schedule_id=schedule_id)
            return {r.name: r.layer for r in found}

    # Extra shares layer 1 with Base, shown after it: up goes one layer past it.
    moved = _form(root, f"/rota/rotations/{ids['Extra']}/move", {"direction": "up"})
    assert moved.status_code == 303
    assert moved.headers["location"].startswith(f"/rota/{schedule_id}/edit?done=rotation_moved")
    assert layers() == {"Base": 1, "Extra": 2, "Top": 3}
    # Up again: it trades layers with Top; at the top, up changes nothing.
    _form(root, f"/rota/rotations/{ids['Extra']}/move", {"direction": "up"})
    assert layers() == {"Base": 1, "Extra": 3, "Top": 2}
    _form(root, f"/rota/rotations/{ids['Extra']}/move", {"direction": "up"})
    assert layers() == {"Base": 1, "Extra": 3, "Top": 2}
    page = root.http.get(
        f"/rota/{schedule_id}/edit",
        params={"done": "rotation_moved", "moved": f"{ids['Extra']}:up"},
    ).text
    assert page.index(">Extra<") < page.index(">Top<") < page.index(">Base<")
    focused = 'value="down" class="btn btn-quiet btn-small" data-testid="layer-down" autofocus'
    assert focused in page  # Extra is first: its up button is off, the focus goes to down
    sue = Client(api, "sue")
    refused = _form(sue, f"/rota/rotations/{ids['Extra']}/move", {"direction": "down"})
    assert refused.status_code == 403 and layers()["Extra"] == 3
    moves = [_changes(d) for _id, d in _audit(api, "rotation") if "updated" in (d or "")]
    assert moves[0] == {"before": {"layer": 1}, "after": {"layer": 2}}
    assert {"before": {"layer": 3}, "after": {"layer": 2}} in moves
