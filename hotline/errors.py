"""The one domain error, and error responses that never echo what the client sent.

`DomainError` is the base of every refusal the domain gives (a call no longer offered, a note
already submitted, a rota change that leaves a gap): an HTTP status, a stable `code` for programs,
and a message translated into the reader's language where it is shown. Each feature subclasses it
once, with its codes' messages marked by `N_`; the handler here renders it as JSON, and the
console installs its own that renders a page for a browser (`agent_console/kit/errors.py`).


FastAPI's default answer to a malformed request repeats each rejected value (``"input"``), which
for a sign-in form is the password and for a note the caller's number or words. These handlers
answer with where and why only. Input the database cannot hold (an id beyond its integer range)
is the client's error: 400, nothing written. An unexpected exception gets a plain 500 with no
detail (Starlette re-raises it to the server, which logs the traceback; `hotline.logs` scrubs
that record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError

from hotline.i18n import LOCALES, N_, Gettext, gettext_for, negotiate


class DomainError(Exception):
    """A request the domain refuses. Subclasses set `messages` (code -> `N_` message) and may
    change the default `status`; `errors` maps a field's path to a code of the same table."""

    status: int = 409
    messages: ClassVar[Mapping[str, str]] = {}
    fallback: ClassVar[str] = N_("This cannot be done now.")

    def __init__(
        self,
        code: str,
        status: int | None = None,
        *,
        errors: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        if status is not None:
            self.status = status
        self.errors = dict(errors or {})
        self.params = dict(params or {})

    def text_for(self, code: str, _: Gettext) -> str:
        text = _(self.messages.get(code, self.fallback))
        return text % self.params if self.params else text

    def message(self, _: Gettext) -> str:
        return self.text_for(self.code, _)

    def body(self, _: Gettext) -> dict[str, Any]:
        """The JSON answer: what went wrong, in words and as codes, field by field."""
        body: dict[str, Any] = {"code": self.code, "detail": self.message(_)}
        if self.errors:
            body["errors"] = {path: self.text_for(code, _) for path, code in self.errors.items()}
        return body


def request_locale(request: Request) -> str:
    """The reader's language: the one chosen in this session, the signed-in user's (kept on
    `request.state.user` by the user dependencies), or the browser's."""
    chosen = request.session.get("locale") if "session" in request.scope else None
    if isinstance(chosen, str) and chosen in LOCALES:
        return chosen
    user = getattr(request.state, "user", None)
    locale = getattr(user, "locale", None)
    if isinstance(locale, str) and locale in LOCALES:
        return locale
    return negotiate(request.headers.get("accept-language"))


def request_gettext(request: Request) -> Gettext:
    """Translations into the reader's language (`request_locale`)."""
    return gettext_for(request_locale(request))


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(request_gettext(request)), status_code=exc.status)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def value_out_of_range(request: Request, _error: Exception) -> JSONResponse:
    _ = gettext_for(negotiate(request.headers.get("accept-language")))
    return JSONResponse(
        {"code": "out_of_range", "detail": _("A value in the request is out of range.")},
        status_code=400,
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DomainError, domain_error)
    # SQLite's driver raises OverflowError for integers beyond 64 bits; PostgreSQL, DataError.
    app.add_exception_handler(OverflowError, value_out_of_range)
    app.add_exception_handler(DataError, value_out_of_range)
    app.add_exception_handler(Exception, unexpected_error)
