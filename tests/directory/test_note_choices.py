"""The note's population groups and interventions are tables admins keep on `/admin/taxonomy`,
over real HTTP on both databases: seeded with the codes notes already use, added, renamed,
reordered and retired (never deleted), bad input next to the field with nothing saved, every
change audited with before and after; the note's form offers the active ones in the reader's
language, a note can newly pick only an active one, a draft keeps one retired since, and the
statistics count and label them from the table."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from hotline.notes.models import ChoiceKind, NoteChoice
from hotline.stats.metrics import Scope
from hotline.stats.report import build_rows
from tests.directory.test_pages import _admin, _audit, _changes, _options
from tests.notes.test_api import COMPLETE_SCREEN, category_id, start
from tests.stack import Stack

VETERAN = {"code": "veteran", "label_zh": "退役军人", "label_en": "Veteran", "sort": "5"}


def _choice(stack: Stack, kind: ChoiceKind, code: str) -> NoteChoice:
    with stack.db.session() as session:
        found = session.exec(
            select(NoteChoice).where(NoteChoice.kind == kind, NoteChoice.code == code)
        ).one()
        session.expunge(found)
        return found


def test_the_migration_seeds_the_codes_notes_already_use(app_only: Stack) -> None:
    with app_only.db.session() as session:
        groups = [
            (c.code, c.label_en, c.label_zh, c.active)
            for c in session.exec(
                select(NoteChoice)
                .where(NoteChoice.kind == ChoiceKind.population_group)
                .order_by(NoteChoice.sort)  # type: ignore[arg-type]
            )
        ]
        interventions = {
            c.code
            for c in session.exec(
                select(NoteChoice).where(NoteChoice.kind == ChoiceKind.intervention)
            )
        }
    assert groups[0] == ("student", "Student", "学生", True)
    assert [g[0] for g in groups][-1] == "other" and len(groups) == 9
    assert {"active_listening", "safety_planning", "emergency_services"} <= interventions
    assert len(interventions) == 8


def test_a_population_group_is_added_renamed_reordered_and_retired(app_only: Stack) -> None:
    http, token = _admin(app_only)
    made = http.post("/admin/note-choices/population_group", data={**VETERAN, "csrf_token": token})
    assert made.status_code == 303
    veteran = _choice(app_only, ChoiceKind.population_group, "veteran")
    assert (
        made.headers["location"]
        == f"/admin/note-choices/population_group/{veteran.id}?done=created"
    )
    page = http.get("/admin/taxonomy?lang=en").text
    assert 'data-code="veteran"' in page and "Veteran" in page

    # Offered first (order 5) in the note's form, in the reader's language.
    en = _options(app_only, "root", "en")["population_groups"]
    assert en[0] == {"code": "veteran", "label": "Veteran"}  # type: ignore[index]
    zh = _options(app_only, "root", "zh_CN")["population_groups"]
    assert zh[0] == {"code": "veteran", "label": "退役军人"}  # type: ignore[index]

    renamed = http.post(
        f"/admin/note-choices/population_group/{veteran.id}",
        data={
            "label_zh": "退役军人及家属",
            "label_en": "Veteran or family",
            "sort": "95",
            "csrf_token": token,
        },
    )
    assert renamed.status_code == 303
    again = _choice(app_only, ChoiceKind.population_group, "veteran")
    assert (again.label_en, again.sort, again.code) == ("Veteran or family", 95, "veteran")

    retired = http.post(
        f"/admin/note-choices/population_group/{veteran.id}/deactivate",
        data={"csrf_token": token},
    )
    assert retired.status_code == 303
    assert not _choice(app_only, ChoiceKind.population_group, "veteran").active
    codes = [c["code"] for c in _options(app_only, "root", "en")["population_groups"]]  # type: ignore[attr-defined]
    assert "veteran" not in codes and "student" in codes
    back = http.post(
        f"/admin/note-choices/population_group/{veteran.id}/activate", data={"csrf_token": token}
    )
    assert (
        back.status_code == 303 and _choice(app_only, ChoiceKind.population_group, "veteran").active
    )

    # An intervention is not a population group: the kind in the address must match.
    assert http.get(f"/admin/note-choices/intervention/{veteran.id}").status_code == 404
    assert http.get("/admin/note-choices/astronaut/new").status_code == 404

    rows = _audit(app_only, "note_choice")
    assert [r.detail.split(" (")[0] for r in rows if r.detail] == [
        "created",
        "edited",
        "deactivated",
        "activated",
    ]
    assert _changes(rows[1]) == {
        "before": {"label_zh": "退役军人", "label_en": "Veteran", "sort": 5},
        "after": {"label_zh": "退役军人及家属", "label_en": "Veteran or family", "sort": 95},
    }
    assert _changes(rows[2]) == {"before": {"active": True}, "after": {"active": False}}
    assert all(r.object_id == str(veteran.id) for r in rows)


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(app_only: Stack) -> None:
    http, token = _admin(app_only)
    bad = http.post(
        "/admin/note-choices/intervention?lang=en",
        data={
            "code": "Bad Code!",
            "label_zh": "",
            "label_en": "x" * 129,
            "sort": "soon",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    for field in ("code", "label_zh", "label_en", "sort"):
        assert f'data-testid="error-{field}"' in bad.text
    taken = http.post(
        "/admin/note-choices/intervention",
        data={
            "code": "safety_planning",
            "label_zh": "安全",
            "label_en": "Safety",
            "sort": "0",
            "csrf_token": token,
        },
    )
    assert taken.status_code == 422
    assert "This list already has an entry with this code." in taken.text
    # The same code in the other list is fine: the lists are separate.
    other = http.post(
        "/admin/note-choices/population_group",
        data={
            "code": "safety_planning",
            "label_zh": "安全",
            "label_en": "Safety",
            "sort": "0",
            "csrf_token": token,
        },
    )
    assert other.status_code == 303
    student = _choice(app_only, ChoiceKind.population_group, "student")
    empty = http.post(
        f"/admin/note-choices/population_group/{student.id}",
        data={"label_zh": " ", "label_en": "Student", "sort": "10", "csrf_token": token},
    )
    assert empty.status_code == 422 and 'data-testid="error-label_zh"' in empty.text
    assert _choice(app_only, ChoiceKind.population_group, "student").label_zh == "学生"
    assert len(_audit(app_only, "note_choice")) == 1  # only the created one
    no_csrf = http.post("/admin/note-choices/population_group", data={**VETERAN})
    assert no_csrf.status_code == 403


def test_notes_pick_active_choices_and_keep_retired_ones(app_only: Stack) -> None:
    http, token = _admin(app_only)
    http.post("/admin/note-choices/population_group", data={**VETERAN, "csrf_token": token})
    call_id, alice = start(app_only)
    unknown = alice.put(call_id, 1, interventions=["hypnosis"])
    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"interventions"}
    picked = alice.put(
        call_id,
        1,
        profile={"age_band": "25_34", "gender": "male", "population_groups": ["veteran"]},
        interventions=["active_listening"],
    )
    assert picked.status_code == 200
    assert picked.json()["profile"]["population_groups"] == ["veteran"]

    # Retired while the draft has it: the draft keeps it and is still submitted...
    veteran = _choice(app_only, ChoiceKind.population_group, "veteran")
    http.post(
        f"/admin/note-choices/population_group/{veteran.id}/deactivate",
        data={"csrf_token": token},
    )
    student = _choice(app_only, ChoiceKind.population_group, "student")
    http.post(
        f"/admin/note-choices/population_group/{student.id}/deactivate",
        data={"csrf_token": token},
    )
    # ...but a retired one cannot be newly ticked.
    refused = alice.put(
        call_id,
        2,
        profile={
            "age_band": "25_34",
            "gender": "male",
            "population_groups": ["veteran", "student"],
        },
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"profile.population_groups"}
    saved = alice.put(
        call_id,
        2,
        call_type="self",
        categories=[category_id(app_only, "work.job_loss")],
        screener=COMPLETE_SCREEN,
        crisis_level="moderate",
        summary="Lost his job after leaving the army.",
    )
    assert saved.status_code == 200
    done = alice.post(f"/api/calls/{call_id}/note/submit", {"version": saved.json()["version"]})
    assert done.status_code == 200, done.text

    # The monthly report counts the group under the table's label, retired or not.
    now = app_only.clock.now()
    with app_only.db.session() as session:
        scope = Scope(start=now - timedelta(days=30), end=now + timedelta(days=1))
        rows = build_rows(
            session=session, scope=scope, month="2026-12", line_name="all", locale="zh_CN"
        )
    assert any(r.item == "退役军人" and r.value == 1 for r in rows), rows
