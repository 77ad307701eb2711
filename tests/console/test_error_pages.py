"""A browser refused a page gets the console's error page in its language; a script gets JSON."""

from __future__ import annotations

import httpx

from hotline.auth.models import Role
from tests.factories import make_user
from tests.stack import Stack
from tests.staff import Staff

PAGE = {"accept": "text/html,application/xhtml+xml"}


def test_a_counselor_opening_the_board_gets_a_translated_refusal_page(app_only: Stack) -> None:
    make_user(app_only.db, "alice", role=Role.counselor)
    alice = Staff(app_only, "alice")
    try:
        page = alice.http.get("/supervisor/board?lang=zh_CN", headers=PAGE)
        assert page.status_code == 403
        assert "text/html" in page.headers["content-type"]
        assert 'data-testid="error-message"' in page.text
        assert "您的角色无权访问此页面。" in page.text

        script = alice.http.get("/supervisor/board", headers={"accept": "application/json"})
        assert script.status_code == 403
        assert script.json() == {"detail": "not allowed for your role"}
    finally:
        alice.close()


def test_an_unknown_page_is_a_page_and_sign_in_still_redirects(
    app_only: Stack,
) -> None:
    make_user(app_only.db, "bob", role=Role.supervisor)
    bob = Staff(app_only, "bob")
    try:
        missing = bob.http.get("/supervisor/no-such-page", headers=PAGE)
        assert missing.status_code == 404
        assert "没有这个页面或记录。" in missing.text  # the browser's language (default zh_CN)
    finally:
        bob.close()
    with httpx.Client(base_url=app_only.url, timeout=10) as http:
        response = http.get("/supervisor/board", headers=PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
