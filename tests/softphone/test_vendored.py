"""The vendored Twilio Voice SDK is the file its VENDORED.md records, served under the CSP."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from tests.stack import Stack

VENDOR = (
    Path(__file__).resolve().parents[2] / "agent_console" / "console" / "static" / "vendor"
) / "twilio"
SDK = VENDOR / "twilio.min.js"


def recorded_sha256() -> str:
    text = (VENDOR / "VENDORED.md").read_text("utf-8")
    found = re.search(r"sha256 of `twilio\.min\.js`: `([0-9a-f]{64})`", text)
    assert found, "VENDORED.md records no sha256 for twilio.min.js"
    return found.group(1)


def test_the_vendored_sdk_is_the_recorded_file() -> None:
    assert hashlib.sha256(SDK.read_bytes()).hexdigest() == recorded_sha256()
    assert (VENDOR / "LICENSE.md").read_text("utf-8").count("Twilio") > 0
    version = re.search(r"version \*\*([0-9.]+)\*\*", (VENDOR / "VENDORED.md").read_text("utf-8"))
    assert version and version.group(1) == "2.18.5"


def test_the_app_serves_it_from_its_own_origin_under_the_strict_csp(app_only: Stack) -> None:
    response = httpx.get(app_only.url + "/static/vendor/twilio/twilio.min.js", timeout=10)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == recorded_sha256()
    assert "javascript" in response.headers["content-type"]
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1]
