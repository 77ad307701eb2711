"""The one error page: a `DomainError` met while serving a browser's page or form."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

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


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_page)
