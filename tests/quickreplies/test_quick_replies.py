"""A line's quick replies over real HTTP on both databases: admins add, edit, reorder and
retire them (bad input next to the field, nothing saved; every change audited), and the
counselor holding a conversation reads the active replies of its line, its language first.
Reading them sends nothing."""

from __future__ import annotations

from sqlmodel import col, select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.conversations.models import ConversationMessage
from hotline.quickreplies.models import QuickReply
from tests.conversations.test_api import begin, held_by
from tests.directory.test_pages import _admin, _audit, _changes
from tests.factories import make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

GREETING = {"title": "Greeting", "text": "I am here with you.", "language": "en", "sort": "10"}


def _replies(stack: Stack) -> list[QuickReply]:
    with stack.db.session() as session:
        rows = list(session.exec(select(QuickReply).order_by(col(QuickReply.sort))))
        for row in rows:
            session.expunge(row)
        return rows


def _language(stack: Stack, call_id: int, language: str) -> None:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        call.language = language
        session.add(call)


def test_admins_add_edit_reorder_and_retire_quick_replies(app_only: Stack) -> None:
    line = make_line(app_only.db)
    http, token = _admin(app_only)
    assert http.get("/admin/quick-replies/new?lang=en").status_code == 200
    made = http.post(
        "/admin/quick-replies", data={**GREETING, "line_id": str(line.id), "csrf_token": token}
    )
    assert made.status_code == 303, made.text
    first = _replies(app_only)[0]
    assert made.headers["location"] == f"/admin/quick-replies/{first.id}?done=created"
    second = http.post(
        "/admin/quick-replies",
        data={
            "title": "安全",
            "text": "你现在安全吗？",
            "language": "zh_CN",
            "sort": "20",
            "line_id": str(line.id),
            "csrf_token": token,
        },
    )
    assert second.status_code == 303
    page = http.get("/admin/quick-replies?lang=en").text
    assert 'data-title="Greeting"' in page and 'data-title="安全"' in page

    edited = http.post(
        f"/admin/quick-replies/{first.id}",
        data={**GREETING, "title": "Hello", "line_id": str(line.id), "csrf_token": token},
    )
    assert edited.status_code == 303
    moved = http.post(f"/admin/quick-replies/{first.id}/down", data={"csrf_token": token})
    assert moved.status_code == 303
    assert [(r.title, r.sort) for r in _replies(app_only)] == [("安全", 10), ("Hello", 20)]
    retired = http.post(f"/admin/quick-replies/{first.id}/deactivate", data={"csrf_token": token})
    assert retired.status_code == 303
    assert not next(r for r in _replies(app_only) if r.id == first.id).active
    assert (
        http.post(
            f"/admin/quick-replies/{first.id}/sideways", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert http.get("/admin/quick-replies/99999").status_code == 404

    rows = _audit(app_only, "quick_reply")
    summaries = [r.detail.split(" (")[0] for r in rows if r.detail and r.object_id == str(first.id)]
    assert summaries == ["created", "edited", "moved", "deactivated"]
    assert _changes(rows[2]) == {"before": {"title": "Greeting"}, "after": {"title": "Hello"}}


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(app_only: Stack) -> None:
    make_line(app_only.db)
    http, token = _admin(app_only)
    refused = http.post(
        "/admin/quick-replies?lang=en",
        data={
            "title": "",
            "text": "x" * 1601,
            "language": "fr",
            "sort": "soon",
            "line_id": "999",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    for field in ("title", "text", "language", "sort", "line_id"):
        assert f'data-testid="error-{field}"' in refused.text, field
    assert _replies(app_only) == []
    forged = http.post("/admin/quick-replies", data={**GREETING, "line_id": "1"})
    assert forged.status_code == 403 and _replies(app_only) == []


def test_the_counselor_reads_the_active_replies_of_the_conversations_line(
    quiet_app: Stack,
) -> None:
    line = make_line(quiet_app.db)
    other = make_line(quiet_app.db, number="+8657712320")
    alice = make_user(quiet_app.db, "alice")
    make_user(quiet_app.db, "bob")
    make_user(quiet_app.db, "wang", role=Role.supervisor)
    call_id = begin(quiet_app, line, "p1", "hello")
    held_by(quiet_app, alice, call_id)
    now = quiet_app.clock.now()
    with quiet_app.db.session() as session:
        for line_id, title, language, sort, active in [
            (line.id, "English first by order", "en", 1, True),
            (line.id, "中文", "zh_CN", 2, True),
            (line.id, "Retired", "en", 3, False),
            (other.id, "Another line's", "en", 0, True),
        ]:
            assert line_id is not None
            session.add(
                QuickReply(
                    line_id=line_id,
                    title=title,
                    text=f"text of {title}",
                    language=language,
                    sort=sort,
                    active=active,
                    created_at=now,
                    updated_at=now,
                )
            )
        messages = len(session.exec(select(ConversationMessage)).all())
    _language(quiet_app, call_id, "en")
    url = f"/api/conversations/{call_id}/quick-replies"
    got = NoteClient(quiet_app, "alice").get(url)
    assert got.status_code == 200, got.text
    assert got.headers["cache-control"] == "no-store"
    # The conversation is in English: English replies first, then by order.
    assert [r["title"] for r in got.json()["replies"]] == ["English first by order", "中文"]
    assert got.json()["replies"][1] | {"id": 0} == {
        "id": 0,
        "title": "中文",
        "text": "text of 中文",
        "language": "zh_CN",
    }
    _language(quiet_app, call_id, "zh_CN")
    again = NoteClient(quiet_app, "alice").get(url).json()["replies"]
    assert [r["title"] for r in again] == ["中文", "English first by order"]
    # Only the counselor holding it: not another counselor, not a supervisor.
    assert NoteClient(quiet_app, "bob").get(url).status_code == 403
    assert NoteClient(quiet_app, "wang").get(url).status_code == 403
    with quiet_app.db.session() as session:
        assert len(session.exec(select(ConversationMessage)).all()) == messages  # nothing sent
