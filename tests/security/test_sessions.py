"""Sessions live on the server: sign-out, account changes and expiry end them, over real HTTP,
real websockets and the real `hotline` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from hotline.audit.models import AuditEvent
from hotline.auth import service as auth
from hotline.auth.models import Role, User
from hotline.routing.models import AgentState, AgentStatus
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_user
from tests.security.helpers import client, code_at, post_code, post_login, secret_from
from tests.stack import Stack, running_stack

NOTE = "/api/calls/1/note"  # any call: without a live session the answer is 401 before lookup


@pytest.fixture
def app(database_url: str) -> Iterator[Stack]:
    """The app, its open sockets re-checking their session every 0.1 s (seconds in production)."""
    with running_stack(
        database_url, with_simulator=False, run_engine=False, session_check_s=0.1
    ) as stack:
        yield stack


def hotline_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `hotline` command, a process of its own, on the app's database."""
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": stack.settings.database_url,
        "HOTLINE_ENV": "test",
        "HOTLINE_SECRET_KEY": stack.settings.secret_key,
    }
    hotline = Path(sys.executable).parent / "hotline"
    return subprocess.run(
        [str(hotline), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def cookie_of(http: httpx.Client) -> dict[str, str]:
    return dict(http.cookies.items())


def socket(stack: Stack, cookies: dict[str, str], path: str = "/ws/console") -> ClientConnection:
    url = stack.url.replace("http://", "ws://") + path
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return connect(url, additional_headers={"Cookie": cookie}, open_timeout=10)


def close_code(ws: ClientConnection, timeout: float = 10.0) -> int | None:
    """Read until the server closes the socket (bounded); the close code."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


def ping(ws: ClientConnection, marker: int) -> None:
    """Send a ping and wait for its pong: the server has checked the session by then."""
    ws.send(json.dumps({"type": "ping", "id": marker}))
    while json.loads(ws.recv(timeout=10)) != {"type": "pong", "id": marker}:
        pass


def logout(http: httpx.Client) -> None:
    token = csrf_from(http.get("/console").text)
    assert http.post("/logout", data={"csrf_token": token}).status_code == 303


def test_a_copied_cookie_is_worthless_after_sign_out(app: Stack) -> None:
    make_user(app.db, "alice")
    http = client(app)
    post_login(http, "alice", PASSWORD)
    stolen = cookie_of(http)
    assert httpx.get(app.url + "/console", cookies=stolen).status_code == 200
    with socket(app, stolen) as open_before:
        open_before.recv(timeout=10)  # its first snapshot
        logout(http)
        assert close_code(open_before) == 4401  # an open console closes too
    assert httpx.get(app.url + NOTE, cookies=stolen).status_code == 401
    page = httpx.get(app.url + "/console", cookies=stolen)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    with socket(app, stolen) as ws:
        assert close_code(ws) == 4401
    # Signing in again starts a new session; the old cookie stays dead.
    post_login(http, "alice", PASSWORD)
    assert http.get("/console").status_code == 200
    assert httpx.get(app.url + "/console", cookies=stolen).status_code == 303


def test_set_password_from_the_cli_signs_out_everywhere(app: Stack) -> None:
    make_user(app.db, "alice")
    make_user(app.db, "bob")
    console = ConsoleClient(app.url, "alice", PASSWORD)
    other = ConsoleClient(app.url, "bob", PASSWORD)
    console.state("offline")
    done = hotline_cli(app, "users", "set-password", "alice", "--password", "Night at West Lake 7")
    assert done.returncode == 0, done.stderr
    assert close_code(console.ws) == 4401
    assert console.http.get(NOTE).status_code == 401
    # Only alice: bob's console carries on.
    other.send("ping", id=1)
    other.state("offline")
    assert other.http.get("/console").status_code == 200
    console.close()
    other.close()


def test_disable_from_the_cli_closes_console_and_board_and_enable_lets_back_in(
    app: Stack,
) -> None:
    make_user(app.db, "alice")
    make_user(app.db, "wang", role=Role.supervisor)
    console = ConsoleClient(app.url, "alice", PASSWORD)
    console.state("offline")
    supervisor = client(app)
    post_login(supervisor, "wang", PASSWORD)
    with socket(app, cookie_of(supervisor), "/ws/board") as board:
        assert '"board"' in str(board.recv(timeout=10))
        for name in ("alice", "wang"):
            done = hotline_cli(app, "users", "disable", name)
            assert done.returncode == 0, done.stderr
        assert close_code(console.ws) == 4401
        assert close_code(board) == 4401
    assert console.http.get(NOTE).status_code == 401
    assert post_login(client(app), "alice", PASSWORD).status_code == 401
    with app.db.session() as session:
        audited = session.exec(select(AuditEvent).where(AuditEvent.object_type == "user")).all()
    assert {e.detail for e in audited} == {"disabled (hotline users)"}
    assert hotline_cli(app, "users", "disable", "nobody").returncode == 1

    assert hotline_cli(app, "users", "enable", "alice").returncode == 0
    assert post_login(client(app), "alice", PASSWORD).status_code == 303
    assert console.http.get(NOTE).status_code == 401  # the old session stays ended
    console.close()


def test_a_disabled_users_next_command_is_not_run(database_url: str) -> None:
    """Every message is checked, not only the periodic check (here a minute away)."""
    with running_stack(
        database_url, with_simulator=False, run_engine=False, session_check_s=60
    ) as stack:
        make_user(stack.db, "alice")
        console = ConsoleClient(stack.url, "alice", PASSWORD)
        console.state("offline")
        assert hotline_cli(stack, "users", "disable", "alice").returncode == 0
        console.send("set_state", state="available", reason=None)
        assert close_code(console.ws) == 4401
        with stack.db.session() as session:
            alice = session.exec(select(User).where(User.username == "alice")).one()
            status = session.get(AgentStatus, alice.id)
            assert status is None or status.state == AgentState.offline
        console.close()


def test_a_role_change_ends_the_sessions(app: Stack) -> None:
    make_user(app.db, "wang", role=Role.supervisor)
    http = client(app)
    post_login(http, "wang", PASSWORD)
    assert http.get("/supervisor/board").status_code == 200
    done = hotline_cli(app, "users", "set-role", "wang", "counselor")
    assert done.returncode == 0, done.stderr
    assert http.get(NOTE).status_code == 401
    assert http.get("/supervisor/board").status_code in (303, 401)
    # A change made some other way (straight in the table) ends them as well.
    post_login(http, "wang", PASSWORD)
    assert http.get("/console").status_code == 200
    with app.db.session() as session:
        wang = session.exec(select(User).where(User.username == "wang")).one()
        wang.role = Role.crisis
        session.add(wang)
    assert http.get("/console").status_code == 303


def test_idle_sessions_end_and_activity_keeps_them(app: Stack) -> None:
    make_user(app.db, "alice")
    http = client(app)
    post_login(http, "alice", PASSWORD)
    idle = app.settings.session_idle_s
    for _ in range(3):  # a request now and then keeps it going
        app.clock.advance(idle - 60)
        assert http.get("/console").status_code == 200
    app.clock.advance(idle)
    assert http.get(NOTE).status_code == 401
    page = http.get("/console")
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_an_open_console_keeps_its_session_until_the_absolute_limit(app: Stack) -> None:
    make_user(app.db, "alice")
    console = ConsoleClient(app.url, "alice", PASSWORD)
    console.state("offline")
    idle = app.settings.session_idle_s
    elapsed = 0
    while elapsed + idle - 60 < app.settings.session_max_age_s:
        app.clock.advance(idle - 60)
        elapsed += idle - 60
        ping(console.ws, elapsed)  # the socket's traffic is activity
    assert console.http.get("/console").status_code == 200
    app.clock.advance(app.settings.session_max_age_s - elapsed)  # 14 hours after sign-in
    console.send("ping", id=0)
    assert close_code(console.ws) == 4401
    assert console.http.get(NOTE).status_code == 401
    console.close()


def test_new_recovery_codes_need_the_password(database_url: str) -> None:
    with running_stack(database_url, with_simulator=False, totp_roles=["supervisor"]) as stack:
        make_user(stack.db, "sue", role=Role.supervisor)
        http = client(stack)
        post_login(http, "sue", PASSWORD)
        secret = secret_from(http.get("/login/totp").text)
        assert post_code(http, code_at(stack, secret)).status_code == 303
        token = csrf_from(http.get("/account/recovery-codes").text)
        for password in ("", "not-the-password-1"):
            refused = http.post(
                "/account/recovery-codes", data={"csrf_token": token, "password": password}
            )
            assert refused.status_code == 401
            assert 'data-testid="recovery-codes"' not in refused.text
        with stack.db.session() as session:
            sue = session.exec(select(User).where(User.username == "sue")).one()
            assert auth.recovery_codes_left(session=session, user=sue) == 0
        made = http.post(
            "/account/recovery-codes", data={"csrf_token": token, "password": PASSWORD}
        )
        assert made.status_code == 200 and 'data-testid="recovery-codes"' in made.text
