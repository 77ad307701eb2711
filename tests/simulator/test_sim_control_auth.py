"""The control API wants the control token, and the simulator answers loopback peers only."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from simtools import ACCOUNT_SID, AUTH_TOKEN, CALLER, CONTROL_TOKEN, LINE, Env

from hotline.simulator.app import SimulatorConfig, create_simulator_app
from hotline.simulator.control import TOKEN_HEADER

CONTROL_ENDPOINTS = [
    ("GET", "/calls"),
    ("POST", "/calls"),
    ("GET", "/calls/CA0"),
    ("POST", "/calls/CA0/hangup"),
    ("GET", "/phones"),
    ("POST", "/phones"),
    ("GET", "/numbers"),
    ("POST", "/numbers"),
    ("GET", "/conferences"),
    ("GET", "/messages"),
    ("POST", "/messages"),
    ("GET", "/recordings"),
    ("POST", "/reset"),
]


@pytest.mark.parametrize("token", [None, "", "wrong-token-of-some-length"])
@pytest.mark.parametrize(("method", "path"), CONTROL_ENDPOINTS)
def test_control_api_refuses_a_request_without_the_token(
    env: Env, method: str, path: str, token: str | None
) -> None:
    env.control.place_call(CALLER, LINE)
    headers = {} if token is None else {TOKEN_HEADER: token}
    body = {"from": CALLER, "to": LINE, "number": "+8613800000000", "voice_url": "http://x"}
    response = httpx.request(
        method, f"{env.sim_url}/control{path}", headers=headers, json=body, timeout=10
    )
    assert response.status_code == 401
    assert CALLER not in response.text
    assert len(env.control.list_calls()) == 1  # nothing placed, nothing reset


def test_control_api_works_with_the_token(env: Env) -> None:
    headers = {TOKEN_HEADER: CONTROL_TOKEN}
    placed = httpx.post(
        f"{env.sim_url}/control/calls",
        json={"from": CALLER, "to": LINE},
        headers=headers,
        timeout=10,
    )
    assert placed.status_code == 201
    listed = httpx.get(f"{env.sim_url}/control/calls", headers=headers, timeout=10)
    assert [c["from"] for c in listed.json()] == [CALLER]


def test_the_page_passes_the_token_from_the_url_fragment(env: Env) -> None:
    page = httpx.get(f"{env.sim_url}/", timeout=10)
    assert page.status_code == 200
    assert CONTROL_TOKEN not in page.text  # the page holds no secret; its script reads #token=
    script = httpx.get(f"{env.sim_url}/static/simulator.js", timeout=10).text
    assert '"X-Simulator-Token": token' in script and "location.hash" in script


@pytest.mark.parametrize("peer", ["192.0.2.10", "10.0.0.7", "::ffff:192.0.2.10", "testclient"])
@pytest.mark.parametrize("path", ["/", "/control/calls", "/2010-04-01/Accounts.json"])
def test_a_peer_off_this_machine_is_refused_even_with_the_token(peer: str, path: str) -> None:
    app = create_simulator_app(
        SimulatorConfig(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            public_url="http://127.0.0.1:9/sim",
            control_token=CONTROL_TOKEN,
        )
    )

    async def get(client_host: str) -> httpx.Response:
        # The ASGI transport hands the app the peer address exactly as uvicorn would.
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
            return await http.get(path, headers={TOKEN_HEADER: CONTROL_TOKEN}, auth=None)

    assert asyncio.run(get(peer)).status_code == 403
    assert asyncio.run(get("127.0.0.1")).status_code != 403
    assert asyncio.run(get("::1")).status_code != 403
