"""Follow-ups as JSON under /api/followups: the lists a user may see, one follow-up, and
claiming, releasing, logging an attempt and cancelling (supervisors).

Who sees what is decided in `hotline.followups.service` (lines, roles, the assignee) and
`detail` (the caller's words); these routes parse, audit and answer. Every view is in the audit
log, saying when the callback number was in the answer. A refusal is a `FollowUpError`, which the
error handler answers with its code and message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser, RequireRole
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.followups import detail
from hotline.followups import service as followups
from hotline.followups.models import FollowUp
from hotline.followups.schemas import AttemptCreate, FollowUpDetail, FollowUpList, FollowUpRow
from hotline.followups.service import PAGE_SIZE, STATUS_FILTERS, FollowUpError

router = APIRouter(tags=["followups"])
Supervising = Annotated[User, Depends(RequireRole(*followups.SUPERVISING))]


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def _audit(
    request: Request,
    session: Session,
    user: User,
    action: AuditAction,
    object_type: str,
    object_id: int | None = None,
    detail: str | None = None,
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


def _read(request: Request, session: Session, user: User, follow_up_id: int) -> FollowUpDetail:
    """The follow-up as this user may see it, its view in the audit log."""
    item = detail.read(
        session=session, follow_up_id=follow_up_id, user=user, now=request.app.state.clock.now()
    )
    _audit(
        request,
        session,
        user,
        AuditAction.view,
        "follow_up",
        item.id,
        detail.audit_detail(item),
    )
    return item


@router.get("/api/followups", response_model=FollowUpList)
def list_api(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    status: Annotated[str | None, Query()] = None,
    line: Annotated[int | None, Query()] = None,
    due_from: Annotated[date | None, Query(alias="from")] = None,
    due_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> FollowUpList:
    """Follow-ups the user may see (counselors: their lines), `PAGE_SIZE` a page."""
    if status is not None and status not in STATUS_FILTERS:
        raise FollowUpError("bad_status", 422)
    flt = followups.filter_for(
        session=session, line_id=line, status=status, start=due_from, end=due_to
    )
    rows, total = followups.search(
        session=session,
        user=user,
        flt=flt,
        now=request.app.state.clock.now(),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    listed = followups.list_detail(request.query_params)
    _audit(request, session, user, AuditAction.view, "follow_up_list", detail=listed)
    _no_store(response)
    return FollowUpList(
        data=[FollowUpRow.model_validate(row) for row in rows], count=total, page=page
    )


@router.get("/api/followups/{follow_up_id}", response_model=FollowUpDetail)
def get_api(
    follow_up_id: int, request: Request, response: Response, user: CurrentUser, session: SessionDep
) -> FollowUpDetail:
    item = _read(request, session, user, follow_up_id)
    _no_store(response)
    return item


def _act(
    request: Request,
    response: Response,
    session: Session,
    user: User,
    follow_up_id: int,
    act: Callable[[], FollowUp],
    what: str,
) -> FollowUpDetail:
    """One change, audited, answered with the follow-up as it is now."""
    act()
    _audit(request, session, user, AuditAction.edit, "follow_up", follow_up_id, what)
    item = _read(request, session, user, follow_up_id)
    _no_store(response)
    return item


@router.post(
    "/api/followups/{follow_up_id}/claim",
    dependencies=[CsrfChecked],
    response_model=FollowUpDetail,
)
def claim_api(
    follow_up_id: int, request: Request, response: Response, user: CurrentUser, session: SessionDep
) -> FollowUpDetail:
    return _act(
        request,
        response,
        session,
        user,
        follow_up_id,
        lambda: followups.claim(session=session, follow_up_id=follow_up_id, user=user),
        "claim",
    )


@router.post(
    "/api/followups/{follow_up_id}/release",
    dependencies=[CsrfChecked],
    response_model=FollowUpDetail,
)
def release_api(
    follow_up_id: int, request: Request, response: Response, user: CurrentUser, session: SessionDep
) -> FollowUpDetail:
    return _act(
        request,
        response,
        session,
        user,
        follow_up_id,
        lambda: followups.release(session=session, follow_up_id=follow_up_id, user=user),
        "release",
    )


@router.post(
    "/api/followups/{follow_up_id}/attempts",
    dependencies=[CsrfChecked],
    response_model=FollowUpDetail,
)
def attempt_api(
    follow_up_id: int,
    body: AttemptCreate,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> FollowUpDetail:
    return _act(
        request,
        response,
        session,
        user,
        follow_up_id,
        lambda: followups.log_attempt(
            session=session,
            follow_up_id=follow_up_id,
            user=user,
            outcome=body.outcome,
            note=body.note,
            now=request.app.state.clock.now(),
        ),
        f"attempt {body.outcome.value}",
    )


@router.post(
    "/api/followups/{follow_up_id}/cancel",
    dependencies=[CsrfChecked],
    response_model=FollowUpDetail,
)
def cancel_api(
    follow_up_id: int, request: Request, response: Response, user: Supervising, session: SessionDep
) -> FollowUpDetail:
    return _act(
        request,
        response,
        session,
        user,
        follow_up_id,
        lambda: followups.cancel(
            session=session, follow_up_id=follow_up_id, user=user, now=request.app.state.clock.now()
        ),
        "cancel",
    )
