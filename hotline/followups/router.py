"""Follow-ups over HTTP: the counselor's queue and a follow-up's page (forms with CSRF tokens),
the supervisors' list with overdue ones, and the same as JSON under /api/followups.

Who sees what is decided in `hotline.followups.service` (lines, roles, the assignee); this
module parses, audits and renders. Every view of a follow-up is in the audit log, saying when
the callback number was on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import (
    CsrfChecked,
    CurrentUser,
    PageUser,
    check_csrf,
    page_user,
)
from hotline.auth.models import User
from hotline.csv_export import csv_response
from hotline.db import Database
from hotline.followups import labels
from hotline.followups import service as followups
from hotline.followups.models import CallbackOutcome, FollowUp, FollowUpStatus
from hotline.followups.service import PAGE_SIZE, STATUS_FILTERS, FollowUpError, FollowUpFilter
from hotline.lines.models import Line
from hotline.notes import options
from hotline.notes import service as notes
from hotline.query_filters import choice_filter, date_filter, id_filter, page_filter

router = APIRouter(tags=["followups"])
DEFAULT_TZ = "Asia/Shanghai"
LIST_KEYS = ("line", "status", "from", "to")


# --- dependencies -----------------------------------------------------------------------------


def _supervising(request: Request) -> User:
    user = page_user(request)
    if not followups.supervises(user):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    return user


def _api_supervising(user: CurrentUser) -> User:
    if not followups.supervises(user):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    return user


Supervising = Annotated[User, Depends(_supervising)]
ApiSupervising = Annotated[User, Depends(_api_supervising)]


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


# --- helpers ----------------------------------------------------------------------------------


def _zone(session: Session, line_id: int | None) -> ZoneInfo:
    """Due dates are local days: the line's zone, or for every line the first line's."""
    line = (
        session.get(Line, line_id)
        if line_id is not None
        else session.exec(select(Line).order_by(col(Line.id))).first()
    )
    return ZoneInfo(line.timezone if line is not None else DEFAULT_TZ)


def _filter(
    session: Session, line_id: int | None, status: str | None, start: date | None, end: date | None
) -> FollowUpFilter:
    tz = _zone(session, line_id)

    def midnight(day: date) -> datetime:
        # In UTC: SQLite compares the stored (UTC) text, so the bound must be UTC too.
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return FollowUpFilter(
        line_id=line_id,
        status=status if status in STATUS_FILTERS else None,
        due_from=midnight(start) if start else None,
        due_until=midnight(end + timedelta(days=1)) if end else None,
    )


def _local(value: datetime | None, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if value else ""


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
        if key != "timezone"
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


def _read(request: Request, session: Session, user: User, follow_up_id: int) -> dict[str, Any]:
    """A follow-up as its page and the API show it, audited. The plan and remarks go to the
    assignee and supervisors; the callback number only to the assignee, while it is open."""
    now = _now(request)
    follow_up = followups.get(session=session, follow_up_id=follow_up_id, user=user)
    assert follow_up.id is not None
    item = followups.detail_row(session=session, follow_up=follow_up, now=now)
    note = notes.note_of(session=session, call_id=follow_up.call_id)
    text = followups.may_read_text(user, follow_up)
    wanted = notes.fields_of(note).follow_up if note is not None and text else None
    number = None
    if (
        wanted is not None
        and followups.is_assignee(user, follow_up)
        and follow_up.status == FollowUpStatus.scheduled
    ):
        number = wanted.callback_number or None
    item |= {
        "crisis_level": note.crisis_level if note is not None else None,
        "plan": wanted.plan if wanted is not None else None,
        "callback_number": number,
        "mine": followups.is_assignee(user, follow_up),
        "history": [
            {
                "at": attempt.at,
                "by": name,
                "outcome": attempt.outcome.value,
                "note": attempt.note if text else None,
            }
            for attempt, name in followups.attempts_of(session=session, follow_up_id=follow_up.id)
        ],
    }
    _audit(
        request,
        session,
        user,
        AuditAction.view,
        "follow_up",
        follow_up.id,
        "callback number shown" if number else None,
    )
    return item


# --- the counselor's pages --------------------------------------------------------------------


@router.get("/console/followups", include_in_schema=False)
def queue_page(request: Request, user: PageUser) -> Response:
    """Open follow-ups of the user's lines, soonest due first (overdue ones on top)."""
    remember_locale(request)
    page = page_filter(request.query_params)
    with _db(request).session() as session:
        rows, total = followups.search(
            session=session,
            user=user,
            flt=FollowUpFilter(status=FollowUpStatus.scheduled.value),
            now=_now(request),
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
        when=_local,
    )


def _detail_page(
    request: Request,
    user: User,
    follow_up_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    item = None
    with _db(request).session() as session:
        try:
            item = _read(request, session, user, follow_up_id)
        except FollowUpError as failure:
            error, status_code = labels.error_message(_, failure.code), failure.status
    return render(
        request,
        "followup.html",
        user=user,
        item=item,
        error=error,
        notice=labels.notice(_, request.query_params.get("done") or ""),
        supervising=followups.supervises(user),
        outcome_keys=[outcome.value for outcome in CallbackOutcome],
        level_labels={key: _(label) for key, label in options.LEVEL_LABELS.items()},
        labels=labels.all_labels(_),
        when=_local,
        status_code=status_code,
    )


@router.get("/console/followups/{follow_up_id}", include_in_schema=False)
def follow_up_page(follow_up_id: int, request: Request, user: PageUser) -> Response:
    remember_locale(request)
    return _detail_page(request, user, follow_up_id)


def _form_action(
    request: Request,
    user: User,
    follow_up_id: int,
    csrf_token: str,
    act: Callable[[Session], FollowUp],
    detail: str,
) -> Response | FollowUp:
    """Run one change for a form; its error re-renders the page with a 4xx, changing nothing."""
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    try:
        with _db(request).session() as session:
            follow_up: FollowUp = act(session)
            _audit(request, session, user, AuditAction.edit, "follow_up", follow_up_id, detail)
    except FollowUpError as failure:
        return _detail_page(
            request,
            user,
            follow_up_id,
            error=labels.error_message(_, failure.code),
            status_code=failure.status,
        )
    return follow_up


@router.post("/console/followups/{follow_up_id}/claim", include_in_schema=False)
def claim_form(
    follow_up_id: int,
    request: Request,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    done = _form_action(
        request,
        user,
        follow_up_id,
        csrf_token,
        lambda s: followups.claim(session=s, follow_up_id=follow_up_id, user=user),
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
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    done = _form_action(
        request,
        user,
        follow_up_id,
        csrf_token,
        lambda s: followups.release(session=s, follow_up_id=follow_up_id, user=user),
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
    csrf_token: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    if outcome not in CallbackOutcome.__members__:
        check_csrf(request, csrf_token)
        _ = translator(request, user)
        return _detail_page(
            request,
            user,
            follow_up_id,
            error=labels.error_message(_, "bad_outcome"),
            status_code=422,
        )
    chosen = CallbackOutcome(outcome)
    done = _form_action(
        request,
        user,
        follow_up_id,
        csrf_token,
        lambda s: followups.log_attempt(
            session=s,
            follow_up_id=follow_up_id,
            user=user,
            outcome=chosen,
            note=note,
            now=_now(request),
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
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    done = _form_action(
        request,
        user,
        follow_up_id,
        csrf_token,
        lambda s: followups.cancel(
            session=s, follow_up_id=follow_up_id, user=user, now=_now(request)
        ),
        "cancel",
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/console/followups/{follow_up_id}?done=cancelled", status_code=303)


# --- the supervisors' list --------------------------------------------------------------------


@router.get("/supervisor/followups", include_in_schema=False)
def supervisor_page(request: Request, user: Supervising) -> Response:
    """Every line's follow-ups, filtered by line, status (or overdue) and due date."""
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    line_id = id_filter(params, "line")
    status = choice_filter(params, "status", STATUS_FILTERS)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    now = _now(request)
    with _db(request).session() as session:
        flt = _filter(session, line_id, status, start, end)
        rows, total = followups.search(
            session=session,
            user=user,
            flt=flt,
            now=now,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        overdue = followups.overdue_count(session=session, user=user, line_id=line_id, now=now)
        lines = session.exec(select(Line).order_by(col(Line.name))).all()
        kept = {k: params[k] for k in LIST_KEYS if params.get(k)}
        _audit(request, session, user, AuditAction.view, "follow_up_list", detail=urlencode(kept))
    _ = translator(request, user)
    return render(
        request,
        "supervisor_followups.html",
        user=user,
        rows=rows,
        total=total,
        overdue=overdue,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=params,
        lines=lines,
        status_keys=list(STATUS_FILTERS),
        labels=labels.all_labels(_),
        when=_local,
        base_query=urlencode([(k, v) for k, v in params.multi_items() if k != "page"]),
    )


@router.get("/supervisor/followups.csv", include_in_schema=False)
def supervisor_csv(request: Request, user: Supervising) -> Response:
    """The list as filtered on the page, every row (not only the page shown); no caller data."""
    params = request.query_params
    line_id = id_filter(params, "line")
    status = choice_filter(params, "status", STATUS_FILTERS)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    now = _now(request)
    found: list[dict[str, Any]] = []
    with _db(request).session() as session:
        flt = _filter(session, line_id, status, start, end)
        while True:
            rows, total = followups.search(
                session=session, user=user, flt=flt, now=now, limit=500, offset=len(found)
            )
            found += rows
            if not rows or len(found) >= total:
                break
        kept = {k: params[k] for k in LIST_KEYS if params.get(k)}
        _audit(request, session, user, AuditAction.export, "follow_up_list", detail=urlencode(kept))
    _ = translator(request, user)
    names = labels.all_labels(_)
    header = [
        _("Follow-up"),
        _("Call"),
        _("Line"),
        _("Priority"),
        _("Window"),
        _("Due"),
        _("Status"),
        _("Assigned to"),
        _("Attempts"),
        _("Closed at"),
        _("Why it closed"),
    ]
    lines = (
        [
            r["id"],
            r["call_id"],
            r["line_name"],
            _("Yes") if r["priority"] else _("No"),
            names["windows"].get(r["within"], r["within"]),
            _local(r["due_at"], r["timezone"]),
            names["statuses"]["overdue" if r["overdue"] else r["status"]],
            r["assigned_to"],
            r["attempts"],
            _local(r["closed_at"], r["timezone"]),
            names["close_reasons"].get(r["close_reason"] or "", r["close_reason"]),
        ]
        for r in found
    )
    return csv_response("follow-ups", header, lines, now=now)


# --- JSON -------------------------------------------------------------------------------------


class AttemptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: CallbackOutcome
    note: str = Field(default="", max_length=followups.NOTE_MAX_CHARS)


def _fail(request: Request, user: User, failure: FollowUpError) -> JSONResponse:
    _ = translator(request, user)
    return JSONResponse(
        {"code": failure.code, "detail": labels.error_message(_, failure.code)},
        status_code=failure.status,
    )


def _json_item(item: dict[str, Any]) -> dict[str, Any]:
    return {**_public(item), "history": [_public(entry) for entry in item["history"]]}


@router.get("/api/followups")
def list_api(
    request: Request,
    user: CurrentUser,
    status: Annotated[str | None, Query()] = None,
    line: Annotated[int | None, Query()] = None,
    due_from: Annotated[date | None, Query(alias="from")] = None,
    due_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Follow-ups the user may see (counselors: their lines), `PAGE_SIZE` a page."""
    if status is not None and status not in STATUS_FILTERS:
        _ = translator(request, user)
        return JSONResponse({"code": "bad_status", "detail": _("Unknown status.")}, status_code=422)
    with _db(request).session() as session:
        flt = _filter(session, line, status, due_from, due_to)
        rows, total = followups.search(
            session=session,
            user=user,
            flt=flt,
            now=_now(request),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        kept = {k: request.query_params[k] for k in LIST_KEYS if request.query_params.get(k)}
        _audit(request, session, user, AuditAction.view, "follow_up_list", detail=urlencode(kept))
    return JSONResponse(
        {"data": [_public(r) for r in rows], "count": total, "page": page},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/api/followups/{follow_up_id}")
def get_api(follow_up_id: int, request: Request, user: CurrentUser) -> Response:
    try:
        with _db(request).session() as session:
            item = _read(request, session, user, follow_up_id)
    except FollowUpError as failure:
        return _fail(request, user, failure)
    return JSONResponse(_json_item(item), headers={"Cache-Control": "no-store"})


def _api_action(
    request: Request, user: User, follow_up_id: int, act: Callable[[Session], FollowUp], detail: str
) -> Response:
    try:
        with _db(request).session() as session:
            act(session)
            _audit(request, session, user, AuditAction.edit, "follow_up", follow_up_id, detail)
            item = _read(request, session, user, follow_up_id)
    except FollowUpError as failure:
        return _fail(request, user, failure)
    return JSONResponse(_json_item(item), headers={"Cache-Control": "no-store"})


@router.post("/api/followups/{follow_up_id}/claim", dependencies=[CsrfChecked])
def claim_api(follow_up_id: int, request: Request, user: CurrentUser) -> Response:
    return _api_action(
        request,
        user,
        follow_up_id,
        lambda s: followups.claim(session=s, follow_up_id=follow_up_id, user=user),
        "claim",
    )


@router.post("/api/followups/{follow_up_id}/release", dependencies=[CsrfChecked])
def release_api(follow_up_id: int, request: Request, user: CurrentUser) -> Response:
    return _api_action(
        request,
        user,
        follow_up_id,
        lambda s: followups.release(session=s, follow_up_id=follow_up_id, user=user),
        "release",
    )


@router.post("/api/followups/{follow_up_id}/attempts", dependencies=[CsrfChecked])
def attempt_api(
    follow_up_id: int, body: AttemptCreate, request: Request, user: CurrentUser
) -> Response:
    return _api_action(
        request,
        user,
        follow_up_id,
        lambda s: followups.log_attempt(
            session=s,
            follow_up_id=follow_up_id,
            user=user,
            outcome=body.outcome,
            note=body.note,
            now=_now(request),
        ),
        f"attempt {body.outcome.value}",
    )


@router.post("/api/followups/{follow_up_id}/cancel", dependencies=[CsrfChecked])
def cancel_api(follow_up_id: int, request: Request, user: ApiSupervising) -> Response:
    return _api_action(
        request,
        user,
        follow_up_id,
        lambda s: followups.cancel(
            session=s, follow_up_id=follow_up_id, user=user, now=_now(request)
        ),
        "cancel",
    )
