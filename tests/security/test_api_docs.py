"""The OpenAPI schema and its pages: off in production (they map the API for anyone), and served
by the app itself under its CSP elsewhere."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from hotline.config import Settings
from tests.browser import chromium
from tests.stack import running_stack


def test_production_switches_the_api_docs_off() -> None:
    required = {
        "secret_key": "s" * 40,
        "twilio_auth_token": "t" * 32,
        "telephony_mode": "twilio",
        "public_base_url": "https://hotline.example.org",
    }
    production = Settings(env="production", **required)
    assert not production.docs_enabled
    chosen = Settings(env="production", api_docs=True, **required)
    assert chosen.docs_enabled
    assert Settings(env="development").docs_enabled


def test_without_docs_the_schema_and_pages_are_not_served(database_url: str) -> None:
    with running_stack(database_url, with_simulator=False, api_docs=False) as stack:
        http = httpx.Client(base_url=stack.url, timeout=10)
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert http.get(path).status_code == 404, path
        assert http.get("/login").status_code == 200
    with running_stack(database_url, with_simulator=False) as stack:
        http = httpx.Client(base_url=stack.url, timeout=10)
        # Built on its first request: seconds on a loaded machine.
        assert http.get("/openapi.json", timeout=60).status_code == 200


def test_docs_and_redoc_render_in_chromium_under_the_csp(database_url: str) -> None:
    """Their files come from the app (no CDN; the machine has no internet anyway), their start-up
    script is a file, and Chromium reports nothing blocked by the content security policy."""
    with running_stack(database_url, with_simulator=False) as stack, chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        outside: list[str] = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith((stack.url, "blob:")) else None,
        )

        page.goto(stack.url + "/docs")
        # Generous: the API description is built on first request, slow on a loaded machine.
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("hotline", timeout=30_000)
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        page.goto(stack.url + "/redoc")
        expect(page.locator("h1").first).to_contain_text("hotline", timeout=30_000)
        expect(page.get_by_text("/api/calls/{call_id}/note").first).to_be_attached()
        # The one thing either page asks of another host is ReDoc's logo, which the CSP blocks.
        logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
        assert outside == [logo]
        assert len(errors) == 1 and logo in errors[0] and "has been blocked" in errors[0], errors
        script = httpx.get(stack.url + "/docs").headers["content-security-policy"]
        assert "script-src 'self';" in script  # scripts from the app only, none inline
