"""Bulk import of volunteers (`/admin/users/import`): upload a CSV or XLSX file, read the dry run
(every row's problems, nothing written), then confirm a clean file to create the accounts.

The rules are in `hotline.auth.importing`. Between the dry run and the confirmation the rows
travel in the confirmation form (the admin's own data, behind the CSRF token) and are checked
again on confirmation: what the dry run showed may have changed meanwhile (a username taken).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth import importing
from hotline.auth.admin import PeopleError
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.importing import ImportFileError, RowCheck
from hotline.auth.models import Role, User
from hotline.db import SessionDep

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]


def _page(
    request: Request,
    user: User,
    *,
    checked: list[RowCheck] | None = None,
    created: list[tuple[User, str]] | None = None,
    file_error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    rows = [_row_view(row, _) for row in checked or []]
    clean = bool(rows) and not any(row["problems"] for row in rows)
    payload = json.dumps([row.values for row in checked or []], ensure_ascii=False)
    return render(
        request,
        "admin_import.html",
        user=user,
        columns=importing.COLUMNS,
        required=importing.REQUIRED,
        sample=f"{importing.SAMPLE_HEADER}\n{importing.SAMPLE_ROW}",
        rows=rows,
        problem_count=sum(1 for row in rows if row["problems"]),
        clean=clean,
        payload=payload if clean else "",
        created=created,
        file_error=file_error,
        status_code=status_code,
    )


def _row_view(row: RowCheck, _: Callable[[str], str]) -> dict[str, Any]:
    return {
        "number": row.number,
        "values": row.values,
        "problems": {
            column: importing.problem_text(code, _) for column, code in row.problems.items()
        },
    }


@router.get("/admin/users/import", include_in_schema=False)
def import_page(request: Request, user: Admin) -> Response:
    remember_locale(request)
    return _page(request, user)


@router.post("/admin/users/import", include_in_schema=False)
def dry_run(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The dry run: every row's problems; nothing is written."""
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    data = file.file.read(importing.MAX_BYTES + 1) if file is not None else b""
    try:
        rows = importing.read_table(file.filename or "" if file is not None else "", data)
    except ImportFileError as failure:
        return _page(request, user, file_error=failure.message(_), status_code=failure.status)
    return _page(request, user, checked=importing.check_rows(session=session, rows=rows))


def _payload(text: str) -> list[dict[str, str]]:
    try:
        rows = json.loads(text)
    except ValueError:
        raise ImportFileError("unreadable") from None
    if not isinstance(rows, list) or not rows or len(rows) > importing.MAX_ROWS:
        raise ImportFileError("unreadable")
    if not all(isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) for r in rows):
        raise ImportFileError("unreadable")
    return rows


@router.post("/admin/users/import/confirm", include_in_schema=False)
def confirm_import(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    payload: Annotated[str, Form()] = "",
) -> Response:
    """Create every account of a clean dry run; their temporary passwords are shown once."""
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    try:
        rows = _payload(payload)
        created = importing.import_rows(
            session=session,
            rows=rows,
            actor=user,
            now=request.app.state.clock.now(),
            ip=request.client.host if request.client else None,
        )
    except ImportFileError as failure:
        return _page(request, user, file_error=failure.message(_), status_code=failure.status)
    except PeopleError as failure:  # a row went wrong since the dry run: show it, write nothing
        checked = importing.check_rows(session=session, rows=rows)
        return _page(request, user, checked=checked, status_code=failure.status)
    response = _page(request, user, created=created)
    response.headers["Cache-Control"] = "no-store"  # the temporary passwords, shown once
    return response
