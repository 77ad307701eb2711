"""POST /api/phone/token: a real Twilio access token for the browser phone, for the roles that
take or join calls, short-lived, never cached; refused without CSRF, to other roles, and with
real Twilio until an API key and TwiML app are configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from hotline.auth.models import Role
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_user
from tests.stack import Stack, running_stack

API_KEY_SID = "SK" + "5" * 32
API_KEY_SECRET = "a-real-looking-api-key-secret-0123456789"  # noqa: S105 - a test value
TWIML_APP_SID = "AP" + "7" * 32


def signed_in(stack: Stack, username: str) -> tuple[httpx.Client, str]:
    http = ConsoleClient(stack.url, username, PASSWORD).http
    return http, csrf_from(http.get("/console").text)


def token_of(stack: Stack, username: str) -> httpx.Response:
    http, csrf = signed_in(stack, username)
    return http.post("/api/phone/token", headers={"X-CSRF-Token": csrf})


def claims(token: str, secret: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    return decoded


@pytest.mark.parametrize("role", [Role.counselor, Role.crisis, Role.supervisor])
def test_a_token_for_whoever_takes_calls(app_only: Stack, role: Role) -> None:
    user = make_user(app_only.db, "li", role=role)
    response = token_of(app_only, "li")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    settings = app_only.settings
    assert body["identity"] == f"user-{user.id}" and "li" not in body["identity"].lower()
    assert body["ttl_s"] == settings.phone_token_ttl_s == 600 and body["simulator"] is True
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    found = claims(body["token"], settings.twilio_api_key_secret)
    assert found["iss"] == settings.twilio_api_key_sid
    assert found["sub"] == settings.twilio_account_sid
    assert found["exp"] - found["nbf"] == 600
    assert found["grants"]["identity"] == body["identity"]
    assert found["grants"]["voice"]["incoming"] == {"allow": True}
    # Another signing secret does not verify it.
    with pytest.raises(jwt.InvalidSignatureError):
        claims(body["token"], "another-secret-entirely-0123456789")


def test_the_identity_is_stable_and_each_users_own(app_only: Stack) -> None:
    alice = make_user(app_only.db, "alice")
    bob = make_user(app_only.db, "bob")
    first, again, other = (token_of(app_only, name).json() for name in ("alice", "alice", "bob"))
    assert first["identity"] == again["identity"] == f"user-{alice.id}"
    assert other["identity"] == f"user-{bob.id}" != first["identity"]


def test_refused_without_csrf_to_admins_and_to_nobody(app_only: Stack) -> None:
    make_user(app_only.db, "alice")
    make_user(app_only.db, "root", role=Role.admin)
    http, _csrf = signed_in(app_only, "alice")
    assert http.post("/api/phone/token").status_code == 403  # no CSRF header
    assert http.post("/api/phone/token", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert http.get("/api/phone/token").status_code == 405
    assert token_of(app_only, "root").status_code == 403
    anonymous = httpx.post(app_only.url + "/api/phone/token", timeout=10)
    assert anonymous.status_code in (401, 403) and "token" not in anonymous.text.lower().replace(
        "csrf token", ""
    )


@pytest.fixture
def twilio_app(database_url: str) -> Iterator[Stack]:
    """The app in Twilio mode (nothing dialled: no engine, no simulator), as yet without an
    API key for the browser phone."""
    with running_stack(
        database_url, with_simulator=False, run_engine=False, telephony_mode="twilio"
    ) as stack:
        yield stack


def test_with_twilio_it_waits_for_a_real_api_key_and_the_simulator_adapter_is_refused(
    twilio_app: Stack,
) -> None:
    make_user(twilio_app.db, "alice")
    refused = token_of(twilio_app, "alice")
    assert refused.status_code == 503 and refused.json()["code"] == "not_configured"
    http, csrf = signed_in(twilio_app, "alice")
    for path in ("/api/phone/sim/ready", "/api/phone/sim/answer", "/api/phone/sim/hangup"):
        answer = http.post(path, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 404 and answer.json()["code"] == "not_simulator", path
    assert http.get("/api/phone/sim/leg").status_code == 404


def test_with_twilio_and_an_api_key_the_token_is_signed_with_it(database_url: str) -> None:
    with running_stack(
        database_url,
        with_simulator=False,
        run_engine=False,
        telephony_mode="twilio",
        twilio_api_key_sid=API_KEY_SID,
        twilio_api_key_secret=API_KEY_SECRET,
        twilio_twiml_app_sid=TWIML_APP_SID,
        phone_token_ttl_s=300,
    ) as stack:
        make_user(stack.db, "alice")
        response = token_of(stack, "alice")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["simulator"] is False and body["ttl_s"] == 300
        found = claims(body["token"], API_KEY_SECRET)
        assert found["iss"] == API_KEY_SID and found["exp"] - found["nbf"] == 300
        assert found["grants"]["voice"]["outgoing"] == {"application_sid": TWIML_APP_SID}
