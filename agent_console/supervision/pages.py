"""Supervision (督导) pages: the sessions (list, new, view and edit) with each counselor's hours
and the debrief requests, for supervisors and admins; and a counselor's own sessions, hours,
actions and debriefs at /console/supervision, where they can ask for a debrief.

The rules are `hotline.supervision.service`; these routes read forms, check the CSRF token,
render, and write the audit log (before and after, never the themes or the actions' words) in
the request's unit of work. A refused form is shown again with each field's reason (422).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from agent_console.review.views import local_time
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import PageUser, RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.i18n import N_, Gettext
from hotline.review import service as review
from hotline.supervision import service as supervision
from hotline.supervision.forms import SessionForm
from hotline.supervision.models import DebriefStatus, SessionKind
from hotline.supervision.service import SupervisionError

router = APIRouter(tags=["supervision"])
Supervising = Annotated[User, Depends(RequirePageRole(*supervision.SUPERVISORS))]
NOTICES = {
    "saved": N_("The supervision session was saved."),
    "done": N_("The action is marked done."),
    "scheduled": N_("The debrief is scheduled."),
    "asked": N_("Your debrief request was sent to the supervisors."),
}
KIND_LABELS = {SessionKind.individual: N_("Individual"), SessionKind.group: N_("Group")}
STATUS_LABELS = {
    DebriefStatus.requested: N_("Requested"),
    DebriefStatus.scheduled: N_("Scheduled"),
    DebriefStatus.done: N_("Done"),
}
REASON_LABELS = {"high_risk": N_("After a high-risk contact"), "asked": N_("Asked for")}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _tz(session: Session) -> ZoneInfo:
    return review.zone_of(session=session, line_id=None)


def _labels(_: Gettext) -> dict[str, dict[str, str]]:
    return {
        "kinds": {k.value: _(v) for k, v in KIND_LABELS.items()},
        "statuses": {k.value: _(v) for k, v in STATUS_LABELS.items()},
        "reasons": {k: _(v) for k, v in REASON_LABELS.items()},
    }


def _notice(request: Request, _: Gettext) -> str | None:
    key = request.query_params.get("done", "")
    return _(NOTICES[key]) if key in NOTICES else None


def _errors(failure: SupervisionError, _: Gettext) -> dict[str, str]:
    return {name: failure.text_for(code, _) for name, code in failure.errors.items()}


async def _posted(request: Request) -> SessionForm:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    values = {k: str(v) for k, v in form.items()}
    lists = {"counselors": [str(v) for v in form.getlist("counselors")]}
    return SessionForm.read(values, lists)


Posted = Annotated[SessionForm, Depends(_posted)]


# --- the list ---------------------------------------------------------------------------------


@router.get("/supervisor/supervision", include_in_schema=False)
def sessions_page(request: Request, user: Supervising, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    tz = _tz(session)
    rows = supervision.sessions(session=session)
    record_request(
        request,
        action=AuditAction.view,
        object_type="supervision_list",
        user=user,
        detail=f"count={len(rows)}",
        session=session,
    )
    return render(
        request,
        "supervision_list.html",
        user=user,
        rows=rows,
        hours=supervision.hours(session=session, now=_now(request), tz=tz),
        debriefs=supervision.debriefs(session=session, open_only=True),
        labels=_labels(_),
        notice=_notice(request, _),
        when=local_time(tz),
    )


# --- a new session ----------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    user: User,
    form: SessionForm,
    *,
    session_id: int | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    _ = translator(request, user)
    return render(
        request,
        "supervision_form.html",
        user=user,
        form=form,
        session_id=session_id,
        people=supervision.attending_people(session=session),
        supervisors=supervision.supervisors(session=session),
        errors=errors or {},
        error=error,
        labels=_labels(_),
        status_code=status_code,
        **(extra or {}),
    )


@router.get("/supervisor/supervision/new", include_in_schema=False)
def new_session_page(request: Request, user: Supervising, session: SessionDep) -> Response:
    """The empty form; `?call=ID` pre-fills a call from call review (and its counselor),
    `?debrief=ID` a debrief request's counselor and call (saving marks it held)."""
    remember_locale(request)
    local = _now(request).astimezone(_tz(session))
    form = SessionForm(supervisor=str(user.id), day=local.date().isoformat(), at="")
    form.at = local.strftime("%H:%M")
    params = request.query_params
    call_id = params.get("call", "")
    if call_id.isdigit() and len(call_id) < 10:
        found = supervision.call_and_counselor(session=session, call_id=int(call_id))
        if found is not None:
            form.calls = f"#{found[0]}"
            if found[1] is not None:
                form.counselors = [str(found[1])]
    debrief_id = params.get("debrief", "")
    if debrief_id.isdigit() and len(debrief_id) < 10:
        debrief = supervision.get_debrief(session=session, debrief_id=int(debrief_id))
        form.debrief = str(debrief.id)
        form.kind = SessionKind.individual.value
        form.counselors = [str(debrief.counselor_id)]
        if debrief.call_id is not None:
            form.calls = f"#{debrief.call_id}"
    return _form_page(request, session, user, form)


@router.post("/supervisor/supervision", include_in_schema=False)
def create_session(
    request: Request, user: Supervising, form: Posted, session: SessionDep
) -> Response:
    try:
        data = form.data(_tz(session))
        record = supervision.create_session(
            session=session, data=data, actor=user, now=_now(request)
        )
    except SupervisionError as failure:
        if failure.status == 404:
            raise
        _ = translator(request, user)
        return _form_page(
            request,
            session,
            user,
            form,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=422 if failure.status == 404 else failure.status,
        )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="supervision_session",
        object_id=record.id,
        user=user,
        detail="created: " + supervision.describe(session=session, record=record),
        session=session,
    )
    return RedirectResponse(f"/supervisor/supervision/{record.id}?done=saved", status_code=303)


# --- one session: view and edit ---------------------------------------------------------------


def _form_of(detail: supervision.SessionDetail, tz: ZoneInfo) -> SessionForm:
    record = detail.record
    local = record.held_at.astimezone(tz)
    return SessionForm(
        kind=record.kind.value,
        supervisor=str(record.supervisor_id),
        day=local.date().isoformat(),
        at=local.strftime("%H:%M"),
        duration=str(record.duration_min),
        counselors=[str(p.id) for p in detail.counselors],
        calls=", ".join(f"#{c}" for c in detail.call_ids),
        themes=record.themes or "",
    )


def _detail_extra(
    request: Request, session: Session, user: User, detail: supervision.SessionDetail
) -> dict[str, Any]:
    _ = translator(request, user)
    tz = _tz(session)
    return {
        "detail": detail,
        "today": _now(request).astimezone(tz).date(),
        "notice": _notice(request, _),
        "when": local_time(tz),
    }


@router.get("/supervisor/supervision/{session_id}", include_in_schema=False)
def session_page(
    session_id: int, request: Request, user: Supervising, session: SessionDep
) -> Response:
    remember_locale(request)
    record = supervision.get_session(session=session, session_id=session_id)
    detail = supervision.session_detail(session=session, record=record)
    record_request(
        request,
        action=AuditAction.view,
        object_type="supervision_session",
        object_id=session_id,
        user=user,
        session=session,
    )
    return _form_page(
        request,
        session,
        user,
        _form_of(detail, _tz(session)),
        session_id=session_id,
        extra=_detail_extra(request, session, user, detail),
    )


@router.post("/supervisor/supervision/{session_id}", include_in_schema=False)
def update_session(
    session_id: int, request: Request, user: Supervising, form: Posted, session: SessionDep
) -> Response:
    record = supervision.get_session(session=session, session_id=session_id)
    try:
        data = form.data(_tz(session))
        before, record = supervision.update_session(
            session=session, session_id=session_id, data=data, now=_now(request)
        )
    except SupervisionError as failure:
        if failure.status == 404:
            raise
        _ = translator(request, user)
        detail = supervision.session_detail(session=session, record=record)
        return _form_page(
            request,
            session,
            user,
            form,
            session_id=session_id,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
            extra=_detail_extra(request, session, user, detail),
        )
    after = supervision.describe(session=session, record=record)
    record_request(
        request,
        action=AuditAction.edit,
        object_type="supervision_session",
        object_id=session_id,
        user=user,
        detail=f"before: {before}; after: {after}",
        session=session,
    )
    return RedirectResponse(f"/supervisor/supervision/{session_id}?done=saved", status_code=303)


@router.post(
    "/supervisor/supervision/{session_id}/actions/{action_id}/done", include_in_schema=False
)
async def action_done(
    session_id: int, action_id: int, request: Request, user: Supervising, session: SessionDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    action = supervision.mark_action_done(
        session=session, session_id=session_id, action_id=action_id, actor=user, now=_now(request)
    )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="supervision_action",
        object_id=action.id,
        user=user,
        detail=f"session={session_id} before: open; after: done",
        session=session,
    )
    return RedirectResponse(f"/supervisor/supervision/{session_id}?done=done", status_code=303)


# --- debriefs ---------------------------------------------------------------------------------


@router.post("/supervisor/debriefs/{debrief_id}/schedule", include_in_schema=False)
async def schedule_debrief(
    debrief_id: int, request: Request, user: Supervising, session: SessionDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    tz = _tz(session)
    debrief = supervision.get_debrief(session=session, debrief_id=debrief_id)
    before = debrief.status.value
    try:
        local = datetime.combine(
            date.fromisoformat(str(form.get("day") or "")),
            time.fromisoformat(str(form.get("at") or "")),
        )
    except ValueError:
        _ = translator(request, user)
        failure = SupervisionError("bad_when")
        rows = supervision.sessions(session=session)
        return render(
            request,
            "supervision_list.html",
            user=user,
            rows=rows,
            hours=supervision.hours(session=session, now=_now(request), tz=tz),
            debriefs=supervision.debriefs(session=session, open_only=True),
            labels=_labels(_),
            notice=None,
            schedule_error={"id": debrief_id, "text": failure.message(_)},
            when=local_time(tz),
            status_code=422,
        )
    supervision.schedule_debrief(
        session=session,
        debrief_id=debrief_id,
        at=local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")),
        now=_now(request),
    )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="debrief",
        object_id=debrief_id,
        user=user,
        detail=f"before: {before}; after: scheduled {local:%Y-%m-%d %H:%M}",
        session=session,
    )
    return RedirectResponse("/supervisor/supervision?done=scheduled", status_code=303)


# --- the counselor's own ----------------------------------------------------------------------


def _mine_page(
    request: Request,
    session: Session,
    user: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    tz = _tz(session)
    uid = user.id or 0
    hours = supervision.hours(session=session, now=_now(request), tz=tz, counselor_id=uid)
    return render(
        request,
        "supervision_mine.html",
        user=user,
        rows=supervision.sessions(session=session, counselor_id=uid),
        hours=hours[0] if hours else supervision.Hours(uid, user.display_name),
        actions=supervision.open_actions_of(session=session, user_id=uid),
        debriefs=supervision.debriefs(session=session, counselor_id=uid),
        labels=_labels(_),
        notice=_notice(request, _),
        error=error,
        when=local_time(tz),
        status_code=status_code,
    )


@router.get("/console/supervision", include_in_schema=False)
def my_supervision_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    remember_locale(request)
    record_request(
        request, action=AuditAction.view, object_type="my_supervision", user=user, session=session
    )
    return _mine_page(request, session, user)


@router.post("/console/supervision/debriefs", include_in_schema=False)
async def ask_for_debrief(request: Request, user: PageUser, session: SessionDep) -> Response:
    """A counselor asks for a debrief: about one of their calls (#id), or in general."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    raw = str(form.get("call") or "").strip().lstrip("#")
    try:
        if raw and not (raw.isdigit() and len(raw) < 10):
            raise SupervisionError("bad_calls")
        debrief = supervision.request_debrief(
            session=session, counselor=user, call_id=int(raw) if raw else None, now=_now(request)
        )
    except SupervisionError as failure:
        _ = translator(request, user)
        return _mine_page(
            request,
            session,
            user,
            error=failure.message(_),
            status_code=409 if failure.status == 409 else 422,
        )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="debrief",
        object_id=debrief.id,
        user=user,
        detail=f"requested call={debrief.call_id} reason={debrief.reason.value}",
        session=session,
    )
    return RedirectResponse("/console/supervision?done=asked", status_code=303)
