"""Cases as JSON under /api/cases: the list (crisis team, supervisors), one case, opening one
from a live contact (/api/calls/{id}/case), its tier, flags and summary, the safety plan,
and closing it.

Who sees what is decided in `hotline.cases.service`; these routes parse, audit and answer. Every
view is in the audit log, every change with what it was before and after (never the text).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser, RequireRole
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.cases import service as cases
from hotline.cases.schemas import (
    CaseClose,
    CaseFlags,
    CaseList,
    CaseOpen,
    CaseOut,
    CaseTierSet,
    SafetyPlanSave,
)
from hotline.cases.service import PAGE_SIZE, CaseError
from hotline.db import SessionDep
from hotline.realtime.events import agent_topic, emit

router = APIRouter(tags=["cases"])
Reader = Annotated[User, Depends(RequireRole(*cases.READERS))]
Closer = Annotated[User, Depends(RequireRole(*cases.CLOSERS))]


def audit(
    request: Request,
    session: Session,
    user: User,
    action: AuditAction,
    object_id: int | None = None,
    detail: str | None = None,
    object_type: str = "case",
) -> None:
    record_request(
        request,
        action=action,
        object_type=object_type,
        object_id=object_id,
        user=user,
        detail=detail,
        session=session,
    )


def _answer(
    request: Request, response: Response, session: Session, user: User, case_id: int
) -> CaseOut:
    """The case as it is now, its view audited."""
    case = cases.get(session=session, case_id=case_id, user=user)
    out = cases.detail(session=session, case=case)
    audit(request, session, user, AuditAction.view, case_id)
    response.headers["Cache-Control"] = "no-store"
    return out


@router.get("/api/cases", response_model=CaseList)
def list_api(
    request: Request,
    response: Response,
    user: Reader,
    session: SessionDep,
    tier: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> CaseList:
    rows, total = cases.search(
        session=session,
        tier=tier or None,
        status=status or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    audit(
        request, session, user, AuditAction.view, None, f"tier={tier} status={status}", "case_list"
    )
    response.headers["Cache-Control"] = "no-store"
    return CaseList(data=rows, count=total, page=page)


@router.post("/api/calls/{call_id}/case", dependencies=[CsrfChecked], response_model=CaseOut)
def open_api(
    call_id: int,
    body: CaseOpen,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> CaseOut:
    """Open the case of the caller on this call (or find the one they have)."""
    call = session.get(Call, call_id)
    if call is None:
        raise CaseError("not_found", 404)
    case, opened = cases.open_from_call(
        session=session,
        call=call,
        user=user,
        secret=request.app.state.settings.secret_key,
        reason=body.reason,
        now=request.app.state.clock.now(),
    )
    assert case.id is not None
    audit(request, session, user, AuditAction.edit, case.id, "opened" if opened else "found")
    if user.id is not None:  # the console shows the case at once
        emit(session, agent_topic(user.id))
    return _answer(request, response, session, user, case.id)


@router.get("/api/cases/{case_id}", response_model=CaseOut)
def get_api(
    case_id: int, request: Request, response: Response, user: CurrentUser, session: SessionDep
) -> CaseOut:
    return _answer(request, response, session, user, case_id)


@router.post("/api/cases/{case_id}/tier", dependencies=[CsrfChecked], response_model=CaseOut)
def tier_api(
    case_id: int,
    body: CaseTierSet,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> CaseOut:
    case = cases.get(session=session, case_id=case_id, user=user)
    what = cases.set_tier(
        session=session,
        case=case,
        tier=body.tier,
        reason=body.reason,
        user=user,
        now=request.app.state.clock.now(),
    )
    audit(request, session, user, AuditAction.edit, case_id, what)
    return _answer(request, response, session, user, case_id)


@router.put("/api/cases/{case_id}/flags", dependencies=[CsrfChecked], response_model=CaseOut)
def flags_api(
    case_id: int,
    body: CaseFlags,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> CaseOut:
    case = cases.get(session=session, case_id=case_id, user=user)
    what = cases.set_flags(
        session=session, case=case, flags=body, user=user, now=request.app.state.clock.now()
    )
    audit(request, session, user, AuditAction.edit, case_id, what)
    return _answer(request, response, session, user, case_id)


@router.put("/api/cases/{case_id}/safety-plan", dependencies=[CsrfChecked], response_model=CaseOut)
def plan_api(
    case_id: int,
    body: SafetyPlanSave,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> CaseOut:
    case = cases.get(session=session, case_id=case_id, user=user)
    plan = cases.save_plan(
        session=session,
        case=case,
        sections=body.sections,
        based_on=body.based_on,
        call_id=body.call_id,
        user=user,
        now=request.app.state.clock.now(),
    )
    audit(
        request,
        session,
        user,
        AuditAction.edit,
        case_id,
        f"safety plan v{body.based_on}->v{plan.version}",
    )
    if user.id is not None:
        emit(session, agent_topic(user.id))
    return _answer(request, response, session, user, case_id)


@router.post("/api/cases/{case_id}/close", dependencies=[CsrfChecked], response_model=CaseOut)
def close_api(
    case_id: int,
    body: CaseClose,
    request: Request,
    response: Response,
    user: Closer,
    session: SessionDep,
) -> CaseOut:
    case = cases.get(session=session, case_id=case_id, user=user)
    what = cases.close(
        session=session, case=case, reason=body.reason, user=user, now=request.app.state.clock.now()
    )
    audit(request, session, user, AuditAction.edit, case_id, what)
    return _answer(request, response, session, user, case_id)
