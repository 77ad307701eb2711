"""The supervisors' review pages: the shift log, the escalation log and an escalation, the call
list and a call with its QA form; and the counselor's own feedback page.

Each is for supervisors and admins (`Reviewer`; the feedback page for anyone signed in) and is
written to the audit log in the request's unit of work. The CSV exports and the recording proxy
these pages link to are `hotline/review/api.py`; the filters they share, `hotline.review.listing`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import locale_of, remember_locale, render, translator
from agent_console.review import labels
from agent_console.review.views import (
    ReviewForm,
    call_view,
    list_choices,
    local_time,
    page_count,
    query_without,
)
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import PageUser, RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.escalation import service as escalations
from hotline.escalation.models import EMERGENCY_SERVICES, Escalation, RescueStage
from hotline.escalation.service import OUTCOMES
from hotline.linkage.reveal import RevealError, reveal
from hotline.query_filters import page_filter
from hotline.referrals import labels as referral_labels
from hotline.referrals import service as referral_service
from hotline.referrals.service import ReferralError
from hotline.review import listing
from hotline.review import service as review
from hotline.review.models import QA_CRITERIA

router = APIRouter(tags=["review"])
Reviewer = Annotated[User, Depends(RequirePageRole(*review.REVIEWERS))]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


# --- the shift log ----------------------------------------------------------------------------


@router.get("/supervisor/shifts", include_in_schema=False)
def shifts_page(request: Request, user: Reviewer, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    params = request.query_params
    page = page_filter(params)
    query = listing.shift_query(params, session=session, now=_now(request))
    error = ""
    rows: list[review.ShiftRow] = []
    try:
        rows = listing.shift_rows(query, session=session, now=_now(request))
    except review.ReviewError as failure:  # a period it cannot show: said on the page
        error = failure.message(_)
    record_request(
        request,
        action=AuditAction.view,
        object_type="shift_log",
        user=user,
        detail=listing.filters_text(params, listing.SHIFT_KEYS),
        session=session,
    )
    return render(
        request,
        "supervisor_shifts.html",
        user=user,
        query=query,
        rows=rows[(page - 1) * review.PAGE_SIZE : page * review.PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=page_count(len(rows)),
        totals=review.shift_totals(rows),
        error=error,
        states=review.STATES,
        labels=labels.all_labels(_),
        hms=listing.hms,
        when=local_time(query.tz),
        base_query=query_without(params, "page"),
        **list_choices(session),
    )


# --- the escalation log -----------------------------------------------------------------------


@router.get("/supervisor/escalations", include_in_schema=False)
def escalations_page(request: Request, user: Reviewer, session: SessionDep) -> Response:
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    flt, tz = listing.escalation_filter(params, session=session)
    rows, total = review.escalation_log(
        session=session, flt=flt, limit=review.PAGE_SIZE, offset=(page - 1) * review.PAGE_SIZE
    )
    record_request(
        request,
        action=AuditAction.view,
        object_type="escalation_log",
        user=user,
        detail=listing.filters_text(params, listing.ESCALATION_KEYS),
        session=session,
    )
    return render(
        request,
        "supervisor_escalations.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total),
        params=params,
        level_keys=list(listing.LEVEL_KEYS),
        status_keys=list(listing.ESCALATION_STATUS_KEYS),
        outcome_keys=OUTCOMES,
        labels=labels.all_labels(translator(request, user)),
        when=local_time(tz),
        hms=listing.hms,
        base_query=query_without(params, "page"),
        **list_choices(session),
    )


@router.get("/supervisor/escalations/{escalation_id}", include_in_schema=False)
def escalation_page(
    escalation_id: int, request: Request, user: Reviewer, session: SessionDep
) -> Response:
    remember_locale(request)
    return _escalation(request, user, session, escalation_id)


def _escalation(
    request: Request,
    user: User,
    session: Session,
    escalation_id: int,
    *,
    status_code: int | None = None,
    **extra: Any,
) -> Response:
    """The escalation page (audited as a view), with what a form post adds (`extra`)."""
    detail = review.escalation_detail(session=session, escalation_id=escalation_id)
    tz = review.zone_of(session=session, line_id=None)
    if detail is not None:
        record_request(
            request,
            action=AuditAction.view,
            object_type="escalation",
            object_id=escalation_id,
            user=user,
            session=session,
        )
    return render(
        request,
        "supervisor_escalation.html",
        user=user,
        escalation=detail,
        labels=labels.all_labels(translator(request, user)),
        when=local_time(tz),
        services=EMERGENCY_SERVICES,
        stages=[stage.value for stage in RescueStage],
        status_code=status_code or (200 if detail is not None else 404),
        **extra,
    )


@router.post("/supervisor/escalations/{escalation_id}/reveal", include_in_schema=False)
async def reveal_number(
    escalation_id: int, request: Request, user: Reviewer, session: SessionDep
) -> Response:
    """ "Reveal for rescue": the caller's number, shown on this answer only (once per reason),
    audited, and logged for the other supervisors. A refusal shows the page with the reason."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    reason = str(form.get("reason") or "")[:2000]
    _ = translator(request, user)
    try:
        now = _now(request)
        found = reveal(
            session=session, escalation_id=escalation_id, user=user, reason=reason, now=now
        )
    except RevealError as refusal:
        if refusal.status == 404:
            raise
        return _escalation(
            request,
            user,
            session,
            escalation_id,
            status_code=refusal.status,
            reveal_error=refusal.message(_),
            reason=reason,
        )
    record_request(
        request,
        action=AuditAction.view,
        object_type="rescue_number",
        object_id=escalation_id,
        user=user,
        detail="revealed for rescue",
        session=session,
    )
    page = _escalation(request, user, session, escalation_id, revealed=found)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/supervisor/escalations/{escalation_id}/rescue", include_in_schema=False)
async def record_rescue(
    escalation_id: int, request: Request, user: Reviewer, session: SessionDep
) -> Response:
    """A supervisor records a rescue step: its stage, and which emergency service they called."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    _ = translator(request, user)
    stage_value = str(form.get("stage") or "")
    service = str(form.get("service") or "") or None
    note = str(form.get("note") or "")[:2000] or None
    before = session.get(Escalation, escalation_id)
    was = before.rescue_status if before is not None else None
    try:
        if stage_value not in {stage.value for stage in RescueStage}:
            raise escalations.EscalationError("rescue_order", 422)
        escalations.rescue(
            session=session,
            escalation_id=escalation_id,
            user=user,
            stage=RescueStage(stage_value),
            note=note,
            now=_now(request),
            service=service,
        )
    except escalations.EscalationError as refusal:
        if refusal.status == 404:
            raise
        return _escalation(
            request,
            user,
            session,
            escalation_id,
            status_code=422 if refusal.status == 422 else refusal.status,
            rescue_error=refusal.message(_),
        )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="rescue_step",
        object_id=escalation_id,
        user=user,
        detail=f"rescue {was or '-'} -> {stage_value}"
        + (f" (called {service})" if service else ""),
        session=session,
    )
    return RedirectResponse(f"/supervisor/escalations/{escalation_id}", status_code=303)


# --- call review ------------------------------------------------------------------------------


@router.get("/supervisor/calls", include_in_schema=False)
def calls_page(request: Request, user: Reviewer, session: SessionDep) -> Response:
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    flt, tz = listing.call_filter(params, session=session)
    rows, total = review.call_search(
        session=session, flt=flt, limit=review.PAGE_SIZE, offset=(page - 1) * review.PAGE_SIZE
    )
    categories = listing.categories(session, locale_of(request, user))
    record_request(
        request,
        action=AuditAction.view,
        object_type="call_list",
        user=user,
        detail=listing.filters_text(params, listing.CALL_KEYS),
        session=session,
    )
    return render(
        request,
        "supervisor_calls.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total),
        params=params,
        level_keys=list(listing.LEVEL_KEYS),
        categories=categories,
        category_names=dict(categories),
        labels=labels.all_labels(translator(request, user)),
        when=local_time(tz),
        hms=listing.hms,
        base_query=query_without(params, "page"),
        **list_choices(session),
    )


@router.get("/supervisor/calls/{call_id}", include_in_schema=False)
def call_page(call_id: int, request: Request, user: Reviewer, session: SessionDep) -> Response:
    remember_locale(request)
    view = call_view(session, call_id, locale_of(request, user))
    if view.detail is not None:
        record_request(
            request,
            action=AuditAction.view,
            object_type="call",
            object_id=call_id,
            user=user,
            # A text conversation's page shows its transcript: the log says so.
            detail="review, transcript" if view.detail["call"]["is_text"] else "review",
            session=session,
        )
    return render(
        request,
        "supervisor_call.html",
        user=user,
        labels=labels.all_labels(translator(request, user))
        | labels.note_choices_of(session=session, zh=locale_of(request, user) == "zh_CN"),
        saved=request.query_params.get("saved") == "1",
        error=None,
        status_code=200 if view.detail is not None else 404,
        **view.context(),
        **_referral_context(request, session, user, call_id),
    )


def _referral_context(
    request: Request, session: Session, user: User, call_id: int
) -> dict[str, Any]:
    """The call's referrals for the review page's panel (agent_console/referrals)."""
    tz = review.zone_of(session=session, line_id=None)
    return {
        "referrals": referral_service.rows_of_call(
            session=session, call_id=call_id, user=user, now=_now(request)
        ),
        "referral_labels": referral_labels.all_labels(translator(request, user)),
        "referral_action": f"/supervisor/calls/{call_id}/referrals",
        "referral_green": False,
        "referral_when": local_time(tz),
    }


@router.post("/supervisor/calls/{call_id}/referrals/{referral_id}/status", include_in_schema=False)
def referral_status_form(
    call_id: int,
    referral_id: int,
    request: Request,
    user: Reviewer,
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
) -> Response:
    """Move a referral of the call from its review (e.g. the outcome learnt afterwards); a
    refused move shows the page again with the reason, nothing changed."""
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    try:
        with session.begin_nested():
            referral = referral_service.get(session=session, referral_id=referral_id, user=user)
            if referral.call_id != call_id:
                raise ReferralError("not_found", 404)
            to = referral_service.parse_status(status)
            _moved, before = referral_service.move(
                session=session,
                referral_id=referral_id,
                to=to,
                user=user,
                via="review",
                now=_now(request),
            )
            record_request(
                request,
                action=AuditAction.edit,
                object_type="referral",
                object_id=referral_id,
                user=user,
                detail=f"status {before.value} -> {to.value}",
                session=session,
            )
    except ReferralError as failure:
        view = call_view(session, call_id, locale_of(request, user))
        return render(
            request,
            "supervisor_call.html",
            user=user,
            labels=labels.all_labels(_),
            saved=False,
            error=failure.message(_),
            status_code=failure.status,
            **view.context(),
            **_referral_context(request, session, user, call_id),
        )
    return RedirectResponse(f"/supervisor/calls/{call_id}?saved=1", status_code=303)


async def review_form(request: Request) -> ReviewForm:
    """The posted QA form, once its CSRF token is checked (403 without)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    return ReviewForm.read(form)


@router.post("/supervisor/calls/{call_id}/review", include_in_schema=False)
def save_review(
    call_id: int,
    request: Request,
    user: Reviewer,
    form: Annotated[ReviewForm, Depends(review_form)],
    session: SessionDep,
) -> Response:
    """Save the call's QA review and go back to the call; a score out of range shows the form
    again (422) with what was posted. No such call: 404 (`ReviewError`)."""
    _ = translator(request, user)
    try:
        if form.bad_score:
            raise review.ReviewError("bad_score")
        review.save_review(
            session=session,
            call_id=call_id,
            reviewer=user,
            scores=form.scores,
            marked_for_review=form.marked,
            comment=form.comment,
            now=_now(request),
        )
    except review.ReviewError as failure:
        if failure.status == 404:
            raise
        # Refused before anything was written: the form again, with the reason.
        view = call_view(session, call_id, locale_of(request, user))
        view.scores = form.scores
        return render(
            request,
            "supervisor_call.html",
            user=user,
            labels=labels.all_labels(_)
            | labels.note_choices_of(session=session, zh=locale_of(request, user) == "zh_CN"),
            saved=False,
            error=failure.message(_),
            status_code=422,
            **view.context(),
            **_referral_context(request, session, user, call_id),
        )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="call_review",
        object_id=call_id,
        user=user,
        detail="marked" if form.marked else None,
        session=session,
    )
    return RedirectResponse(f"/supervisor/calls/{call_id}?saved=1", status_code=303)


# --- the counselor's feedback -----------------------------------------------------------------


@router.get("/console/feedback", include_in_schema=False)
def feedback_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """Supervisors' comments and scores on this person's own calls."""
    remember_locale(request)
    items = review.feedback_for(session=session, user=user)
    tz = review.zone_of(session=session, line_id=None)
    record_request(
        request, action=AuditAction.view, object_type="feedback", user=user, session=session
    )
    return render(
        request,
        "feedback.html",
        user=user,
        items=items,
        criteria=QA_CRITERIA,
        labels=labels.all_labels(translator(request, user)),
        when=local_time(tz),
    )
