"""The simulator's page in Chromium: it reads the control token from the URL fragment and sends
it with every request, so dialling works; without the token the page says it was refused."""

from __future__ import annotations

from simtools import CALLER, CONTROL_TOKEN, LINE, Env

from tests.browser import chromium


def test_the_page_dials_with_the_token_from_the_fragment(env: Env) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{env.sim_url}/#token={CONTROL_TOKEN}")
        page.fill("#caller-number", CALLER)
        page.select_option("#line", LINE)
        page.click("#dial")
        env.control.wait_for(lambda: env.control.list_calls(**{"from_": CALLER}))
        # The language links keep the token for the tab.
        page.goto(f"{env.sim_url}/?lang=en")
        page.wait_for_selector("#phone-list", state="attached")
        page.fill("#phone-number", "+8613900000009")
        page.click("#phone-form button[type=submit]")
        env.control.wait_for(
            lambda: any(p["number"] == "+8613900000009" for p in env.control.phones()["phones"])
        )


def test_without_the_token_the_page_is_refused(env: Env) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{env.sim_url}/")
        page.wait_for_function(
            "document.getElementById('call-status').textContent.includes('401')"
            " || document.getElementById('call-status').textContent.includes('required')"
        )
        assert env.control.list_calls() == []
