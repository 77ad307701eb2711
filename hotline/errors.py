"""Error responses that never echo what the client sent, and never a 500 for bad input.

FastAPI's default answer to a malformed request repeats each rejected value (``"input"``), which
for a sign-in form is the password and for a note the caller's number or words. These handlers
answer with where and why only. Input the database cannot hold (an id beyond its integer range)
is the client's error: 400, nothing written. An unexpected exception gets a plain 500 with no
detail (Starlette re-raises it to the server, which logs the traceback; `hotline.logs` scrubs
that record).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError

from hotline.i18n import gettext_for, negotiate
from hotline.query_filters import BadFilter


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


async def bad_filter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadFilter)
    _ = gettext_for(negotiate(request.headers.get("accept-language")))
    message = _("The filter %(name)s has a value it cannot take.") % {"name": exc.name}
    return PlainTextResponse(message, status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    # SQLite's driver raises OverflowError for integers beyond 64 bits; PostgreSQL, DataError.
    app.add_exception_handler(OverflowError, value_out_of_range)
    app.add_exception_handler(DataError, value_out_of_range)
    app.add_exception_handler(BadFilter, bad_filter)
    app.add_exception_handler(Exception, unexpected_error)
