"""The simulator as an ASGI app: Twilio's REST subset, the control API and the page.

Mounted inside hotline (``main_app.mount("/sim", create_simulator_app(config))``, with
``config.public_url`` ending in /sim) or served on its own::

    uvicorn --factory hotline.simulator.app:from_env

Point the real twilio library at it with::

    client = twilio.rest.Client(config.account_sid, config.auth_token)
    client.api.base_url = config.public_url

A mounted app gets no lifespan events, so background work starts on first use; the host may call
``await sim_app.state.simulator.aclose()`` at shutdown, and otherwise the tasks are cancelled
when the event loop closes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from hotline.simulator.config import SimulatorConfig
from hotline.simulator.control import control_router
from hotline.simulator.engine import Simulator, SimulatorError
from hotline.simulator.rest import rest_router, twilio_error

__all__ = ["SimulatorConfig", "create_simulator_app", "from_env"]

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


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
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="simulator-static")
    log.info("simulator ready at %s (time scale %s)", config.base_url, config.time_scale)
    return app


def from_env() -> FastAPI:
    """Standalone: settings from HOTLINE_SIM_* environment variables (for uvicorn --factory)."""
    env = os.environ
    return create_simulator_app(
        SimulatorConfig(
            account_sid=env.get("HOTLINE_SIM_ACCOUNT_SID", "AC" + "0" * 32),
            auth_token=env.get("HOTLINE_SIM_AUTH_TOKEN", "simulator-token"),
            public_url=env.get("HOTLINE_SIM_PUBLIC_URL", "http://127.0.0.1:8765"),
            time_scale=float(env.get("HOTLINE_SIM_TIME_SCALE", "1.0")),
            gather_time_scale=float(env.get("HOTLINE_SIM_GATHER_TIME_SCALE", "1.0")),
        )
    )
