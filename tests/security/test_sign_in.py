"""Sign-in: lock-out across instances, the per-address limit, the TOTP second step, cookies,
CSRF on every state-changing route. Real HTTP, both databases."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth import service as auth
from hotline.auth.models import Role, SignInAttempt, User
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_user
from tests.security.helpers import (
    client,
    code_at,
    post_code,
    post_login,
    secret_from,
    secure_stack,
)
from tests.stack import Stack, running_stack

LOCKED = "Too many sign-in attempts"


def _audit(stack: Stack) -> list[AuditEvent]:
    with stack.db.session() as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))  # type: ignore[arg-type]


def test_failed_attempts_lock_the_username_whether_or_not_it_exists(database_url: str) -> None:
    with secure_stack(database_url) as stack:
        make_user(stack.db, "alice")
        http = client(stack)
        for _ in range(5):
            assert post_login(http, "alice", "wrong-password-123").status_code == 401
            assert post_login(http, "nobody", "wrong-password-123").status_code == 401
        right = post_login(http, "alice", PASSWORD)
        unknown = post_login(http, "nobody", PASSWORD)
        # The same answer for a real and a made-up name: the lock tells nothing.
        assert right.status_code == unknown.status_code == 429
        assert LOCKED in right.text and LOCKED in unknown.text
        assert http.get("/console").status_code == 303  # not signed in
        locked = [e for e in _audit(stack) if e.detail == "locked out"]
        assert [e.username for e in locked] == ["alice", "nobody"]
        assert all(e.action == AuditAction.sign_in_failed for e in locked)

        stack.clock.advance(14 * 60)
        assert post_login(http, "alice", PASSWORD).status_code == 429  # still locked
        stack.clock.advance(61)
        assert post_login(http, "alice", PASSWORD).status_code == 303
        # A success clears the count: the next wrong password is just wrong.
        assert post_login(client(stack), "alice", "wrong-password-123").status_code == 401


def test_the_lock_holds_on_every_instance(database_url: str) -> None:
    with secure_stack(database_url) as first, secure_stack(database_url) as second:
        make_user(first.db, "alice")
        for attempt in range(5):
            instance = first if attempt % 2 else second
            assert post_login(client(instance), "alice", "wrong-password-1").status_code == 401
        assert post_login(client(first), "alice", PASSWORD).status_code == 429
        assert post_login(client(second), "alice", PASSWORD).status_code == 429


def test_one_address_is_limited_across_usernames(database_url: str) -> None:
    with secure_stack(database_url, login_max_failures_per_ip=4) as stack:
        make_user(stack.db, "alice")
        http = client(stack)
        for name in ("u1", "u2", "u3", "u4"):
            assert post_login(http, name, "wrong-password-1").status_code == 401
        assert post_login(http, "alice", PASSWORD).status_code == 429
        stack.clock.advance(15 * 60 + 1)
        assert post_login(http, "alice", PASSWORD).status_code == 303
        with stack.db.session() as session:
            outcomes = [a.outcome for a in session.exec(select(SignInAttempt))]
        assert outcomes.count("failed") == 4 and outcomes.count("locked") == 1


def test_a_supervisor_enrols_then_needs_a_fresh_code_each_time(database_url: str) -> None:
    with secure_stack(database_url) as stack:
        make_user(stack.db, "sue", role=Role.supervisor)
        http = client(stack)
        first = post_login(http, "sue", PASSWORD)
        assert first.status_code == 303 and first.headers["location"] == "/login/totp"

        # Half signed in: no user, no role, anywhere.
        assert http.get("/console").status_code == 303
        assert http.get("/api/calls/1/note").status_code == 401
        assert http.get("/admin/audit").status_code == 303
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        ws_url = stack.url.replace("http://", "ws://") + "/ws/console"
        with (
            connect(ws_url, additional_headers={"Cookie": cookie}) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

        enrol = http.get("/login/totp")
        assert enrol.status_code == 200 and 'data-testid="totp-qr"' in enrol.text
        assert 'src="data:image/svg+xml' in enrol.text
        secret = secret_from(enrol.text)
        assert secret_from(http.get("/login/totp").text) == secret  # a reload keeps the key
        with stack.db.session() as session:
            stored = session.get(User, 1)
            assert stored is not None and stored.totp_secret == secret
            raw = session.connection().exec_driver_sql("SELECT totp_secret FROM users").scalar()
            assert raw is not None and raw.startswith("v1:") and secret not in raw

        wrong = post_code(http, "000000" if code_at(stack, secret) != "000000" else "111111")
        assert wrong.status_code == 401 and "That code is not right" in wrong.text
        code = code_at(stack, secret)
        done = post_code(http, code)
        # A new enrolment goes on to make recovery codes.
        assert done.status_code == 303 and done.headers["location"] == "/account/recovery-codes"
        assert http.get("/console").status_code == 200

        # Next sign-in: the code form (no key shown), and the same code is not accepted twice.
        again = client(stack)
        assert post_login(again, "sue", PASSWORD).headers["location"] == "/login/totp"
        form = again.get("/login/totp")
        assert "totp-secret" not in form.text and 'name="code"' in form.text
        assert post_code(again, code).status_code == 401  # replayed
        stack.clock.advance(30)
        assert post_code(again, code_at(stack, secret)).status_code == 303
        assert again.get("/console").status_code == 200

        details = [(e.action, e.detail) for e in _audit(stack) if e.username == "sue"]
        assert (AuditAction.sign_in, "totp enrolled") in details
        assert (AuditAction.sign_in, "totp") in details
        assert details.count((AuditAction.sign_in_failed, "wrong second-factor code")) == 2


RECOVERY_CODE = re.compile(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>")


def _recovery_codes(http: httpx.Client) -> list[str]:
    token = csrf_from(http.get("/account/recovery-codes").text)
    page = http.post("/account/recovery-codes", data={"csrf_token": token, "password": PASSWORD})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    return RECOVERY_CODE.findall(page.text)


def test_recovery_codes_stand_in_for_a_lost_phone_once_each(database_url: str) -> None:
    with secure_stack(database_url) as stack:
        make_user(stack.db, "sue", role=Role.supervisor)
        make_user(stack.db, "cora")
        http = client(stack)
        post_login(http, "sue", PASSWORD)
        secret = secret_from(http.get("/login/totp").text)
        assert post_code(http, code_at(stack, secret)).status_code == 303
        first = _recovery_codes(http)
        codes = _recovery_codes(http)  # a new set replaces the first
        assert len(codes) == 10 and len(set(codes)) == 10 and not set(codes) & set(first)
        assert "Unused recovery codes: 10" in http.get("/account/recovery-codes").text
        with stack.db.session() as session:
            stored = session.connection().exec_driver_sql(
                "SELECT code_hash FROM totp_recovery_codes"
            )
            hashes = [row[0] for row in stored]
        assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)

        lost = client(stack)
        assert post_login(lost, "sue", PASSWORD).headers["location"] == "/login/totp"
        assert post_code(lost, first[0]).status_code == 401  # replaced: no longer valid
        used = post_code(lost, codes[0].upper())
        # A supervisor lands on the live board (counselors on the console, admins at /admin).
        assert used.status_code == 303 and used.headers["location"] == "/supervisor/board"
        assert lost.get("/console").status_code == 200

        again = client(stack)
        post_login(again, "sue", PASSWORD)
        assert post_code(again, codes[0]).status_code == 401  # each code works once
        assert post_code(again, codes[1]).status_code == 303
        assert "Unused recovery codes: 8" in again.get("/account/recovery-codes").text

        details = [
            (e.action, e.object_type, e.detail) for e in _audit(stack) if e.username == "sue"
        ]
        assert (AuditAction.edit, "recovery_codes", "created 10") in details
        assert details.count((AuditAction.sign_in, "session", "recovery code")) == 2

        counselor = client(stack)
        post_login(counselor, "cora", PASSWORD)
        token = csrf_from(counselor.get("/account/recovery-codes").text)
        refused = counselor.post("/account/recovery-codes", data={"csrf_token": token})
        assert refused.status_code == 409 and RECOVERY_CODE.findall(refused.text) == []

        with stack.db.session() as session:
            sue = session.exec(select(User).where(User.username == "sue")).one()
            auth.reset_totp(session=session, user=sue, now=stack.clock.now())
            assert auth.recovery_codes_left(session=session, user=sue) == 0


def test_wrong_codes_count_towards_the_lock_and_the_step_expires(database_url: str) -> None:
    with secure_stack(database_url) as stack:
        make_user(stack.db, "root", role=Role.admin)
        http = client(stack)
        post_login(http, "root", PASSWORD)
        secret = secret_from(http.get("/login/totp").text)
        good = code_at(stack, secret)
        bad = f"{(int(good) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert post_code(http, bad).status_code == 401
        locked = post_code(http, good)
        assert locked.status_code == 429 and LOCKED in locked.text
        assert http.get("/login/totp").status_code == 303  # back to the password step
        assert post_login(client(stack), "root", PASSWORD).status_code == 429

        stack.clock.advance(16 * 60)
        late = client(stack)
        assert post_login(late, "root", PASSWORD).status_code == 303
        stack.clock.advance(301)  # the second step waits 5 minutes at most
        assert late.get("/login/totp").status_code == 303
        token = csrf_from(late.get("/login").text)
        expired = late.post(
            "/login/totp", data={"code": code_at(stack, secret), "csrf_token": token}
        )
        assert expired.status_code == 303 and expired.headers["location"] == "/login"
        assert late.get("/console").status_code == 303  # sent back to sign in, not in


def test_counselors_sign_in_with_a_password_only(database_url: str) -> None:
    with secure_stack(database_url) as stack:
        make_user(stack.db, "alice")
        http = client(stack)
        assert post_login(http, "alice", PASSWORD).headers["location"] == "/console"
        assert http.get("/console").status_code == 200


def test_session_cookie_flags(database_url: str) -> None:
    with running_stack(
        database_url, with_simulator=False, public_base_url="https://hotline.example.org"
    ) as stack:
        cookie = httpx.get(stack.url + "/login").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
        assert "hotline_session=" in cookie and "max-age=50400" in cookie  # session_max_age_s
    with secure_stack(database_url) as stack:
        cookie = httpx.get(stack.url + "/login").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


# Signed by the sender instead: Twilio's webhooks, the WeChat platform's pushes.
SIGNED_BY_PROVIDER = ("/twilio/", "/wechat/")
# Sent by a service worker with a signed, single-use token as the only credential (no cookie).
CREDENTIALED_BY_TOKEN = {"/api/push/ack"}


def test_every_state_changing_route_checks_csrf(database_url: str) -> None:
    """Each POST/PUT/PATCH/DELETE, sent without a token by a signed-in user whose role may use
    it, is refused for want of the CSRF token (Twilio's webhooks: for want of a signature)."""
    with running_stack(database_url, with_simulator=False) as stack:
        people = []
        for name, role in (("root", Role.admin), ("carl", Role.crisis)):
            make_user(stack.db, name, role=role)
            http = client(stack)
            assert post_login(http, name, PASSWORD).status_code == 303
            people.append(http)
        paths = stack.app.openapi()["paths"]
        checked = []
        for path, operations in paths.items():
            for method in operations:
                if method not in ("post", "put", "patch", "delete"):
                    continue
                url = path.replace("{action}", "acknowledge")
                url = "/".join("1" if p.startswith("{") else p for p in url.split("/"))
                if path.startswith(SIGNED_BY_PROVIDER):  # the provider's signature instead
                    response = people[0].request(method, url, data={"CallSid": "CA1", "From": "x"})
                    assert response.status_code == 403, (method, path)  # no signature
                    continue
                if path in CREDENTIALED_BY_TOKEN:  # a session is worth nothing there
                    response = people[0].request(method, url, json={"token": "forged"})
                    assert response.status_code == 403, (method, path)
                    assert response.json()["code"] == "bad_token"
                    continue
                form = {"username": "root", "password": PASSWORD, "code": "123456"}
                answers = [
                    http.request(
                        method,
                        url,
                        data=form if url.startswith("/log") else None,
                        json=None if url.startswith("/log") else {},
                    )
                    for http in people
                ]
                assert all(a.status_code == 403 for a in answers), (method, path)
                assert any("CSRF" in a.text for a in answers), (method, path)
                checked.append(path)
        assert {"/login", "/logout", "/login/totp"} <= set(checked)
        assert len(checked) >= 15
        # ...and with the token the same request goes through (signing out).
        token = csrf_from(people[0].get("/console").text)
        assert people[0].post("/logout", data={"csrf_token": token}).status_code == 303


def test_each_role_lands_where_it_works(database_url: str) -> None:
    """After sign-in and at "/": counselors and the crisis team on the console, supervisors on
    the live board, admins on the admin home (second factor off here, to reach each landing)."""
    with running_stack(database_url, with_simulator=False, totp_roles=[]) as stack:
        expected = {
            Role.counselor: "/console",
            Role.crisis: "/console",
            Role.supervisor: "/supervisor/board",
            Role.admin: "/admin",
        }
        for role, landing in expected.items():
            make_user(stack.db, role.value, role=role)
            http = client(stack)
            assert http.get("/").headers["location"] == "/login"
            assert post_login(http, role.value, PASSWORD).headers["location"] == landing
            assert http.get("/").headers["location"] == landing
            assert http.get(landing).status_code == 200
