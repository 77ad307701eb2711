"""The application factory: one FastAPI app with its database, bus, dispatcher, job worker and
telephony."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

import agent_console.routes
import hotline.realtime.events  # noqa: F401 - registers the after-commit publisher
from hotline import api_docs, crypto, errors, jobs, logs, phone
from hotline.blocklist.api import router as blocklist_api
from hotline.board.api import router as board_router
from hotline.callcontrol.api import router as callcontrol_api
from hotline.cases.api import router as cases_api
from hotline.clock import Clock, SystemClock
from hotline.config import Settings, get_settings
from hotline.conversations.api import router as conversations_api
from hotline.conversations.openings import Openings
from hotline.conversations.webhooks import router as conversations_webhooks
from hotline.db import Database, make_engine
from hotline.dialback.api import router as dialback_api
from hotline.dialback.webhooks import router as dialback_webhooks
from hotline.directory.api import router as directory_api
from hotline.escalation.api import router as escalation_api
from hotline.escalation.webhooks import router as escalation_webhooks
from hotline.followups.api import router as followups_api
from hotline.lines.prompts_api import router as line_prompts_api
from hotline.linkage.api import router as linkage_api
from hotline.notes.api import router as notes_router
from hotline.push.api import router as push_api
from hotline.quickreplies.api import router as quick_replies_api
from hotline.realtime.bus import make_bus
from hotline.retention.api import router as retention_api
from hotline.review.api import router as review_api
from hotline.rota.api import router as rota_api
from hotline.routing.engine import Dispatcher
from hotline.security_headers import SecurityHeaders
from hotline.softphone.api import router as softphone_api
from hotline.stats.api import router as stats_api
from hotline.supervision.api import router as supervision_api
from hotline.telephony.guard import WebhookGuard
from hotline.telephony.port import TelephonyPort
from hotline.telephony.router import router as telephony_router
from hotline.voicemail.api import router as voicemail_api
from hotline.wechat.webhooks import router as wechat_webhooks

log = logging.getLogger(__name__)


def create_served_app() -> FastAPI:
    """The app `hotline serve` runs: what is built before serving (the modules, the app, the
    catalogs) lives as long as the process, so it is kept out of the garbage collector's full
    passes. Those scanned it all and stopped the server 0.2-0.3 s at a time under 200 web chats
    (scripts/bench_webchat.py); a test's apps are not frozen, since they do not live as long."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.install_scrubbing()
    clock = clock or SystemClock()
    crypto.configure(crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env))
    phone.configure(settings.default_region)
    bus = make_bus(settings.redis_url)
    db = Database(make_engine(settings.database_url), bus)
    telephony = TelephonyPort(settings)
    dispatcher = Dispatcher(db=db, clock=clock, settings=settings, telephony=telephony)
    # Every feature's timers, on one scheduler; the dispatcher's kick() wakes the engine's.
    worker = jobs.Worker(dispatcher.context(), jobs.registry().jobs)
    dispatcher.worker = worker

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        if settings.run_engine:
            worker.start()
        try:
            yield
        finally:
            worker.stop()  # first: a running job may still hand work to the dispatcher's pool
            dispatcher.stop()
            await bus.stop()
            db.engine.dispose()

    docs = settings.docs_enabled
    app = FastAPI(
        title="hotline",
        lifespan=lifespan,
        docs_url=None,  # ours, under the app's CSP: hotline/api_docs.py
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        api_docs.install(app)
    app.state.settings = settings
    app.state.clock = clock
    app.state.bus = bus
    app.state.db = db
    app.state.telephony = telephony
    app.state.dispatcher = dispatcher
    app.state.worker = worker
    app.state.webchat_openings = Openings(
        secret=settings.secret_key, limit=settings.webchats_per_address
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="hotline_session",
        # The cookie outlives no session; the session itself is checked on the server.
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.public_base_url.startswith("https://"),
    )
    app.add_middleware(SecurityHeaders, hsts=settings.public_base_url.startswith("https://"))
    # Outermost of ours: an overloaded instance sheds incoming calls before any other work.
    app.add_middleware(WebhookGuard, settings=settings, degraded=dispatcher.degraded)
    errors.install(app)
    app.include_router(telephony_router)
    app.include_router(notes_router)
    app.include_router(directory_api)
    app.include_router(followups_api)
    app.include_router(cases_api)
    app.include_router(voicemail_api)
    app.include_router(line_prompts_api)
    app.include_router(stats_api)
    app.include_router(review_api)
    app.include_router(rota_api)
    app.include_router(escalation_api)
    app.include_router(escalation_webhooks)
    app.include_router(conversations_webhooks)
    app.include_router(push_api)
    app.include_router(linkage_api)
    app.include_router(retention_api)
    app.include_router(blocklist_api)
    app.include_router(supervision_api)
    app.include_router(board_router)
    app.include_router(callcontrol_api)
    app.include_router(wechat_webhooks)
    app.include_router(dialback_api)
    app.include_router(dialback_webhooks)
    app.include_router(softphone_api)
    app.include_router(conversations_api)
    app.include_router(quick_replies_api)
    agent_console.routes.include(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness: the process answers (it still forwards callers with the database down)."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: the database answers; 503 tells a load balancer to send traffic elsewhere."""
        try:
            with db.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("not ready: the database does not answer (%s)", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "up"})

    if settings.telephony_mode == "simulator" and settings.simulator_embedded:
        from hotline.simulator.app import SimulatorConfig, create_simulator_app

        if "simulator_control_token" not in settings.model_fields_set:
            # Made up for this start (development only: production refuses simulator mode).
            log.warning(
                "simulator at %s/ wants X-Simulator-Token: %s",
                settings.simulator_url.rstrip("/"),
                settings.simulator_control_token,
            )
        app.mount(
            "/sim",
            create_simulator_app(
                SimulatorConfig(
                    account_sid=settings.twilio_account_sid,
                    auth_token=settings.twilio_auth_token,
                    public_url=settings.simulator_url,
                    control_token=settings.simulator_control_token,
                )
            ),
        )
    return app
