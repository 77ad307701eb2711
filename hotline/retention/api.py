"""Admins: each line's retention period, legal holds on calls, and the subject-access export
(JSON, each in the request's unit of work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.retention import admin as records
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


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/retention")
def list_retention(user: AdminUser, session: SessionDep) -> RetentionListOut:
    return RetentionListOut(
        minimum_days=MIN_RETENTION_DAYS,
        data=[
            LineRetentionOut(line_id=p.line_id, number=p.number, name=p.name, retention_days=p.days)
            for p in records.line_periods(session=session)
        ],
    )


@router.put("/lines/{line_id}/retention", dependencies=[CsrfChecked])
def set_retention(
    line_id: int, body: RetentionIn, request: Request, user: AdminUser, session: SessionDep
) -> RetentionSetOut:
    line = records.set_retention(
        session=session,
        line_id=line_id,
        days=body.days,
        actor=user,
        now=_clock(request).now(),
        via=records.VIA_API,
        ip=_ip(request),
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
    hold = records.place_hold(
        session=session,
        call_id=call_id,
        reason=body.reason,
        actor=user,
        now=_clock(request).now(),
        via=records.VIA_API,
        ip=_ip(request),
    )
    return LegalHoldOut.of(hold)


@router.delete("/calls/{call_id}/legal-hold", dependencies=[CsrfChecked])
def release_hold(
    call_id: int, request: Request, user: AdminUser, session: SessionDep
) -> LegalHoldOut:
    hold = records.release_hold(
        session=session,
        call_id=call_id,
        actor=user,
        now=_clock(request).now(),
        via=records.VIA_API,
        ip=_ip(request),
    )
    return LegalHoldOut.of(hold)


@router.post("/subject-access", dependencies=[CsrfChecked])
def subject_access(
    body: SubjectAccessIn, request: Request, user: AdminUser, session: SessionDep
) -> Response:
    """Everything held about one number, as a JSON file. The number is in the body only."""
    settings: Settings = request.app.state.settings
    now = _clock(request).now()
    export = records.export(
        session=session,
        secret=settings.secret_key,
        number=body.number,
        actor=user,
        now=now,
        via=records.VIA_API,
        reason=body.reason,
        ip=_ip(request),
    )
    return records.export_response(export, now)
