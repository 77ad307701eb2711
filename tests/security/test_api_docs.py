"""The OpenAPI schema and its pages are off in production (they map the API for anyone)."""

from __future__ import annotations

import httpx

from hotline.config import Settings
from tests.stack import running_stack


def test_production_switches_the_api_docs_off() -> None:
    required = {"secret_key": "s" * 40, "twilio_auth_token": "t" * 32, "telephony_mode": "twilio"}
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
        assert http.get("/openapi.json").status_code == 200
