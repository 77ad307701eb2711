"""Input the database cannot hold (an id beyond its integer range, say) is the client's error,
answered 400 with nothing written, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from hotline.i18n import gettext_for, negotiate


async def value_out_of_range(request: Request, _error: Exception) -> JSONResponse:
    _ = gettext_for(negotiate(request.headers.get("accept-language")))
    return JSONResponse(
        {"code": "out_of_range", "detail": _("A value in the request is out of range.")},
        status_code=400,
    )


def install(app: FastAPI) -> None:
    # SQLite's driver raises OverflowError for integers beyond 64 bits; PostgreSQL, DataError.
    app.add_exception_handler(OverflowError, value_out_of_range)
    app.add_exception_handler(DataError, value_out_of_range)
