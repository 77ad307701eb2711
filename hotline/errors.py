"""Error responses that never echo what the client sent.

FastAPI's default answer to a malformed request repeats each rejected value (``"input"``), which
for a sign-in form is the password and for a note the caller's number or words. These handlers
answer with where and why only. An unexpected exception gets a plain 500 with no detail (Starlette
re-raises it to the server, which logs the traceback; `hotline.logs` scrubs that record).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
