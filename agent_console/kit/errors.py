"""The one error page: a `DomainError`, or a refusal (403, 404), met while serving a browser's
page or form. Scripts calling the JSON API get JSON, as from the core's handlers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from agent_console.kit.render import render
from hotline.errors import DomainError, domain_error, request_gettext


def wants_page(request: Request) -> bool:
    """A browser navigating (a page or a form post), not a script calling the JSON API."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def domain_error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not wants_page(request):
        return await domain_error(request, exc)
    _ = request_gettext(request)
    return render(
        request,
        "error.html",
        user=getattr(request.state, "user", None),
        status_code=exc.status,
        message=exc.message(_),
        errors={path: exc.text_for(code, _) for path, code in exc.errors.items()},
    )


async def refusal_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code not in (403, 404) or not wants_page(request):
        return await http_exception_handler(request, exc)
    _ = request_gettext(request)
    message = (
        _("Your role does not give access to this page.")
        if exc.status_code == 403
        else _("There is no such page or record.")
    )
    return render(
        request,
        "error.html",
        user=getattr(request.state, "user", None),
        status_code=exc.status_code,
        message=message,
        errors={},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_page)
    app.add_exception_handler(HTTPException, refusal_page)
