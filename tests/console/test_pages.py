"""Sign-in, sign-out and the console page over real HTTP."""

from __future__ import annotations

import httpx

from hotline.routing.models import AgentStatus
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_user
from tests.stack import Stack


def test_sign_in_checks_password_and_csrf(app_only: Stack) -> None:
    make_user(app_only.db, "alice")
    client = httpx.Client(base_url=app_only.url, timeout=10)
    page = client.get("/login?lang=en")
    assert page.status_code == 200 and "Sign in" in page.text
    token = csrf_from(page.text)
    no_csrf = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert no_csrf.status_code == 403
    wrong = client.post(
        "/login", data={"username": "alice", "password": "nope-nope-nope", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    unknown = client.post(
        "/login", data={"username": "bob", "password": PASSWORD, "csrf_token": token}
    )
    assert unknown.status_code == 401
    assert client.get("/console").status_code == 303  # still signed out
    right = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 303 and right.headers["location"] == "/console"
    console = client.get("/console")
    assert console.status_code == 200 and 'id="console-config"' in console.text


def test_pages_carry_security_headers_and_speak_both_languages(app_only: Stack) -> None:
    chinese = httpx.get(app_only.url + "/login", headers={"Accept-Language": "zh-CN"})
    english = httpx.get(app_only.url + "/login?lang=en")
    assert "登录" in chinese.text and "Sign in" in english.text
    headers = chinese.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    cookie = english.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_logging_out_stops_offers(app_only: Stack) -> None:
    user = make_user(app_only.db, "alice")
    console = ConsoleClient(app_only.url, "alice", PASSWORD)
    console.send("set_state", state="available", reason=None)
    console.state("available")
    token = csrf_from(console.http.get("/console").text)
    assert console.http.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert console.http.post("/logout", data={"csrf_token": token}).status_code == 303
    with app_only.db.session() as session:
        status = session.get(AgentStatus, user.id)
        assert status is not None and status.state == "offline"
    console.close()
