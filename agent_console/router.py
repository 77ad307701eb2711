"""Console pages: sign-in, sign-out, the counselor workspace."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from agent_console.pages import remember_locale, render, translator
from agent_console.strings import js_strings
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth import service as auth
from hotline.auth.deps import check_csrf, sign_in, sign_out, user_from_connection
from hotline.routing import service as routing
from hotline.routing.models import AgentState

router = APIRouter(tags=["console"])


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    target = "/console" if user_from_connection(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    remember_locale(request)
    return render(request, "login.html", error=None)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)

    def authenticate() -> object:
        database = request.app.state.db
        with database.session() as session:
            return auth.authenticate(session=session, username=username, password=password)

    user = await run_in_threadpool(authenticate)
    if user is None:
        await run_in_threadpool(
            record_request,
            request,
            action=AuditAction.sign_in_failed,
            object_type="session",
            username=username,
        )
        _ = translator(request)
        return render(
            request, "login.html", status_code=401, error=_("Wrong username or password.")
        )
    sign_in(request, user)  # type: ignore[arg-type]
    await run_in_threadpool(
        record_request,
        request,
        action=AuditAction.sign_in,
        object_type="session",
        user=user,  # type: ignore[arg-type]
    )
    return RedirectResponse("/console", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    user = user_from_connection(request)
    if user is not None:
        # Nobody should be offered calls once they have left; mid-call they stay as they are.
        dispatcher = request.app.state.dispatcher
        with dispatcher.db.session() as session, contextlib.suppress(routing.RoutingError):
            routing.set_presence(
                session=session,
                user=user,
                state=AgentState.offline,
                reason=None,
                now=dispatcher.clock.now(),
            )
        record_request(request, action=AuditAction.sign_out, object_type="session", user=user)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/console")
def console(request: Request) -> Response:
    remember_locale(request)
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    _ = translator(request, user)
    config = {
        "ws_path": "/ws/console",
        "locale": request.session.get("locale") or user.locale,
        "strings": js_strings(_),
    }
    return render(request, "console.html", user=user, config=config)
