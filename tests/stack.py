"""The system under test, assembled from real parts: the app and the Twilio simulator, each under
uvicorn on its own loopback port, a migrated database, and an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from hotline.app import create_app
from hotline.clock import FakeClock
from hotline.config import Settings
from hotline.db import Database
from hotline.routing.engine import Dispatcher
from tests.servers import ServerThread, bind_free_socket

AUTH_TOKEN = "test-auth-token-0123456789"
ACCOUNT_SID = "AC" + "1" * 32
SIM_TOKEN = "test-simulator-control-token-0123"


@dataclass
class Stack:
    settings: Settings
    app: Any
    server: ServerThread
    clock: FakeClock
    simulator: Any = None  # SimulatorControl when the simulator runs
    simulator_server: ServerThread | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db(self) -> Database:
        database: Database = self.app.state.db
        return database

    @property
    def dispatcher(self) -> Dispatcher:
        dispatcher: Dispatcher = self.app.state.dispatcher
        return dispatcher

    def sign(self, path: str, params: dict[str, str]) -> str:
        return RequestValidator(AUTH_TOKEN).compute_signature(self.url + path, params)

    def webhook(
        self, path: str, params: dict[str, str], *, signature: str | None = None
    ) -> httpx.Response:
        """POST a webhook exactly as Twilio would, signed unless a signature is given."""
        headers = {
            "X-Twilio-Signature": self.sign(path, params) if signature is None else signature
        }
        return httpx.post(self.url + path, data=params, headers=headers, timeout=10)


def make_settings(
    database_url: str, app_port: int, simulator_port: int | None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "public_base_url": f"http://127.0.0.1:{app_port}",
        "simulator_url": f"http://127.0.0.1:{simulator_port or 9}",
        "simulator_embedded": False,
        # The app's browser-phone adapter forwards to the simulator's control API with it.
        "simulator_control_token": SIM_TOKEN,
        "telephony_mode": "simulator",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "secret_key": "test-secret-key-that-is-long-enough-000",
        "redis_url": None,
        # Kicks run the engine at once; the interval only catches what no kick announced.
        "engine_interval_s": 0.5,
        # A loaded CI machine must not turn a test's incoming call into an overload fallback.
        "webhook_wait_s": 5.0,
        # Feature suites sign supervisors and admins in with a password only; the two-step
        # sign-in that production requires of them is tested in tests/security with
        # totp_roles=["supervisor", "admin"] (the default).
        "totp_roles": [],
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running_stack(
    database_url: str,
    *,
    with_simulator: bool = True,
    gather_time_scale: float = 0.0,
    **overrides: Any,
) -> Iterator[Stack]:
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # 3 a.m., when it matters
    app_sock = bind_free_socket()
    simulator_server: ServerThread | None = None
    control = None
    if with_simulator:
        from hotline.simulator.app import SimulatorConfig, create_simulator_app
        from hotline.simulator.client import SimulatorControl

        sim_sock = bind_free_socket()
        sim_port = sim_sock.getsockname()[1]
        simulator = create_simulator_app(
            SimulatorConfig(
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                public_url=f"http://127.0.0.1:{sim_port}",
                time_scale=0.0,
                gather_time_scale=gather_time_scale,
                control_token=SIM_TOKEN,
            )
        )
        simulator_server = ServerThread(simulator, sim_sock).start()
        control = SimulatorControl(simulator_server.url, SIM_TOKEN)
    settings = make_settings(
        database_url,
        app_sock.getsockname()[1],
        simulator_server.port if simulator_server else None,
        **overrides,
    )
    app = create_app(settings, clock=clock)
    server = ServerThread(app, app_sock).start()
    stack = Stack(
        settings=settings,
        app=app,
        server=server,
        clock=clock,
        simulator=control,
        simulator_server=simulator_server,
    )
    try:
        yield stack
    finally:
        server.stop()
        if simulator_server is not None:
            simulator_server.stop()
