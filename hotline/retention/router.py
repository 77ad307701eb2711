"""Admins: each line's retention period, legal holds on calls, and the subject-access export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import col, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, require_role
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.i18n import gettext_for
from hotline.lines.models import Line
from hotline.privacy import is_withheld
from hotline.retention import access
from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS, LegalHold

router = APIRouter(prefix="/api/admin", tags=["retention"])
AdminUser = Annotated[User, require_role(Role.admin)]


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=36500)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class SubjectAccessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=3, max_length=32, pattern=r"^\+?[\d\s()-]+$")

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        """Calls are hashed from E.164 (as Twilio sends it): 13812345678 finds +8613812345678."""
        return phone.e164_or_error(value)


def error_message(_: Callable[[str], str], code: str) -> str:
    return {
        "no_line": _("There is no such line."),
        "no_call": _("There is no such call."),
        "too_short": _("Records must be kept at least %(days)s days (3 years).")
        % {"days": MIN_RETENTION_DAYS},
        "already_held": _("This call is already under legal hold."),
        "not_held": _("This call is not under legal hold."),
        "withheld": _(
            "That is how a withheld caller ID arrives: many callers share it, so it cannot show "
            "what is held about one person."
        ),
    }.get(code, _("Something went wrong. Please try again."))


def _fail(user: User, error: retention.RetentionError) -> JSONResponse:
    _ = gettext_for(user.locale)
    return JSONResponse(
        {"code": error.code, "detail": error_message(_, error.code)}, status_code=error.status
    )


def _deps(request: Request) -> tuple[Database, Clock]:
    return request.app.state.db, request.app.state.clock


def _hold(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "call_id": hold.call_id,
        "reason": hold.reason,
        "set_by_id": hold.set_by_id,
        "set_at": hold.set_at.isoformat(),
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
    }


@router.get("/retention")
def list_retention(request: Request, user: AdminUser) -> dict[str, Any]:
    db, _clock = _deps(request)
    with db.session() as session:
        lines = list(session.exec(select(Line).order_by(col(Line.id))))
    return {
        "minimum_days": MIN_RETENTION_DAYS,
        "data": [
            {
                "line_id": line.id,
                "number": line.number,
                "name": line.name,
                "retention_days": retention.retention_days(line),
            }
            for line in lines
        ],
    }


@router.put("/lines/{line_id}/retention", dependencies=[CsrfChecked], response_model=None)
def set_retention(
    line_id: int, body: RetentionIn, request: Request, user: AdminUser
) -> Response | dict[str, Any]:
    db, _clock = _deps(request)
    try:
        with db.session() as session:
            line = retention.set_retention(session=session, line_id=line_id, days=body.days)
            record_request(
                request,
                action=AuditAction.edit,
                object_type="line",
                object_id=line_id,
                user=user,
                detail=f"retention_days={body.days}",
                session=session,
            )
            return {"line_id": line.id, "retention_days": line.retention_days}
    except retention.RetentionError as error:
        return _fail(user, error)


@router.get("/legal-holds")
def list_holds(request: Request, user: AdminUser) -> dict[str, Any]:
    db, _clock = _deps(request)
    with db.session() as session:
        holds = [_hold(hold) for hold in retention.active_holds(session=session)]
        record_request(
            request,
            action=AuditAction.view,
            object_type="legal_hold",
            user=user,
            detail=f"count={len(holds)}",
            session=session,
        )
    return {"data": holds, "count": len(holds)}


@router.post(
    "/calls/{call_id}/legal-hold", status_code=201, dependencies=[CsrfChecked], response_model=None
)
def place_hold(
    call_id: int, body: HoldIn, request: Request, user: AdminUser
) -> Response | dict[str, Any]:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            hold = retention.place_hold(
                session=session, call_id=call_id, user=user, reason=body.reason, now=clock.now()
            )
            record_request(
                request,
                action=AuditAction.edit,
                object_type="call",
                object_id=call_id,
                user=user,
                detail="legal hold placed",
                session=session,
            )
            return _hold(hold)
    except retention.RetentionError as error:
        return _fail(user, error)


@router.delete("/calls/{call_id}/legal-hold", dependencies=[CsrfChecked], response_model=None)
def release_hold(call_id: int, request: Request, user: AdminUser) -> Response | dict[str, Any]:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            hold = retention.release_hold(
                session=session, call_id=call_id, user=user, now=clock.now()
            )
            record_request(
                request,
                action=AuditAction.edit,
                object_type="call",
                object_id=call_id,
                user=user,
                detail="legal hold released",
                session=session,
            )
            return _hold(hold)
    except retention.RetentionError as error:
        return _fail(user, error)


@router.post("/subject-access", dependencies=[CsrfChecked])
def subject_access(body: SubjectAccessIn, request: Request, user: AdminUser) -> Response:
    """Everything held about one number, as a JSON file. The number is in the body only."""
    db, clock = _deps(request)
    settings: Settings = request.app.state.settings
    now = clock.now()
    if is_withheld(body.number):  # its records are many strangers' records
        return _fail(user, retention.RetentionError("withheld", 422))
    with db.session() as session:
        export = access.subject_access(
            session=session, secret=settings.secret_key, number=body.number, now=now
        )
        record_request(
            request,
            action=AuditAction.export,
            object_type="subject_access",
            user=user,
            detail=f"calls={export['count']['calls']} blocklist={export['count']['blocklist']}",
            session=session,
        )
    filename = f"subject-access-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
