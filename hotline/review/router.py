"""Supervisors' pages: the shift log, the escalation log, call review (with CSV exports), the
counselor's feedback list, Twilio's recording status callback and the recording playback proxy.

Every supervisor page and export checks the role on the route and is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from agent_console.kit.render import locale_of, remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import PageUser, check_csrf, sign_in_redirect, user_from_connection
from hotline.auth.models import Role, User
from hotline.config import Settings
from hotline.csv_export import csv_response
from hotline.db import Database
from hotline.escalation.models import EscalationStatus
from hotline.escalation.service import OUTCOMES
from hotline.lines.models import Line
from hotline.notes.models import IssueCategory
from hotline.query_filters import choice_filter, date_filter, id_filter, page_filter
from hotline.review import labels, playback
from hotline.review import service as review
from hotline.review.models import QA_CRITERIA, SCORE_MAX, SCORE_MIN, CallRecording
from hotline.risk.triage import LEVEL_ORDER
from hotline.telephony.service import answer_webhook, seconds
from hotline.telephony.signature import SignedForm, require

log = logging.getLogger(__name__)
router = APIRouter(tags=["review"])
REVIEWERS = (Role.supervisor, Role.admin)


def _reviewer(request: Request) -> User:
    user = user_from_connection(request)
    if user is None:
        if request.url.path.endswith(".csv"):
            raise HTTPException(status_code=401, detail="sign in required")
        raise sign_in_redirect()
    if user.role not in REVIEWERS:
        raise HTTPException(status_code=403, detail="not allowed for your role")
    return user


Reviewer = Annotated[User, Depends(_reviewer)]


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


# --- query strings ----------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _page(request: Request) -> int:
    return page_filter(request.query_params)


def _filters_text(request: Request, keys: Iterable[str]) -> str:
    """The filters used, for the audit log: only the known, non-sensitive keys."""
    kept = {k: request.query_params[k] for k in keys if request.query_params.get(k)}
    return urlencode(kept)


def _query_without(request: Request, *drop: str) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in drop])


def _options(session: Session) -> dict[str, Any]:
    lines = session.exec(select(Line).order_by(col(Line.name))).all()
    people = session.exec(
        select(User)
        .where(col(User.role).in_([Role.counselor.value, Role.supervisor.value]))
        .order_by(col(User.display_name))
    ).all()
    return {"lines": lines, "people": people}


def _iso(value: datetime | None, tz: Any) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


# --- the shift log ----------------------------------------------------------------------------

SHIFT_KEYS = ("from", "to", "line", "person")


def _shift_query(request: Request, session: Session) -> dict[str, Any]:
    params = request.query_params
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    today = _now(request).astimezone(tz).date()
    end = date_filter(params, "to") or today
    start = date_filter(params, "from") or end - timedelta(days=6)
    return {
        "start": start,
        "end": end,
        "line_id": line_id,
        "user_id": id_filter(params, "person"),
        "tz": tz,
    }


def _shift_rows(request: Request, session: Session) -> tuple[dict[str, Any], list[Any], str]:
    query = _shift_query(request, session)
    _ = translator(request)
    error = ""
    rows: list[review.ShiftRow] = []
    try:
        rows = review.shift_log(
            session=session,
            start=query["start"],
            end=query["end"],
            now=_now(request),
            line_id=query["line_id"],
            user_id=query["user_id"],
        )
    except review.ReviewError as failure:
        error = error_message(_, failure.code)
    return query, rows, error


def error_message(_: Callable[[str], str], code: str) -> str:
    return {
        "bad_range": _("The end date must not be before the start date."),
        "range_too_long": _("Choose a period of at most %(days)s days.")
        % {"days": review.MAX_RANGE_DAYS},
        "bad_score": _("Scores go from 1 to 5."),
        "not_found": _("There is no such call."),
        "forbidden": _("You are not allowed to do this."),
    }.get(code, _("Something went wrong. Please try again."))


@router.get("/supervisor/shifts", include_in_schema=False)
def shifts_page(request: Request, user: Reviewer) -> Response:
    remember_locale(request)
    with _db(request).session() as session:
        query, rows, error = _shift_rows(request, session)
        options = _options(session)
        record_request(
            request,
            action=AuditAction.view,
            object_type="shift_log",
            user=user,
            detail=_filters_text(request, SHIFT_KEYS),
            session=session,
        )
    page = _page(request)
    shown = rows[(page - 1) * review.PAGE_SIZE : page * review.PAGE_SIZE]
    return render(
        request,
        "supervisor_shifts.html",
        user=user,
        query=query,
        rows=shown,
        total=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // review.PAGE_SIZE)),
        totals=review.shift_totals(rows),
        error=error,
        states=review.STATES,
        labels=labels.all_labels(translator(request, user)),
        hms=_hms,
        when=lambda value: _iso(value, query["tz"]),
        base_query=_query_without(request, "page"),
        **options,
    )


@router.get("/supervisor/shifts.csv", include_in_schema=False)
def shifts_csv(request: Request, user: Reviewer) -> Response:
    _ = translator(request, user)
    with _db(request).session() as session:
        query, rows, error = _shift_rows(request, session)
        if error:
            raise HTTPException(status_code=422, detail=error)
        record_request(
            request,
            action=AuditAction.export,
            object_type="shift_log",
            user=user,
            detail=_filters_text(request, SHIFT_KEYS) + " csv",
            session=session,
        )
    state_labels = labels.states(_)
    header = [
        _("Day"),
        _("Person"),
        _("First sign-in"),
        _("Last sign-out"),
        _("Sign-ins"),
        _("Sign-outs"),
        _("Went offline"),
        *[_("Seconds: %(state)s") % {"state": state_labels[s]} for s in review.STATES],
        _("Calls handled"),
        _("Notes submitted"),
        _("Notes overdue"),
        _("Offers missed"),
    ]
    tz = query["tz"]
    lines: list[list[Any]] = [
        [
            r.day.isoformat(),
            r.name,
            _iso(r.first_sign_in, tz),
            _iso(r.last_sign_out, tz),
            r.sign_ins,
            r.sign_outs,
            r.went_offline,
            *[round(r.seconds.get(s, 0.0)) for s in review.STATES],
            r.calls_handled,
            r.notes_submitted,
            r.notes_overdue,
            r.offers_missed,
        ]
        for r in rows
    ]
    # The last line sums the whole filtered period (every person and day above).
    totals = review.shift_totals(rows)
    lines.append(
        [
            _("Total"),
            "",
            "",
            "",
            totals.sign_ins,
            totals.sign_outs,
            totals.went_offline,
            *[round(totals.seconds.get(s, 0.0)) for s in review.STATES],
            totals.calls_handled,
            totals.notes_submitted,
            totals.notes_overdue,
            totals.offers_missed,
        ]
    )
    return csv_response("shift-log", header, lines, now=_now(request))


# --- the escalation log -----------------------------------------------------------------------

ESCALATION_KEYS = ("from", "to", "line", "level", "status", "outcome")
LEVEL_KEYS = tuple(level.value for level in LEVEL_ORDER)
ESCALATION_STATUS_KEYS = ("open", *(s.value for s in EscalationStatus))


def _escalation_filter(request: Request, session: Session) -> tuple[review.EscalationFilter, Any]:
    params = request.query_params
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    return (
        review.EscalationFilter(
            since=review.day_bounds(start, tz)[0] if start else None,
            until=review.day_bounds(end, tz)[1] if end else None,
            line_id=line_id,
            level=choice_filter(params, "level", LEVEL_KEYS),
            status=choice_filter(params, "status", ESCALATION_STATUS_KEYS),
            outcome=choice_filter(params, "outcome", OUTCOMES),
        ),
        tz,
    )


@router.get("/supervisor/escalations", include_in_schema=False)
def escalations_page(request: Request, user: Reviewer) -> Response:
    remember_locale(request)
    page = _page(request)
    with _db(request).session() as session:
        flt, tz = _escalation_filter(request, session)
        rows, total = review.escalation_log(
            session=session, flt=flt, limit=review.PAGE_SIZE, offset=(page - 1) * review.PAGE_SIZE
        )
        options = _options(session)
        record_request(
            request,
            action=AuditAction.view,
            object_type="escalation_log",
            user=user,
            detail=_filters_text(request, ESCALATION_KEYS),
            session=session,
        )
    return render(
        request,
        "supervisor_escalations.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // review.PAGE_SIZE)),
        params=request.query_params,
        level_keys=list(LEVEL_KEYS),
        status_keys=list(ESCALATION_STATUS_KEYS),
        outcome_keys=OUTCOMES,
        labels=labels.all_labels(translator(request, user)),
        when=lambda value: _iso(value, tz),
        hms=_hms,
        base_query=_query_without(request, "page"),
        **options,
    )


@router.get("/supervisor/escalations.csv", include_in_schema=False)
def escalations_csv(request: Request, user: Reviewer) -> Response:
    _ = translator(request, user)
    found: list[dict[str, Any]] = []
    with _db(request).session() as session:
        flt, tz = _escalation_filter(request, session)
        offset = 0
        while True:  # every matching row, not only the page on screen
            rows, total = review.escalation_log(session=session, flt=flt, limit=500, offset=offset)
            found += rows
            offset += 500
            if offset >= total or not rows:
                break
        record_request(
            request,
            action=AuditAction.export,
            object_type="escalation_log",
            user=user,
            detail=_filters_text(request, ESCALATION_KEYS) + " csv",
            session=session,
        )
    names = labels.all_labels(_)
    header = [
        _("Escalation"),
        _("Call"),
        _("Line"),
        _("Crisis level"),
        _("Status"),
        _("Triggered at"),
        _("Triggered by"),
        _("Acknowledged by"),
        _("Acknowledged at"),
        _("Seconds to acknowledge"),
        _("Joined at"),
        _("Seconds to join"),
        _("Resolved by"),
        _("Resolved at"),
        _("Outcome"),
        _("Call ended at"),
    ]
    return csv_response(
        "escalation-log",
        header,
        (
            [
                r["id"],
                r["call_id"],
                r["line_name"],
                names["levels"].get(r["level"], r["level"]),
                names["statuses"].get(r["status"], r["status"]),
                _iso(r["created_at"], tz),
                r["triggered_by"],
                r["acknowledged_by"],
                _iso(r["acknowledged_at"], tz),
                None if r["seconds_to_ack"] is None else round(r["seconds_to_ack"]),
                _iso(r["joined_at"], tz),
                None if r["seconds_to_join"] is None else round(r["seconds_to_join"]),
                r["resolved_by"],
                _iso(r["resolved_at"], tz),
                names["outcomes"].get(r["outcome"] or "", r["outcome"]),
                _iso(r["call_ended_at"], tz),
            ]
            for r in found
        ),
        now=_now(request),
    )


@router.get("/supervisor/escalations/{escalation_id}", include_in_schema=False)
def escalation_page(escalation_id: int, request: Request, user: Reviewer) -> Response:
    remember_locale(request)
    with _db(request).session() as session:
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
        when=lambda value: _iso(value, tz),
        status_code=200 if detail is not None else 404,
    )


# --- call review ------------------------------------------------------------------------------

CALL_KEYS = ("from", "to", "line", "level", "category", "person", "marked")


def _call_filter(request: Request, session: Session) -> tuple[review.CallFilter, Any]:
    params = request.query_params
    line_id = id_filter(params, "line")
    tz = review.zone_of(session=session, line_id=line_id)
    start, end = date_filter(params, "from"), date_filter(params, "to")
    return (
        review.CallFilter(
            since=review.day_bounds(start, tz)[0] if start else None,
            until=review.day_bounds(end, tz)[1] if end else None,
            line_id=line_id,
            crisis_level=choice_filter(params, "level", LEVEL_KEYS),
            category_id=id_filter(params, "category"),
            counselor_id=id_filter(params, "person"),
            marked=choice_filter(params, "marked", ("0", "1")) == "1",
        ),
        tz,
    )


def _categories(session: Session, locale: str) -> list[tuple[int, str]]:
    found = session.exec(
        select(IssueCategory).order_by(col(IssueCategory.sort), col(IssueCategory.id))
    ).all()
    by_id = {c.id: c for c in found}

    def label(category: IssueCategory) -> str:
        own = category.label_zh if locale == "zh_CN" else category.label_en
        parent = by_id.get(category.parent_id) if category.parent_id else None
        return f"{label(parent)} › {own}" if parent is not None else own

    return [(c.id, label(c)) for c in found if c.id is not None]


@router.get("/supervisor/calls", include_in_schema=False)
def calls_page(request: Request, user: Reviewer) -> Response:
    remember_locale(request)
    page = _page(request)
    locale = locale_of(request, user)
    with _db(request).session() as session:
        flt, tz = _call_filter(request, session)
        rows, total = review.call_search(
            session=session, flt=flt, limit=review.PAGE_SIZE, offset=(page - 1) * review.PAGE_SIZE
        )
        options = _options(session)
        categories = _categories(session, locale)
        record_request(
            request,
            action=AuditAction.view,
            object_type="call_list",
            user=user,
            detail=_filters_text(request, CALL_KEYS),
            session=session,
        )
    return render(
        request,
        "supervisor_calls.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // review.PAGE_SIZE)),
        params=request.query_params,
        level_keys=list(LEVEL_KEYS),
        categories=categories,
        category_names=dict(categories),
        labels=labels.all_labels(translator(request, user)),
        when=lambda value: _iso(value, tz),
        hms=_hms,
        base_query=_query_without(request, "page"),
        **options,
    )


@router.get("/supervisor/calls.csv", include_in_schema=False)
def calls_csv(request: Request, user: Reviewer) -> Response:
    _ = translator(request, user)
    locale = locale_of(request, user)
    found: list[dict[str, Any]] = []
    with _db(request).session() as session:
        flt, tz = _call_filter(request, session)
        offset = 0
        while True:
            rows, total = review.call_search(session=session, flt=flt, limit=500, offset=offset)
            found += rows
            offset += 500
            if offset >= total or not rows:
                break
        category_names = dict(_categories(session, locale))
        record_request(
            request,
            action=AuditAction.export,
            object_type="call_list",
            user=user,
            detail=_filters_text(request, CALL_KEYS) + " csv",
            session=session,
        )
    names = labels.all_labels(_)
    header = [
        _("Call"),
        _("Time"),
        _("Line"),
        _("Counselor"),
        _("Status"),
        _("Talk time (seconds)"),
        _("Call type"),
        _("Crisis level"),
        _("Categories"),
        _("Note"),
        _("Note overdue"),
        _("Reviewed"),
        _("Marked for review"),
    ]
    yes, no = _("Yes"), _("No")
    return csv_response(
        "calls",
        header,
        (
            [
                r["id"],
                _iso(r["created_at"], tz),
                r["line_name"],
                r["counselor"],
                names["call_states"].get(r["state"], r["state"]),
                None if r["seconds"] is None else round(r["seconds"]),
                names["call_types"].get(r["call_type"] or "", r["call_type"]),
                names["levels"].get(r["crisis_level"] or "", r["crisis_level"]),
                "; ".join(category_names.get(c, str(c)) for c in r["categories"]),
                {"draft": _("Draft"), "submitted": _("Submitted")}.get(r["note_status"] or "", ""),
                yes if r["overdue"] else no,
                yes if r["reviewed"] else no,
                yes if r["marked"] else no,
            ]
            for r in found
        ),
        now=_now(request),
    )


@router.get("/supervisor/calls/{call_id}", include_in_schema=False)
def call_page(call_id: int, request: Request, user: Reviewer) -> Response:
    remember_locale(request)
    locale = locale_of(request, user)
    with _db(request).session() as session:
        detail = review.call_detail(session=session, call_id=call_id)
        tz = review.zone_of(session=session, line_id=None)
        categories = dict(_categories(session, locale))
        if detail is not None:
            record_request(
                request,
                action=AuditAction.view,
                object_type="call",
                object_id=call_id,
                user=user,
                detail="review",
                session=session,
            )
            scores = review.scores_of(detail["review"]) if detail["review"] else {}
    return render(
        request,
        "supervisor_call.html",
        user=user,
        detail=detail,
        scores=scores if detail is not None else {},
        criteria=QA_CRITERIA,
        score_range=range(SCORE_MIN, SCORE_MAX + 1),
        category_names=categories,
        labels=labels.all_labels(translator(request, user)),
        when=lambda value: _iso(value, tz),
        hms=_hms,
        saved=request.query_params.get("saved") == "1",
        error=None,
        status_code=200 if detail is not None else 404,
    )


@router.post("/supervisor/calls/{call_id}/review", include_in_schema=False)
async def save_review(call_id: int, request: Request, user: Reviewer) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    _ = translator(request, user)
    scores: dict[str, int | None] = {}
    bad = False
    for criterion in QA_CRITERIA:
        raw = str(form.get(f"score_{criterion}") or "")
        value = _int(raw)
        if raw and value is None:
            bad = True
        scores[criterion] = value
    comment = str(form.get("comment") or "")[:4000]
    marked = form.get("marked_for_review") == "1"

    def save() -> str | None:
        if bad:
            return error_message(_, "bad_score")
        try:
            with _db(request).session() as session:
                review.save_review(
                    session=session,
                    call_id=call_id,
                    reviewer=user,
                    scores=scores,
                    marked_for_review=marked,
                    comment=comment,
                    now=_now(request),
                )
                record_request(
                    request,
                    action=AuditAction.edit,
                    object_type="call_review",
                    object_id=call_id,
                    user=user,
                    detail="marked" if marked else None,
                    session=session,
                )
        except review.ReviewError as failure:
            if failure.status == 404:
                raise HTTPException(status_code=404, detail="no such call") from failure
            return error_message(_, failure.code)
        return None

    error = await run_in_threadpool(save)
    if error is None:
        return RedirectResponse(f"/supervisor/calls/{call_id}?saved=1", status_code=303)
    with _db(request).session() as session:
        detail = review.call_detail(session=session, call_id=call_id)
        tz = review.zone_of(session=session, line_id=None)
        categories = dict(_categories(session, locale_of(request, user)))
    return render(
        request,
        "supervisor_call.html",
        user=user,
        detail=detail,
        scores=scores,
        criteria=QA_CRITERIA,
        score_range=range(SCORE_MIN, SCORE_MAX + 1),
        category_names=categories,
        labels=labels.all_labels(_),
        when=lambda value: _iso(value, tz),
        hms=_hms,
        saved=False,
        error=error,
        status_code=422,
    )


# --- recordings -------------------------------------------------------------------------------


@router.post("/twilio/recording/status")
def recording_status(request: Request, params: SignedForm) -> Response:
    """Twilio's recording status callback: keep the URL of a completed recording of a call.

    Only a recording at Twilio's API (or the simulator) is kept: playback sends the account's
    credentials to that URL, so a signed callback must not be able to point them elsewhere."""
    require(params, "RecordingSid", "RecordingUrl")
    database = _db(request)
    settings: Settings = request.app.state.settings
    if not review.recording_url_allowed(
        params["RecordingUrl"],
        account_sid=settings.twilio_account_sid,
        sources=review.recording_sources(settings),
    ):
        log.warning(
            "recording callback refused: RecordingUrl on host %s is not an allowed recording",
            review.url_host(params["RecordingUrl"]),
        )
        raise HTTPException(status_code=400, detail="RecordingUrl is not an allowed recording")

    def handle(session: Session) -> str:
        if params.get("RecordingStatus", "completed") == "completed":
            review.store_recording(
                session=session,
                conference_sid=params.get("ConferenceSid"),
                call_sid=params.get("CallSid"),
                recording_sid=params["RecordingSid"],
                url=params["RecordingUrl"],
                duration_s=seconds(params.get("RecordingDuration")),
                now=_now(request),
            )
        return ""

    return answer_webhook(request, params, handle, db=database, clock=request.app.state.clock)


@router.get("/supervisor/calls/{call_id}/recordings/{recording_id}", include_in_schema=False)
def play_recording(call_id: int, recording_id: int, request: Request, user: Reviewer) -> Response:
    """The recording's audio, fetched from the provider with the account's credentials."""
    with _db(request).session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is None or recording.call_id != call_id:
            raise HTTPException(status_code=404, detail="no such recording")
        url = recording.url
        record_request(
            request,
            action=AuditAction.view,
            object_type="recording",
            object_id=recording_id,
            user=user,
            detail=f"call {call_id}",
            session=session,
        )
    return playback.stream(request, url, what=f"recording {recording_id}")


# --- the counselor's feedback -----------------------------------------------------------------


@router.get("/console/feedback", include_in_schema=False)
def feedback_page(request: Request, user: PageUser) -> Response:
    """Supervisors' comments and scores on this person's own calls."""
    remember_locale(request)
    with _db(request).session() as session:
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
        when=lambda value: _iso(value, tz),
    )
