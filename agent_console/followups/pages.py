"""The follow-up pages: the counselor's queue and a follow-up's page (forms with CSRF tokens),
and the supervisors' list with the overdue ones, also as CSV.

Who sees what is decided in `hotline.followups` (service: lines, roles, the assignee; detail:
the caller's words); these routes parse, audit and render. Every view of a follow-up is in the
audit log. The callback number is never on a page: "call back as the line" asks the server to
place the call (hotline/dialback/). A refused form action shows the
follow-up's page again with the reason and a 4xx status, having changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from agent_console.dialback import views as dialback_views
from agent_console.followups.views import csv_header, csv_rows, when
from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import PageUser, RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.csv_export import csv_response
from hotline.db import SessionDep
from hotline.followups import detail, labels
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp, FollowUpStatus
from hotline.followups.schemas import FollowUpDetail
from hotline.followups.service import PAGE_SIZE, STATUS_FILTERS, FollowUpError, FollowUpFilter
from hotline.lines.models import Line
from hotline.notes import options
from hotline.query_filters import choice_filter, date_filter, id_filter, page_filter
from hotline.referrals import labels as referral_labels
from hotline.referrals import service as referral_service
from hotline.referrals.service import ReferralError

router = APIRouter(tags=["followups"])
Supervising = Annotated[User, Depends(RequirePageRole(*followups.SUPERVISING))]
CsrfToken = Annotated[str, Form()]


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


def _list_filter(request: Request, session: Session) -> FollowUpFilter:
    params = request.query_params
    return followups.filter_for(
        session=session,
        line_id=id_filter(params, "line"),
        status=choice_filter(params, "status", STATUS_FILTERS),
        start=date_filter(params, "from"),
        end=date_filter(params, "to"),
    )


# --- the counselor's pages --------------------------------------------------------------------


@router.get("/console/followups", include_in_schema=False)
def queue_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """Open follow-ups of the user's lines, soonest due first (overdue ones on top)."""
    remember_locale(request)
    page = page_filter(request.query_params)
    rows, total = followups.search(
        session=session,
        user=user,
        flt=FollowUpFilter(status=FollowUpStatus.scheduled.value),
        now=request.app.state.clock.now(),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    _audit(request, session, user, AuditAction.view, "follow_up_list", detail="queue")
    _ = translator(request, user)
    return render(
        request,
        "followups.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        base_query="",
        notice=labels.notice(_, request.query_params.get("done") or ""),
        labels=labels.all_labels(_),
        when=when,
    )


def _detail_page(
    request: Request,
    session: Session,
    user: User,
    follow_up_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The follow-up's page, its view audited; one the user may not see, the reason why."""
    _ = translator(request, user)
    item: FollowUpDetail | None = None
    try:
        item = detail.read(
            session=session,
            follow_up_id=follow_up_id,
            user=user,
            now=request.app.state.clock.now(),
        )
    except FollowUpError as failure:
        error, status_code = failure.message(_), failure.status
    else:
        _audit(
            request,
            session,
            user,
            AuditAction.view,
            "follow_up",
            item.id,
            detail.audit_detail(item),
        )
    referrals = (
        referral_service.rows_of_call(
            session=session, call_id=item.call_id, user=user, now=request.app.state.clock.now()
        )
        if item is not None
        else []
    )
    return render(
        request,
        "followup.html",
        user=user,
        item=item,
        referrals=referrals,
        referral_labels=referral_labels.all_labels(_),
        referral_action=f"/console/followups/{follow_up_id}/referrals",
        referral_green=True,
        referral_when=lambda value: when(value, item.timezone if item else "Asia/Shanghai"),
        error=error,
        notice=labels.notice(_, request.query_params.get("done") or ""),
        supervising=followups.supervises(user),
        outcome_keys=[outcome.value for outcome in CallbackOutcome],
        level_labels={key: _(label) for key, label in options.LEVEL_LABELS.items()},
        labels=labels.all_labels(_),
        when=when,
        dialback_config=dialback_views.config(_),
        status_code=status_code,
    )


@router.get("/console/followups/{follow_up_id}", include_in_schema=False)
def follow_up_page(
    follow_up_id: int, request: Request, user: PageUser, session: SessionDep
) -> Response:
    remember_locale(request)
    return _detail_page(request, session, user, follow_up_id)


def _form_action(
    request: Request,
    session: Session,
    user: User,
    follow_up_id: int,
    act: Callable[[], FollowUp],
    what: str,
) -> Response | FollowUp:
    """Run one change for a form. Refused, it changes nothing (its savepoint is rolled back) and
    the follow-up's page comes back with the reason: a response, not a raise, so the page's
    view is still audited when the request's unit of work commits."""
    try:
        with session.begin_nested():
            follow_up = act()
            _audit(request, session, user, AuditAction.edit, "follow_up", follow_up_id, what)
    except FollowUpError as failure:
        _ = translator(request, user)
        return _detail_page(
            request,
            session,
            user,
            follow_up_id,
            error=failure.message(_),
            status_code=failure.status,
        )
    return follow_up


@router.post("/console/followups/{follow_up_id}/claim", include_in_schema=False)
def claim_form(
    follow_up_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
) -> Response:
    check_csrf(request, csrf_token)
    done = _form_action(
        request,
        session,
        user,
        follow_up_id,
        lambda: followups.claim(session=session, follow_up_id=follow_up_id, user=user),
        "claim",
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/console/followups/{follow_up_id}?done=claimed", status_code=303)


@router.post("/console/followups/{follow_up_id}/release", include_in_schema=False)
def release_form(
    follow_up_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
) -> Response:
    check_csrf(request, csrf_token)
    done = _form_action(
        request,
        session,
        user,
        follow_up_id,
        lambda: followups.release(session=session, follow_up_id=follow_up_id, user=user),
        "release",
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse("/console/followups?done=released", status_code=303)


@router.post("/console/followups/{follow_up_id}/attempts", include_in_schema=False)
def attempt_form(
    follow_up_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if outcome not in CallbackOutcome.__members__:
        _ = translator(request, user)
        return _detail_page(
            request,
            session,
            user,
            follow_up_id,
            error=FollowUpError("bad_outcome", 422).message(_),
            status_code=422,
        )
    chosen = CallbackOutcome(outcome)
    done = _form_action(
        request,
        session,
        user,
        follow_up_id,
        lambda: followups.log_attempt(
            session=session,
            follow_up_id=follow_up_id,
            user=user,
            outcome=chosen,
            note=note,
            now=request.app.state.clock.now(),
        ),
        f"attempt {chosen.value}",
    )
    if isinstance(done, Response):
        return done
    if done.status == FollowUpStatus.scheduled:
        return RedirectResponse(f"/console/followups/{follow_up_id}?done=logged", status_code=303)
    return RedirectResponse(f"/console/followups?done={done.status.value}", status_code=303)


@router.post("/console/followups/{follow_up_id}/cancel", include_in_schema=False)
def cancel_form(
    follow_up_id: int,
    request: Request,
    user: Supervising,
    session: SessionDep,
    csrf_token: CsrfToken = "",
) -> Response:
    check_csrf(request, csrf_token)
    done = _form_action(
        request,
        session,
        user,
        follow_up_id,
        lambda: followups.cancel(
            session=session,
            follow_up_id=follow_up_id,
            user=user,
            now=request.app.state.clock.now(),
        ),
        "cancel",
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/console/followups/{follow_up_id}?done=cancelled", status_code=303)


# --- the follow-up's referrals ----------------------------------------------------------------


def _referral_action(
    request: Request,
    session: Session,
    user: User,
    follow_up_id: int,
    referral_id: int,
    act: Callable[[], str],
) -> Response:
    """Change a referral of the follow-up's call. `act` returns the audit's detail (before and
    after, never the caller's words). Refused, nothing changes and the page says why."""
    try:
        with session.begin_nested():
            follow_up = followups.get(session=session, follow_up_id=follow_up_id, user=user)
            referral = referral_service.get(session=session, referral_id=referral_id, user=user)
            if referral.call_id != follow_up.call_id:
                raise ReferralError("not_found", 404)
            what = act()
            _audit(request, session, user, AuditAction.edit, "referral", referral_id, what)
    except (FollowUpError, ReferralError) as failure:
        _ = translator(request, user)
        return _detail_page(
            request,
            session,
            user,
            follow_up_id,
            error=failure.message(_),
            status_code=failure.status,
        )
    return RedirectResponse(f"/console/followups/{follow_up_id}?done=referral", status_code=303)


@router.post(
    "/console/followups/{follow_up_id}/referrals/{referral_id}/status", include_in_schema=False
)
def referral_status_form(
    follow_up_id: int,
    referral_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
    status: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)

    def act() -> str:
        to = referral_service.parse_status(status)
        _, before = referral_service.move(
            session=session,
            referral_id=referral_id,
            to=to,
            user=user,
            via="follow_up",
            now=request.app.state.clock.now(),
        )
        return f"status {before.value} -> {to.value}"

    return _referral_action(request, session, user, follow_up_id, referral_id, act)


@router.post(
    "/console/followups/{follow_up_id}/referrals/{referral_id}/green-channel",
    include_in_schema=False,
)
def referral_green_form(
    follow_up_id: int,
    referral_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    background: BackgroundTasks,
    csrf_token: CsrfToken = "",
    share: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    """Send the referral to the receiving service by SMS, after the commit."""
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    sent: list[referral_service.GreenMessage] = []

    def act() -> str:
        message = referral_service.send_green(
            session=session,
            referral_id=referral_id,
            user=user,
            consent=consent == "1",
            text=share,
            confirm_within=timedelta(hours=settings.green_channel_confirm_hours),
            now=request.app.state.clock.now(),
        )
        sent.append(message)
        return "green channel sent (with the caller's consent)"

    response = _referral_action(request, session, user, follow_up_id, referral_id, act)
    for message in sent:
        if response.status_code == 303:
            background.add_task(referral_service.deliver, request.app.state.telephony, message)
    return response


@router.post(
    "/console/followups/{follow_up_id}/referrals/{referral_id}/confirm", include_in_schema=False
)
def referral_confirm_form(
    follow_up_id: int,
    referral_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    csrf_token: CsrfToken = "",
) -> Response:
    check_csrf(request, csrf_token)

    def act() -> str:
        referral_service.confirm_green(
            session=session,
            referral_id=referral_id,
            user=user,
            now=request.app.state.clock.now(),
        )
        return "green channel: unconfirmed -> confirmed by the service"

    return _referral_action(request, session, user, follow_up_id, referral_id, act)


# --- the supervisors' list --------------------------------------------------------------------


@router.get("/supervisor/followups", include_in_schema=False)
def supervisor_page(request: Request, user: Supervising, session: SessionDep) -> Response:
    """Every line's follow-ups, filtered by line, status (or overdue) and due date."""
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    now = request.app.state.clock.now()
    flt = _list_filter(request, session)
    rows, total = followups.search(
        session=session,
        user=user,
        flt=flt,
        now=now,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    overdue = followups.overdue_count(session=session, user=user, line_id=flt.line_id, now=now)
    lines = session.exec(select(Line).order_by(col(Line.name))).all()
    listed = followups.list_detail(params)
    _audit(request, session, user, AuditAction.view, "follow_up_list", detail=listed)
    _ = translator(request, user)
    return render(
        request,
        "supervisor_followups.html",
        user=user,
        rows=rows,
        total=total,
        overdue=overdue,
        green_overdue=referral_service.overdue_green(session=session, user=user, now=now),
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=params,
        lines=lines,
        status_keys=list(STATUS_FILTERS),
        labels=labels.all_labels(_),
        when=when,
        base_query=urlencode([(k, v) for k, v in params.multi_items() if k != "page"]),
    )


@router.get("/supervisor/followups.csv", include_in_schema=False)
def supervisor_csv(request: Request, user: Supervising, session: SessionDep) -> Response:
    """The list as filtered on the page, every row (not only the page shown); no caller data."""
    now = request.app.state.clock.now()
    flt = _list_filter(request, session)
    found: list[dict[str, Any]] = []
    while True:
        rows, total = followups.search(
            session=session, user=user, flt=flt, now=now, limit=500, offset=len(found)
        )
        found += rows
        if not rows or len(found) >= total:
            break
    listed = followups.list_detail(request.query_params)
    _audit(request, session, user, AuditAction.export, "follow_up_list", detail=listed)
    _ = translator(request, user)
    return csv_response("follow-ups", csv_header(_), csv_rows(found, _), now=now)
