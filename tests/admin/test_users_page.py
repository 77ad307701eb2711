"""The People page (`/admin/users`) over real HTTP, on both databases: accounts created and
edited, bad input shown next to the field with nothing saved, disabling that ends sessions, the
refusals, and every change in the audit log."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth import service as auth
from hotline.auth.models import Role, User
from hotline.calls.models import Channel
from hotline.conversations import service as conversations
from hotline.routing import service as routing
from hotline.routing.models import AgentState
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

SECOND = timedelta(seconds=1)
NOTE = "/api/calls/1/note"  # any call: without a live session the answer is 401 before lookup


def _admin(stack: Stack, username: str = "root") -> tuple[httpx.Client, str]:
    make_user(stack.db, username, role=Role.admin)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http, csrf_from(http.get("/admin/users?lang=en").text)


def _user(stack: Stack, username: str) -> User:
    with stack.db.session() as session:
        user = auth.get_by_username(session=session, username=username)
        assert user is not None
        session.expunge(user)
        return user


def _audit(stack: Stack) -> list[AuditEvent]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "user").order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


FORM = {
    "display_name": "Chen Jing",
    "username": "chen",
    "role": "counselor",
    "locale": "zh_CN",
    "phone": "139 0000 1234",
    "languages": ["zh_CN", "en"],
}


def test_create_with_a_temporary_password_and_list(app_only: Stack) -> None:
    line = make_line(app_only.db)
    http, token = _admin(app_only)
    made = http.post("/admin/users", data={**FORM, "line_ids": [str(line.id)], "csrf_token": token})
    assert made.status_code == 200, made.text[:500]
    assert made.headers["cache-control"] == "no-store"
    temporary = made.text.split('data-testid="temporary-password">')[1].split("<")[0]
    chen = _user(app_only, "chen")
    assert chen.endpoint == "+8613900001234"  # E.164
    assert chen.line_ids == [line.id] and chen.languages == ["zh_CN", "en"]
    assert post_login(client(app_only), "chen", temporary).status_code == 303

    listed = http.get("/admin/users", params={"role": "counselor", "active": "yes"})
    assert listed.status_code == 200
    assert listed.text.count('data-testid="user-row"') == 1
    assert "•••••••••1234" in listed.text and "13900001234" not in listed.text
    assert 'data-username="root"' not in listed.text
    everyone = http.get("/admin/users").text
    assert 'data-username="root"' in everyone and 'data-username="chen"' in everyone

    (created,) = _audit(app_only)
    assert created.detail is not None and created.detail.startswith("created (admin page)")
    assert created.username == "root" and "1234" in created.detail
    assert temporary not in created.detail and "13900001234" not in created.detail


def test_a_bad_phone_is_shown_next_to_the_field_and_nothing_is_saved(app_only: Stack) -> None:
    http, token = _admin(app_only)
    make_user(app_only.db, "alice")
    alice = _user(app_only, "alice")
    page = http.get(f"/admin/users/{alice.id}?lang=en")
    assert page.status_code == 200 and 'data-testid="user-form"' in page.text
    bad = http.post(
        f"/admin/users/{alice.id}",
        data={**FORM, "username": "alice", "phone": "12", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert 'data-testid="error-phone"' in bad.text
    assert "This is not a phone number" in bad.text
    assert 'value="Chen Jing"' in bad.text  # what was typed is kept
    assert _user(app_only, "alice").display_name == "Alice"  # nothing saved
    assert _audit(app_only) == []

    taken = http.post("/admin/users", data={**FORM, "username": "alice", "csrf_token": token})
    assert taken.status_code == 422 and 'data-testid="error-username"' in taken.text

    weak = http.post("/admin/users", data={**FORM, "password": "short", "csrf_token": token})
    assert weak.status_code == 422 and 'data-testid="error-password"' in weak.text

    good = http.post(
        f"/admin/users/{alice.id}",
        data={**FORM, "username": "alice", "role": "supervisor", "csrf_token": token},
    )
    assert good.status_code == 303
    saved = _user(app_only, "alice")
    assert saved.display_name == "Chen Jing" and saved.role == Role.supervisor
    (edited,) = _audit(app_only)
    assert edited.detail is not None and '"role":"counselor"' in edited.detail
    assert '"role":"supervisor"' in edited.detail


def test_disabling_a_signed_in_counselor_ends_their_session(app_only: Stack) -> None:
    http, token = _admin(app_only)
    alice = make_user(app_only.db, "alice", role=Role.crisis)
    make_rota(app_only.db, "crisis", [alice])
    counselor = client(app_only)
    assert post_login(counselor, "alice", PASSWORD).status_code == 303
    assert counselor.get("/console").status_code == 200

    asked = http.post(f"/admin/users/{alice.id}/disable", data={"csrf_token": token})
    assert asked.status_code == 200 and 'data-testid="confirm"' in asked.text
    assert 'data-testid="held-shift"' in asked.text  # the rota loses her shifts
    assert _user(app_only, "alice").active  # nothing done before the confirmation
    assert counselor.get("/console").status_code == 200

    done = http.post(f"/admin/users/{alice.id}/disable", data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 303
    assert not _user(app_only, "alice").active
    assert counselor.get(NOTE).status_code == 401
    assert post_login(client(app_only), "alice", PASSWORD).status_code == 401
    (disabled,) = _audit(app_only)
    assert disabled.detail == "disabled (admin page)" and disabled.object_id == str(alice.id)
    assert disabled.username == "root"

    enabled = http.post(f"/admin/users/{alice.id}/enable", data={"csrf_token": token})
    assert enabled.status_code == 303
    assert post_login(client(app_only), "alice", PASSWORD).status_code == 303


def test_sign_out_everywhere_and_reset_password(app_only: Stack) -> None:
    http, token = _admin(app_only)
    alice = make_user(app_only.db, "alice")
    counselor = client(app_only)
    post_login(counselor, "alice", PASSWORD)
    assert (
        http.post(f"/admin/users/{alice.id}/sign-out", data={"csrf_token": token}).status_code
        == 200
    )  # the confirmation
    assert counselor.get("/console").status_code == 200
    out = http.post(f"/admin/users/{alice.id}/sign-out", data={"csrf_token": token, "confirm": "1"})
    assert out.status_code == 303
    assert counselor.get(NOTE).status_code == 401

    weak = http.post(
        f"/admin/users/{alice.id}/password",
        data={"csrf_token": token, "confirm": "1", "password": "alice"},
    )
    assert weak.status_code == 422 and 'data-testid="error-password"' in weak.text
    typed = http.post(
        f"/admin/users/{alice.id}/password",
        data={"csrf_token": token, "confirm": "1", "password": "Night shift at West Lake"},
    )
    assert typed.status_code == 303
    assert post_login(client(app_only), "alice", "Night shift at West Lake").status_code == 303
    details = [e.detail for e in _audit(app_only)]
    assert details[0] is not None and details[0].startswith("signed out everywhere")
    assert details[1] == "password set (admin page)"
    assert all("West Lake" not in (d or "") for d in details)


def test_the_last_admin_and_oneself_cannot_be_disabled_or_demoted(app_only: Stack) -> None:
    http, token = _admin(app_only)
    root = _user(app_only, "root")
    own = http.post(f"/admin/users/{root.id}/disable", data={"csrf_token": token, "confirm": "1"})
    assert own.status_code == 409 and "your own account" in own.text
    demote = http.post(
        f"/admin/users/{root.id}",
        data={**FORM, "username": "root", "role": "counselor", "csrf_token": token},
    )
    assert demote.status_code == 409
    assert _user(app_only, "root").role == Role.admin and _user(app_only, "root").active

    # Another admin, disabled: root is still the last active one; and a second admin may go.
    other = make_user(app_only.db, "ops", role=Role.admin)
    with app_only.db.session() as session:
        ops = session.get(User, other.id)
        assert ops is not None
        ops.active = False
        session.add(ops)
    second, second_token = _admin(app_only, "boss")
    assert (
        second.post(
            f"/admin/users/{root.id}/disable", data={"csrf_token": second_token, "confirm": "1"}
        ).status_code
        == 303
    )
    boss = _user(app_only, "boss")
    # boss is now the last active admin: ops (disabled) cannot be made to count.
    last = second.post(f"/admin/users/{boss.id}/disable", data={"csrf_token": second_token})
    assert last.status_code == 409
    assert _audit(app_only)[-1].detail == "disabled (admin page)"


def test_only_admins_and_only_with_the_csrf_token(app_only: Stack) -> None:
    make_user(app_only.db, "sue", role=Role.supervisor)
    alice = make_user(app_only.db, "alice")
    assert client(app_only).get("/admin/users").status_code == 303  # sign in first
    sue = client(app_only)
    post_login(sue, "sue", PASSWORD)
    token = csrf_from(sue.get("/console").text)
    assert sue.get("/admin/users").status_code == 403
    assert sue.get(f"/admin/users/{alice.id}").status_code == 403
    assert (
        sue.post(
            f"/admin/users/{alice.id}/disable", data={"csrf_token": token, "confirm": "1"}
        ).status_code
        == 403
    )
    http, _token = _admin(app_only)
    missing = http.post(f"/admin/users/{alice.id}/disable", data={"confirm": "1"})
    assert missing.status_code == 403
    wrong = http.post(
        f"/admin/users/{alice.id}/disable", data={"confirm": "1", "csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    assert _user(app_only, "alice").active
    assert http.get("/admin/users/999999").status_code == 404


def test_conversations_at_once_is_set_validated_and_audited(quiet_app: Stack) -> None:
    """Empty is the default for everyone; 1 to 10 is the counselor's own; anything else is shown
    next to the field with nothing saved (never a 500). Routing then holds to it."""
    line = make_line(quiet_app.db)
    now = quiet_app.clock.now()
    http, token = _admin(quiet_app)
    make_user(quiet_app.db, "alice")
    alice = _user(quiet_app, "alice")
    form = {**FORM, "username": "alice", "csrf_token": token}
    page = http.get(f"/admin/users/{alice.id}?lang=en").text
    assert 'name="max_conversations"' in page and "Empty: the default for everyone (2)" in page
    for bad in ("0", "11", "two", "1.5", "-1", "9" * 5000, "１"):
        answer = http.post(f"/admin/users/{alice.id}", data={**form, "max_conversations": bad})
        assert answer.status_code == 422, bad
        assert 'data-testid="error-max_conversations"' in answer.text
        assert "from 1 to 10" in answer.text
    assert _user(quiet_app, "alice").max_conversations is None and _audit(quiet_app) == []

    saved = http.post(f"/admin/users/{alice.id}", data={**form, "max_conversations": " 1 "})
    assert saved.status_code == 303
    assert _user(quiet_app, "alice").max_conversations == 1
    shown = http.get(f"/admin/users/{alice.id}").text
    assert 'data-testid="field-max-conversations"' in shown
    field = shown.split('data-testid="field-max-conversations"')[0].rsplit("<input", 1)[1]
    assert 'value="1"' in field
    (edited,) = _audit(quiet_app)
    assert edited.detail is not None and "max_conversations" in edited.detail

    # Routing holds her to one conversation though the default is two.
    with quiet_app.db.session() as session:
        holder = session.get(User, alice.id)
        assert holder is not None
        routing.set_presence(
            session=session, user=holder, state=AgentState.available, reason=None, now=now
        )
    ids = []
    for n in range(2):
        with quiet_app.db.session() as session:
            call = conversations.start(
                session=session,
                line=line,
                channel=Channel.webchat,
                sender_hash=f"p{n}",
                now=now + n * SECOND,
                max_wait_s=600,
            )
            ids.append(call.id)
    with quiet_app.db.session() as session:
        assert routing.offer_next(
            session=session, now=now + 3 * SECOND, offer_timeout_s=20, max_conversations=2
        )
    with quiet_app.db.session() as session:
        holder = session.get(User, alice.id)
        assert holder is not None
        routing.accept(
            session=session,
            user=holder,
            call_id=ids[0],
            now=now + 4 * SECOND,
            connect_timeout_s=45,
        )
    with quiet_app.db.session() as session:
        assert not routing.offer_next(
            session=session, now=now + 5 * SECOND, offer_timeout_s=20, max_conversations=2
        )

    cleared = http.post(f"/admin/users/{alice.id}", data={**form, "max_conversations": ""})
    assert cleared.status_code == 303
    assert _user(quiet_app, "alice").max_conversations is None
    with quiet_app.db.session() as session:  # back to the default: a second one is offered
        assert routing.offer_next(
            session=session, now=now + 6 * SECOND, offer_timeout_s=20, max_conversations=2
        )
