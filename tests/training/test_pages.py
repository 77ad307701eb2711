"""The training pages over real HTTP, on both databases: bad input is a 422 with the reason next
to the field and nothing saved; a session with attendance credits hours on the person's record;
a line's requirement nobody meets asks for confirmation; a counselor signs the year's statement
and the People list shows who has not."""

from __future__ import annotations

import httpx
from sqlmodel import select

from hotline.auth.models import Role
from hotline.simulator.console_client import csrf_from
from hotline.training.models import Course, LineQualification, TrainingSession
from tests.factories import PASSWORD, make_line, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack


def _signed_in(stack: Stack, username: str, role: Role, page: str) -> tuple[httpx.Client, str]:
    make_user(stack.db, username, role=role)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http, csrf_from(http.get(page).text)


def test_sessions_attendance_and_bad_input(app_only: Stack) -> None:
    alice = make_user(app_only.db, "alice")
    bob = make_user(app_only.db, "bob")
    http, token = _signed_in(app_only, "wang", Role.supervisor, "/admin/training?lang=en")
    bad = http.post(
        "/admin/training/courses",
        data={"csrf_token": token, "name": "", "kind": "crisis", "course_hours": "lots"},
    )
    assert bad.status_code == 422
    assert 'data-testid="error-name"' in bad.text and 'data-testid="error-hours"' in bad.text
    with app_only.db.session() as session:
        assert session.exec(select(Course)).all() == []
    made = http.post(
        "/admin/training/courses",
        data={"csrf_token": token, "name": "Ethics", "kind": "ethics", "course_hours": "2"},
    )
    assert made.status_code == 303
    with app_only.db.session() as session:
        course_id = session.exec(select(Course.id)).one()
    form = {
        "csrf_token": token,
        "course_id": str(course_id),
        "held_on": "2026-12-01",
        "session_hours": "nope",
        "trainer": "",
        "person": [str(alice.id), str(bob.id)],
        "present": [str(alice.id)],
        "credited": ["1.5", ""],
    }
    refused = http.post("/admin/training/sessions", data=form)
    assert refused.status_code == 422
    assert 'data-testid="error-session_hours"' in refused.text
    assert 'data-testid="error-trainer"' in refused.text
    with app_only.db.session() as session:
        assert session.exec(select(TrainingSession)).all() == []
    recorded = http.post(
        "/admin/training/sessions", data=form | {"session_hours": "2", "trainer": "Dr. Wang"}
    )
    assert recorded.status_code == 303
    record = http.get(f"/admin/training/people/{alice.id}?lang=en")
    assert "Training hours credited: 1.5" in record.text
    assert "Training hours credited: 0" in http.get(f"/admin/training/people/{bob.id}").text


def test_a_requirement_nobody_meets_asks_for_confirmation(app_only: Stack) -> None:
    line = make_line(app_only.db)
    make_user(app_only.db, "alice")
    http, token = _signed_in(app_only, "root", Role.admin, "/admin/training?lang=en")
    http.post(
        "/admin/training/qualifications",
        data={"csrf_token": token, "qualification_name": "crisis intervention"},
    )
    page = http.get(f"/admin/lines/{line.id}")
    assert "crisis intervention" in page.text
    data = {"csrf_token": token, "required_qualifications": "1"}
    refused = http.post(f"/admin/lines/{line.id}/qualifications", data=data)
    assert refused.status_code == 409
    assert 'data-testid="required-confirm"' in refused.text
    with app_only.db.session() as session:
        assert session.exec(select(LineQualification)).all() == []
    saved = http.post(f"/admin/lines/{line.id}/qualifications", data=data | {"confirm": "1"})
    assert saved.status_code == 303
    with app_only.db.session() as session:
        assert len(session.exec(select(LineQualification)).all()) == 1


def test_a_counselor_signs_the_statement_and_the_people_list_shows_it(app_only: Stack) -> None:
    admin, _admin_token = _signed_in(app_only, "root", Role.admin, "/admin/users?lang=en")
    counselor, token = _signed_in(app_only, "alice", Role.counselor, "/console/training?lang=en")
    row = 'data-username="alice"'
    people = admin.get("/admin/users").text
    assert "Not signed" in people.split(row, 1)[1].split("</tr>", 1)[0]
    page = counselor.get("/console/training")
    assert 'data-testid="btn-sign-ethics"' in page.text
    assert counselor.post("/console/training/ethics", data={"csrf_token": token}).status_code == 303
    assert 'data-testid="btn-sign-ethics"' not in counselor.get("/console/training").text
    people = admin.get("/admin/users").text
    assert "Not signed" not in people.split(row, 1)[1].split("</tr>", 1)[0]
