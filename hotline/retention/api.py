"""Admins: each line's retention period, legal holds on calls, and the subject-access export
(JSON, each in the request's unit of work)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.lines.models import Line
from hotline.privacy import is_withheld
from hotline.retention import access
from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS
from hotline.retention.schemas import (
    HoldIn,
    LegalHoldListOut,
    LegalHoldOut,
    LineRetentionOut,
    RetentionIn,
    RetentionListOut,
    RetentionSetOut,
    SubjectAccessIn,
)

router = APIRouter(prefix="/api/admin", tags=["retention"])
AdminUser = Annotated[User, Depends(RequireRole(Role.admin))]


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


@router.get("/retention")
def list_retention(user: AdminUser, session: SessionDep) -> RetentionListOut:
    lines = session.exec(select(Line).order_by(col(Line.id)))
    return RetentionListOut(
        minimum_days=MIN_RETENTION_DAYS,
        data=[LineRetentionOut.of(line, retention.retention_days(line)) for line in lines],
    )


@router.put("/lines/{line_id}/retention", dependencies=[CsrfChecked])
def set_retention(
    line_id: int, body: RetentionIn, request: Request, user: AdminUser, session: SessionDep
) -> RetentionSetOut:
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
    return RetentionSetOut(line_id=line.id or 0, retention_days=line.retention_days)


@router.get("/legal-holds")
def list_holds(request: Request, user: AdminUser, session: SessionDep) -> LegalHoldListOut:
    holds = [LegalHoldOut.of(hold) for hold in retention.active_holds(session=session)]
    record_request(
        request,
        action=AuditAction.view,
        object_type="legal_hold",
        user=user,
        detail=f"count={len(holds)}",
        session=session,
    )
    return LegalHoldListOut(data=holds, count=len(holds))


@router.post("/calls/{call_id}/legal-hold", status_code=201, dependencies=[CsrfChecked])
def place_hold(
    call_id: int, body: HoldIn, request: Request, user: AdminUser, session: SessionDep
) -> LegalHoldOut:
    hold = retention.place_hold(
        session=session, call_id=call_id, user=user, reason=body.reason, now=_clock(request).now()
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
    return LegalHoldOut.of(hold)


@router.delete("/calls/{call_id}/legal-hold", dependencies=[CsrfChecked])
def release_hold(
    call_id: int, request: Request, user: AdminUser, session: SessionDep
) -> LegalHoldOut:
    hold = retention.release_hold(
        session=session, call_id=call_id, user=user, now=_clock(request).now()
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
    return LegalHoldOut.of(hold)


@router.post("/subject-access", dependencies=[CsrfChecked])
def subject_access(
    body: SubjectAccessIn, request: Request, user: AdminUser, session: SessionDep
) -> Response:
    """Everything held about one number, as a JSON file. The number is in the body only."""
    settings: Settings = request.app.state.settings
    now = _clock(request).now()
    if is_withheld(body.number):  # its records are many strangers' records
        raise retention.RetentionError("withheld", 422)
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
