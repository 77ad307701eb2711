"""The rota page's forms over real HTTP: who may post them, CSRF, errors next to their fields in
Chinese and English, and the audit rows they leave."""

from __future__ import annotations

from datetime import date

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.rota import service as rota
from hotline.rota.models import ScheduleOverride, ShiftKind, SwapRequest, SwapStatus
from hotline.rota.schemas import RotationCreate, ScheduleCreate
from tests.factories import make_user
from tests.rota.conftest import Api, Client


def _schedule(api: Api, members: list[int]) -> int:
    with api.db.session() as session:
        schedule = rota.create_schedule(session=session, data=ScheduleCreate(name="Crisis team"))
        assert schedule.id is not None
        rota.add_rotation(
            session=session,
            schedule_id=schedule.id,
            data=RotationCreate(
                name="days",
                shift=ShiftKind.daily,
                start_date=date(2026, 11, 2),
                member_ids=members,
            ),
        )
        return schedule.id


def _form(client: Client, path: str, fields: dict[str, str]) -> httpx.Response:
    return client.http.post(path, data={"csrf_token": client.token, **fields})


def test_override_form_errors_roles_and_audit(api: Api) -> None:
    alice = make_user(api.db, "alice", role=Role.crisis).id
    bob = make_user(api.db, "bob", role=Role.crisis).id
    carol = make_user(api.db, "carol", role=Role.crisis).id
    make_user(api.db, "sue", role=Role.supervisor)
    assert alice and bob and carol
    schedule_id = _schedule(api, [alice, bob])
    sue, worker = Client(api, "sue"), Client(api, "alice")
    path = f"/rota/{schedule_id}/overrides"
    good = {
        "kind": "replace",
        "user_id": str(carol),
        "replaced_user_id": str(bob),
        "start_at": "2026-11-03T12:00",
        "end_at": "2026-11-03T14:00",
        "reason": "clinic",
    }

    page = sue.get(f"/rota/{schedule_id}", lang="en").text
    assert 'data-testid="override-form"' in page and 'data-testid="swap-form"' in page
    assert 'href="/static/rota.css"' in page
    crisis_page = worker.get(f"/rota/{schedule_id}").text
    assert 'data-testid="override-form"' not in crisis_page  # crisis workers can't override
    assert _form(worker, path, good).status_code == 403
    assert sue.http.post(path, data=good).status_code == 403  # no CSRF token

    # Chinese: each error next to its field, what was typed kept.
    sue.get(f"/rota/{schedule_id}", lang="zh_CN")
    wrong = _form(sue, path, {**good, "user_id": "", "end_at": "2026-11-03T11:00"})
    assert wrong.status_code == 422
    assert 'data-testid="error-override-user_id">必填。</p>' in wrong.text
    assert 'data-testid="error-override-end_at">结束时间必须晚于开始时间。</p>' in wrong.text
    assert 'value="2026-11-03T12:00"' in wrong.text and 'value="clinic"' in wrong.text
    sue.get(f"/rota/{schedule_id}", lang="en")
    unreadable = _form(sue, path, {**good, "start_at": "tomorrow"})
    assert 'data-testid="error-override-start_at">Enter a date and time.</p>' in unreadable.text
    over = _form(sue, path, {**good, "start_at": "2026-11-01T12:00", "end_at": "2026-11-02T12:00"})
    assert 'data-testid="error-override-end_at">This time is already over.</p>' in over.text

    saved = _form(sue, path, good)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/rota/{schedule_id}?done=override_added#overrides"
    with api.db.session() as session:
        override = session.exec(select(ScheduleOverride)).one()
        assert (override.user_id, override.replaced_user_id) == (carol, bob)
        assert override.start_at.isoformat() == "2026-11-03T04:00:00+00:00"  # 12:00 in Shanghai
    after = sue.get(f"/rota/{schedule_id}", done="override_added").text
    assert "The override is saved." in after
    assert f'data-user="{carol}" data-source="override"' in after

    cancel = f"/rota/overrides/{override.id}/cancel"
    assert _form(worker, cancel, {}).status_code == 403
    assert _form(sue, cancel, {}).status_code == 303
    with api.db.session() as session:
        assert session.exec(select(ScheduleOverride)).all() == []  # it had not begun
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == "override")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(r.action.value, (r.detail or "").split(";")[0]) for r in rows] == [
        ("edit", "created"),
        ("edit", "deleted"),
    ]


def test_swap_forms(api: Api) -> None:
    alice = make_user(api.db, "alice", role=Role.crisis).id
    bob = make_user(api.db, "bob", role=Role.crisis).id
    make_user(api.db, "carl")  # a counselor
    assert alice and bob
    schedule_id = _schedule(api, [alice, bob])
    bob_client, alice_client = Client(api, "bob"), Client(api, "alice")
    counselor = Client(api, "carl")
    path = f"/rota/{schedule_id}/swaps"
    shift = "2026-11-03T02:00:00+00:00/2026-11-04T01:00:00+00:00"  # bob's, now to 09:00

    page = bob_client.get(f"/rota/{schedule_id}", lang="en").text
    assert f'<option value="{shift}">' in page
    assert 'data-testid="swap-form"' not in counselor.get(f"/rota/{schedule_id}").text
    assert _form(counselor, path, {"shift": shift, "counterpart_id": str(alice)}).status_code == 403
    assert bob_client.http.post(path, data={"shift": shift}).status_code == 403  # no CSRF

    empty = _form(bob_client, path, {})
    assert empty.status_code == 422
    assert 'data-testid="error-swap-shift">Required.</p>' in empty.text
    assert 'data-testid="error-swap-counterpart_id">Required.</p>' in empty.text
    not_mine = "2026-11-04T01:00:00+00:00/2026-11-05T01:00:00+00:00"  # alice's day
    refused = _form(bob_client, path, {"shift": not_mine, "counterpart_id": str(alice)})
    assert "You are not on call in this schedule during that time." in refused.text
    sent = _form(bob_client, path, {"shift": shift, "counterpart_id": str(alice)})
    assert sent.status_code == 303
    with api.db.session() as session:
        swap = session.exec(select(SwapRequest)).one()
    assert 'data-testid="swap-accept"' in alice_client.get(f"/rota/{schedule_id}").text

    answer = f"/rota/swaps/{swap.id}/accept"
    wrong_person = _form(bob_client, answer, {})
    assert wrong_person.status_code == 403
    assert "Only the person asked can answer this swap request." in wrong_person.text
    assert _form(alice_client, f"/rota/swaps/{swap.id}/shrug", {}).status_code == 404
    assert _form(alice_client, answer, {}).status_code == 303
    with api.db.session() as session:
        stored = session.get(SwapRequest, swap.id)
        assert stored is not None and stored.status == SwapStatus.accepted
    assert rota_on_call(api, schedule_id) == [alice]
    again = _form(alice_client, answer, {})
    assert "This swap request has already been answered." in again.text


def rota_on_call(api: Api, schedule_id: int) -> list[int]:
    with api.db.session() as session:
        return rota.on_call(session=session, schedule_id=schedule_id, at=api.clock.now())
