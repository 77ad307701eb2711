"""The case pages: the list for the crisis team and supervisors (`/supervisor/cases`, filtered
by tier and status) and one case (`/cases/{id}`) with its tier history, contacts and safety
plan, and the forms to set the tier and to close it (with a reason).

Who sees a case is decided in `hotline.cases.service`; these routes parse, audit and render.
Every view is in the audit log. A refused form shows the case again with the reason next to the
field and a 4xx status, having changed nothing.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.cases.labels import SECTION_LABELS, STATUS_LABELS, TIER_LABELS
from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import PageUser, RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.cases import service as cases
from hotline.cases.models import CaseStatus, Tier
from hotline.cases.schemas import SECTIONS
from hotline.cases.service import PAGE_SIZE, CaseError
from hotline.db import SessionDep
from hotline.notes import options
from hotline.query_filters import choice_filter, page_filter
from hotline.review import labels as review_labels

router = APIRouter(tags=["cases"])
Reader = Annotated[User, Depends(RequirePageRole(*cases.READERS))]
Closer = Annotated[User, Depends(RequirePageRole(*cases.CLOSERS))]
CsrfToken = Annotated[str, Form()]


def labels(_: Any) -> dict[str, dict[str, str]]:
    return {
        "tiers": {key: _(label) for key, label in TIER_LABELS.items()},
        "statuses": {key: _(label) for key, label in STATUS_LABELS.items()},
        "sections": {key: _(SECTION_LABELS[key]) for key in SECTIONS},
        "levels": {key: _(label) for key, label in options.LEVEL_LABELS.items()},
        "channels": review_labels.contact_channels(_),
    }


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


@router.get("/supervisor/cases", include_in_schema=False)
def list_page(request: Request, user: Reader, session: SessionDep) -> Response:
    remember_locale(request)
    params = request.query_params
    tier = choice_filter(params, "tier", tuple(Tier.__members__))
    status = choice_filter(params, "status", tuple(CaseStatus.__members__))
    page = page_filter(params)
    rows, total = cases.search(
        session=session, tier=tier, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    _audit(
        request, session, user, AuditAction.view, "case_list", detail=f"tier={tier} status={status}"
    )
    _ = translator(request, user)
    query = {k: v for k, v in (("tier", tier), ("status", status)) if v}
    return render(
        request,
        "cases.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        base_query=urlencode(query),
        params=query,
        labels=labels(_),
    )


def _case_page(
    request: Request,
    session: Session,
    user: User,
    case_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The case, its view audited; one the user may not see: the error page."""
    case = cases.get(session=session, case_id=case_id, user=user)
    item = cases.detail(session=session, case=case)
    _audit(request, session, user, AuditAction.view, "case", case_id)
    _ = translator(request, user)
    return render(
        request,
        "case.html",
        user=user,
        item=item,
        errors=errors or {},
        may_close=user.role in cases.CLOSERS and item.status == "open",
        tier_keys=list(Tier.__members__),
        section_keys=SECTIONS,
        labels=labels(_),
        status_code=status_code,
    )


@router.get("/cases/{case_id}", include_in_schema=False)
def case_page(case_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    remember_locale(request)
    return _case_page(request, session, user, case_id)


def _refused(
    request: Request, session: Session, user: User, case_id: int, error: CaseError
) -> Response:
    """The case again with the reason next to its field, nothing changed (savepoint rolled back)."""
    _ = translator(request, user)
    errors = {field: error.text_for(code, _) for field, code in error.errors.items()}
    if not errors:
        errors = {"form": error.message(_)}
    return _case_page(request, session, user, case_id, errors=errors, status_code=error.status)


@router.post("/cases/{case_id}/close", include_in_schema=False)
def close_form(
    case_id: int,
    request: Request,
    user: Closer,
    session: SessionDep,
    csrf_token: CsrfToken = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    case = cases.get(session=session, case_id=case_id, user=user)
    try:
        with session.begin_nested():
            what = cases.close(
                session=session,
                case=case,
                reason=reason,
                user=user,
                now=request.app.state.clock.now(),
            )
            _audit(request, session, user, AuditAction.edit, "case", case_id, what)
    except CaseError as error:
        session.refresh(case)
        return _refused(request, session, user, case_id, error)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/tier", include_in_schema=False)
def tier_form(
    case_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
    tier: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    case = cases.get(session=session, case_id=case_id, user=user)
    try:
        with session.begin_nested():
            what = cases.set_tier(
                session=session,
                case=case,
                tier=tier,
                reason=reason,
                user=user,
                now=request.app.state.clock.now(),
            )
            _audit(request, session, user, AuditAction.edit, "case", case_id, what)
    except CaseError as error:
        session.refresh(case)
        return _refused(request, session, user, case_id, error)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
