"""The policies page (`/admin/policies`) over real HTTP, on both databases: create, edit and
delete with the lines that use a policy, every bad field shown next to it with nothing saved,
a policy that would page nobody refused (with who is missing), a step reaching nobody warned
about, the step buttons, who may do what, and every change in the audit log."""

from __future__ import annotations

import json
import re

from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.lines.models import Line
from tests.factories import make_line, make_rota, make_user
from tests.policies.helpers import admin, audit, empty_schedule, form, policies, signed_in
from tests.stack import Stack


def _line(stack: Stack, line_id: int) -> Line:
    with stack.db.session() as session:
        line = session.get(Line, line_id)
        assert line is not None
        session.expunge(line)
        return line


def _disable(stack: Stack, user: User) -> None:
    with stack.db.session() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.active = False


def test_create_list_edit_and_audit(app_only: Stack) -> None:
    line = make_line(app_only.db)
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    schedule = make_rota(app_only.db, "crisis", [zhao], name="Night crisis")
    http, token = admin(app_only)
    steps = [
        ([f"schedule:{schedule}"], ["sms", "voice"], "3"),
        (["supervisor_on_duty", f"user:{zhao.id}"], ["console"], "5"),
    ]
    made = http.post(
        "/admin/policies", data=form(token, "Night team", steps, line_ids=[line.id or 0])
    )
    assert made.status_code == 303, made.text[:800]
    (policy,) = policies(app_only)
    assert made.headers["location"] == f"/admin/policies/{policy.id}?done=created"
    assert policy.repeat == 2
    assert policy.steps == [
        {
            "targets": [{"kind": "schedule", "id": schedule}],
            "channels": ["sms", "voice"],
            "wait_minutes": 3,
        },
        {
            "targets": [{"kind": "supervisor_on_duty"}, {"kind": "user", "id": zhao.id}],
            "channels": ["console"],
            "wait_minutes": 5,
        },
    ]
    assert _line(app_only, line.id or 0).escalation_policy_id == policy.id

    listed = http.get("/admin/policies?lang=en").text
    assert 'data-name="Night team"' in listed
    assert "On call in schedule Night crisis" in listed and line.name in listed
    assert "Zhao (SMS, Voice call)" in listed  # who step 1 reaches now, and how
    shown = http.get(made.headers["location"] + "&lang=en").text
    assert "The policy was saved." in shown and 'data-testid="reach-warning"' not in shown

    steps[1] = ([f"user:{zhao.id}"], ["console", "sms"], "10")
    edited = http.post(f"/admin/policies/{policy.id}/edit", data=form(token, "Night team B", steps))
    assert edited.status_code == 303, edited.text[:800]
    (policy,) = policies(app_only)
    assert policy.name == "Night team B" and policy.steps[1]["wait_minutes"] == 10
    assert _line(app_only, line.id or 0).escalation_policy_id is None  # unticked: the default

    # In Chinese too: the list, the policy, its form, the drill confirmation.
    assert "执行 2 轮" in http.get("/admin/policies?lang=zh_CN").text
    assert "当前可呼叫到" in http.get(f"/admin/policies/{policy.id}").text
    edit = http.get(f"/admin/policies/{policy.id}/edit").text
    assert "进入下一步前等待" in edit and "上移第 2 步" in edit
    confirm = http.post(f"/admin/policies/{policy.id}/drill", data={"csrf_token": token}).text
    assert "消息会注明这是演练" in confirm

    created, changed = audit(app_only, "escalation_policy")
    assert created.username == "root" and created.detail is not None
    assert created.detail.startswith("created (admin page)")
    assert changed.detail is not None and changed.detail.startswith("edited (admin page): ")
    changes = json.loads(changed.detail.split(": ", 1)[1])
    assert changes["before"]["name"] == "Night team" and changes["after"]["name"] == "Night team B"
    assert changes["before"]["lines"] == [line.name] and changes["after"]["lines"] == []


def test_bad_fields_are_shown_next_to_them_and_nothing_is_saved(app_only: Stack) -> None:
    make_user(app_only.db, "alice", role=Role.counselor)
    with app_only.db.session() as session:
        alice = session.exec(select(User).where(User.username == "alice")).one()
    http, token = admin(app_only)
    bad = form(token, "", [([], [], "abc"), ([f"user:{alice.id}"], ["console"], "0")], repeat="0")
    answer = http.post("/admin/policies?lang=en", data=bad)
    assert answer.status_code == 422
    page = answer.text
    for field, text in [
        ("name", "Enter a name"),
        ("repeat", "1 to 10 times"),
        ("step-0-targets", "Choose who this step pages"),
        ("step-0-channels", "at least one way"),
        ("step-0-wait", "whole number of minutes"),
        ("step-1-targets", "a person of the crisis team"),  # a counselor cannot acknowledge
        ("step-1-wait", "whole number of minutes"),
    ]:
        found = re.search(rf'data-testid="error-{field}">([^<]*)<', page)
        assert found is not None and text in found.group(1), field
    assert 'value="0|user:' in page  # what was typed comes back
    assert policies(app_only) == []

    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    good = form(token, "Crisis", [([f"user:{zhao.id}"], ["sms"], "5")])
    assert http.post("/admin/policies", data=good).status_code == 303
    again = http.post("/admin/policies?lang=en", data=good)
    assert again.status_code == 422 and "already has this name" in again.text
    assert len(policies(app_only)) == 1
    assert audit(app_only, "escalation_policy")[-1].detail.startswith("created")  # type: ignore[union-attr]


def test_a_policy_that_pages_nobody_is_refused_with_who_is_missing(app_only: Stack) -> None:
    make_line(app_only.db)
    empty = empty_schedule(app_only, "Empty rota")
    li = make_user(app_only.db, "li", role=Role.crisis)
    _disable(app_only, li)
    wu = make_user(app_only.db, "wu", role=Role.crisis, endpoint="client:wu")
    http, token = admin(app_only)
    steps = [
        ([f"schedule:{empty}"], ["console", "sms"], "3"),
        ([f"user:{li.id}"], ["console"], "3"),
        ([f"user:{wu.id}"], ["sms", "voice"], "3"),  # no phone: SMS and voice cannot reach
    ]
    refused = http.post("/admin/policies?lang=en", data=form(token, "Nobody", steps))
    assert refused.status_code == 409
    assert "would page nobody right now" in refused.text
    assert "On call in schedule Empty rota: nobody is on call now." in refused.text
    assert "Li: the account is disabled." in refused.text
    assert "Wu: no phone number, so SMS and voice pages cannot reach them." in refused.text
    assert refused.text.count('data-nobody="true"') == 3
    assert policies(app_only) == [] and audit(app_only, "escalation_policy") == []

    # Someone reachable in one step: saved, and the empty steps are warned about.
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    steps.append(([f"user:{zhao.id}"], ["voice"], "3"))
    saved = http.post("/admin/policies?lang=en", data=form(token, "Some", steps))
    assert saved.status_code == 303, saved.text[:500]
    shown = http.get(saved.headers["location"] + "&lang=en").text
    assert 'data-testid="reach-warning"' in shown and "Some steps reach nobody now" in shown
    assert shown.count('data-nobody="true"') == 3 and "Zhao (Voice call)" in shown


def test_step_buttons_reorder_add_and_remove_without_saving(app_only: Stack) -> None:
    http, token = admin(app_only)
    steps = [(["crisis_on_call"], ["sms"], "3"), (["supervisor_on_duty"], ["voice"], "7")]
    moved = http.post("/admin/policies?lang=en", data=form(token, "X", steps, action="down-0"))
    assert moved.status_code == 200
    page = moved.text
    assert re.search(r'value="0\|supervisor_on_duty" checked', page)
    assert re.search(r'value="1\|crisis_on_call" checked', page)
    assert re.search(r'value="1\|sms" checked', page)
    assert 'data-testid="step-1-up" autofocus' in page  # the keyboard stays on the moved step
    added = http.post("/admin/policies?lang=en", data=form(token, "X", steps, action="add"))
    assert added.text.count('data-testid="step"') == 3
    removed = http.post("/admin/policies?lang=en", data=form(token, "X", steps, action="remove-0"))
    assert removed.text.count('data-testid="step"') == 1
    assert re.search(r'value="0\|supervisor_on_duty" checked', removed.text)
    assert policies(app_only) == []


def test_delete_is_refused_while_a_line_uses_it_and_confirmed(app_only: Stack) -> None:
    line = make_line(app_only.db)
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    http, token = admin(app_only)
    made = http.post(
        "/admin/policies",
        data=form(token, "Day", [([f"user:{zhao.id}"], ["sms"], "5")], line_ids=[line.id or 0]),
    )
    policy_id = policies(app_only)[0].id
    refused = http.post(f"/admin/policies/{policy_id}/delete?lang=en", data={"csrf_token": token})
    assert refused.status_code == 409 and f"Lines use this policy: {line.name}" in refused.text
    forced = http.post(
        f"/admin/policies/{policy_id}/delete", data={"csrf_token": token, "confirm": "1"}
    )
    assert forced.status_code == 409 and len(policies(app_only)) == 1  # the server checks too
    assert made.status_code == 303
    http.post(
        f"/admin/policies/{policy_id}/edit",
        data=form(token, "Day", [([f"user:{zhao.id}"], ["sms"], "5")]),
    )
    asked = http.post(f"/admin/policies/{policy_id}/delete?lang=en", data={"csrf_token": token})
    assert asked.status_code == 200 and 'data-action="delete"' in asked.text
    assert len(policies(app_only)) == 1  # nothing happens before the confirmation
    done = http.post(
        f"/admin/policies/{policy_id}/delete", data={"csrf_token": token, "confirm": "1"}
    )
    assert done.status_code == 303 and policies(app_only) == []
    deleted = audit(app_only, "escalation_policy")[-1]
    assert deleted.detail is not None and deleted.detail.startswith("deleted (admin page)")
    assert '"before":{"name":"Day"' in deleted.detail and '"after":null' in deleted.detail


def test_who_may_see_and_change_policies(app_only: Stack) -> None:
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    http, token = admin(app_only)
    http.post("/admin/policies", data=form(token, "Day", [([f"user:{zhao.id}"], ["sms"], "5")]))
    policy_id = policies(app_only)[0].id
    wang, wang_token = signed_in(app_only, "wang", Role.supervisor)
    assert wang.get("/admin/policies").status_code == 200
    shown = wang.get(f"/admin/policies/{policy_id}").text
    assert 'data-testid="btn-drill"' in shown and 'data-testid="btn-edit"' not in shown
    assert wang.get("/admin/policies/new").status_code == 403
    assert wang.get(f"/admin/policies/{policy_id}/edit").status_code == 403
    assert wang.post("/admin/policies", data=form(wang_token, "Mine", [])).status_code == 403
    assert (
        wang.post(
            f"/admin/policies/{policy_id}/delete", data={"csrf_token": wang_token}
        ).status_code
        == 403
    )
    alice, _token = signed_in(app_only, "alice", Role.counselor)
    assert alice.get("/admin/policies").status_code == 403
    assert alice.get("/console/drills").status_code == 403
    crisis, _crisis_token = signed_in(app_only, "zhao")
    assert crisis.get("/console/drills").status_code == 200
    assert crisis.get("/admin/policies/drills").status_code == 403
    assert len(policies(app_only)) == 1
