"""Signing in over real HTTP, with the second step when the role needs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pyotp

from hotline.simulator.console_client import csrf_from
from tests.stack import Stack, running_stack

TOTP_ROLES = ["supervisor", "admin"]
SECRET_IN_PAGE = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')


@contextmanager
def secure_stack(database_url: str, **overrides: Any) -> Iterator[Stack]:
    """The app with the production sign-in rules: two-step sign-in for supervisors and admins."""
    with running_stack(
        database_url, with_simulator=False, totp_roles=TOTP_ROLES, **overrides
    ) as stack:
        yield stack


def client(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.url, timeout=10)


def post_login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    token = csrf_from(http.get("/login?lang=en").text)
    return http.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def post_code(http: httpx.Client, code: str) -> httpx.Response:
    token = csrf_from(http.get("/login/totp").text)
    return http.post("/login/totp", data={"code": code, "csrf_token": token})


def code_at(stack: Stack, secret: str, *, steps: int = 0) -> str:
    """The code an authenticator app shows at the stack's (fake) time, `steps` x 30 s later."""
    return pyotp.TOTP(secret).at(stack.clock.now(), counter_offset=steps)


def secret_from(page: str) -> str:
    found = SECRET_IN_PAGE.search(page)
    assert found is not None, "no TOTP key on the enrolment page"
    return found.group(1)
