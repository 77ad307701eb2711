"""Fixtures for the simulator tests (helpers live in simtools.py, kept self-contained)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from simtools import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONTROL_TOKEN,
    Env,
    EnvFactory,
    Recorder,
    bound_socket,
    customer_app,
    serve,
)
from twilio.rest import Client

from hotline.simulator.app import SimulatorConfig, create_simulator_app
from hotline.simulator.client import SimulatorControl


def start_env(stack: contextlib.ExitStack, **overrides: Any) -> Env:
    """Serve the customer app with a simulator mounted at /sim; config overrides as kwargs."""
    sock = bound_socket()
    host, port = sock.getsockname()
    base = f"http://{host}:{port}"
    recorder = Recorder()
    app = customer_app(recorder, base)
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "public_url": f"{base}/sim",
        "time_scale": 0.0,
        "gather_time_scale": 1.0,
        "hold_refetch_min_s": 5.0,
        "control_token": CONTROL_TOKEN,
    }
    settings.update(overrides)
    app.mount("/sim", create_simulator_app(SimulatorConfig(**settings)))
    stack.enter_context(serve(app, sock))
    control = stack.enter_context(SimulatorControl(f"{base}/sim", CONTROL_TOKEN))
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.api.base_url = f"{base}/sim"
    env = Env(base, f"{base}/sim", recorder, control, client)
    env.register_line()
    return env


@pytest.fixture(scope="session")
def shared_env() -> Iterator[Env]:
    """One server for the tests that use the default settings (a server costs ~0.3 s)."""
    with contextlib.ExitStack() as stack:
        yield start_env(stack)


@pytest.fixture
def env(shared_env: Env) -> Env:
    """The shared server, emptied: no calls, conferences, messages, phone settings or hooks."""
    shared_env.control.reset(numbers=True)
    shared_env.recorder.clear()
    shared_env.register_line()
    return shared_env


@pytest.fixture
def make_env() -> Iterator[EnvFactory]:
    """A server of its own with other settings: ``make_env(gather_time_scale=0)``."""
    with contextlib.ExitStack() as stack:
        yield lambda **overrides: start_env(stack, **overrides)
