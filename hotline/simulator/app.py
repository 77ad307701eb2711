"""The simulator as an ASGI app: Twilio's REST subset, the control API and the page.

Mounted inside hotline (``main_app.mount("/sim", create_simulator_app(config))``, with
``config.public_url`` ending in /sim) or served on its own::

    uvicorn --factory hotline.simulator.app:from_env

Every request from a peer that is not loopback gets a 403: the simulator stands in for the phone
network, and nobody off this machine may play it. The control API also wants the control token.

Point the real twilio library at it with::

    client = twilio.rest.Client(config.account_sid, config.auth_token)
    client.api.base_url = config.public_url

A mounted app gets no lifespan events, so background work starts on first use; the host may call
``await sim_app.state.simulator.aclose()`` at shutdown, and otherwise the tasks are cancelled
when the event loop closes.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.simulator.config import SimulatorConfig
from hotline.simulator.control import control_router
from hotline.simulator.engine import Simulator, SimulatorError
from hotline.simulator.push import push_router
from hotline.simulator.rest import rest_router, twilio_error
from hotline.simulator.wechat import wechat_router

__all__ = ["SimulatorConfig", "create_simulator_app", "from_env"]

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackOnly:
    """403 for any peer off this machine (mounted in hotline, whatever address it listens on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and not is_loopback(client and client[0]):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            response = PlainTextResponse("the simulator answers this machine only", 403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_simulator_app(config: SimulatorConfig) -> FastAPI:
    sim = Simulator(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.aclose()

    app = FastAPI(
        title="hotline Twilio simulator",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.simulator = sim

    async def simulator_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SimulatorError)
        return twilio_error(exc.status, exc.code, str(exc))

    app.add_exception_handler(SimulatorError, simulator_error)
    app.include_router(rest_router(sim))
    app.include_router(control_router(sim))
    push, app.state.push_service = push_router(config)  # the web push service (push.py)
    app.include_router(push)
    wechat, app.state.wechat_platform = wechat_router(config)  # WeChat's platform (wechat.py)
    app.include_router(wechat)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="simulator-static")
    app.add_middleware(LoopbackOnly)
    log.info("simulator ready at %s (time scale %s)", config.base_url, config.time_scale)
    return app


def from_env() -> FastAPI:
    """Standalone: settings from HOTLINE_SIM_* environment variables (for uvicorn --factory).

    Without HOTLINE_SIM_CONTROL_TOKEN a token is made up and logged once.
    """
    env = os.environ
    token = env.get("HOTLINE_SIM_CONTROL_TOKEN") or secrets.token_urlsafe(24)
    if "HOTLINE_SIM_CONTROL_TOKEN" not in env:
        log.warning("simulator control token (X-Simulator-Token): %s", token)
    return create_simulator_app(
        SimulatorConfig(
            account_sid=env.get("HOTLINE_SIM_ACCOUNT_SID", "AC" + "0" * 32),
            auth_token=env.get("HOTLINE_SIM_AUTH_TOKEN", "simulator-token"),
            public_url=env.get("HOTLINE_SIM_PUBLIC_URL", "http://127.0.0.1:8765"),
            control_token=token,
            time_scale=float(env.get("HOTLINE_SIM_TIME_SCALE", "1.0")),
            gather_time_scale=float(env.get("HOTLINE_SIM_GATHER_TIME_SCALE", "1.0")),
        )
    )
