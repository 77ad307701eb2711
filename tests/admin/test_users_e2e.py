"""In Chromium: an admin disables a crisis worker who is connected and on the rota; the page
warns about the shifts left without them before confirming, and their console is closed."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed

from hotline.auth.models import Role
from hotline.simulator.console_client import ConsoleClient
from tests.browser import chromium
from tests.factories import PASSWORD, make_rota, make_user
from tests.stack import running_stack


def _close_code(client: ConsoleClient, timeout: float = 10.0) -> int | None:
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            client.ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_disables_a_connected_crisis_worker(database_url: str, tmp_path: Path) -> None:
    with running_stack(
        database_url, with_simulator=False, run_engine=False, session_check_s=0.1
    ) as stack:
        zhao = make_user(stack.db, "zhao", role=Role.crisis)
        make_rota(stack.db, "crisis", [zhao])
        make_user(stack.db, "root", role=Role.admin)
        console = ConsoleClient(stack.url, "zhao", PASSWORD)
        console.state("offline")
        with chromium() as browser:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(stack.url + "/login?lang=en")
            page.get_by_label(re.compile("user", re.I)).fill("root")
            page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
            page.get_by_role("button", name=re.compile("sign in", re.I)).click()
            page.wait_for_url(re.compile(r"/(console|admin)"))

            page.get_by_test_id("nav-people").click()
            page.wait_for_url(re.compile(r"/admin/users"))
            page.get_by_test_id("filter-role").select_option("crisis")
            page.get_by_test_id("btn-filter").click()
            expect(page.get_by_test_id("user-row")).to_have_count(1)
            page.get_by_test_id("user-link").click()
            page.get_by_test_id("btn-disable").click()
            expect(page.get_by_test_id("disable-warning")).to_be_visible()
            expect(page.get_by_test_id("held-shift").first).to_contain_text("crisis rota")
            page.get_by_test_id("btn-confirm").click()
            expect(page.get_by_test_id("notice")).to_contain_text("disabled")
            expect(page.get_by_test_id("disabled-badge")).to_be_visible()
            page.screenshot(path=str(tmp_path / "people.png"), full_page=True)
            assert errors == []
        assert _close_code(console) == 4401
