"""The records pages: `/admin/records` (each line's retention, the purge runs, legal holds),
`/admin/blocklist` (supervisors and admins) and `/admin/subject-access`.

The rules and the audit log are in `hotline.retention.admin` and `hotline.blocklist.service`
(shared with the JSON API); these routes parse forms, check the CSRF token and render. A refused
form shows the page again with the reason next to the field and a 4xx status, having changed
nothing. Lifting a hold and removing a block first show a confirmation page (with what follows);
only a second POST with `confirm=1` acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.blocklist import service as blocklist
from hotline.blocklist.service import BlocklistError
from hotline.db import SessionDep
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.retention import admin as records
from hotline.retention.models import MIN_RETENTION_DAYS
from hotline.retention.service import RetentionError
from hotline.telephony.prompts import AMBULANCE, NATIONAL_CRISIS_LINE, POLICE

router = APIRouter(tags=["records"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
Supervising = Annotated[User, Depends(RequirePageRole(Role.supervisor, Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
NOTICES = {
    "held": N_("The call is under legal hold."),
    "released": N_("The legal hold was lifted."),
    "blocked": N_("The caller is blocked."),
    "unblocked": N_("The block was removed."),
}
DURATION_LABELS = {"24h": N_("24 hours"), "permanent": N_("Permanently")}
COUNT_LABELS = {
    "calls": N_("calls"),
    "call_events": N_("call events"),
    "call_notes": N_("notes"),
    "note_addenda": N_("note addenda"),
    "escalations": N_("escalations"),
    "escalation_pages": N_("pages"),
    "escalation_log": N_("escalation log entries"),
    "webhook_receipts": N_("webhook receipts"),
    "blocked_callers": N_("expired blocks"),
    "sign_in_attempts": N_("sign-in attempts"),
    "user_sessions": N_("sign-in sessions"),
}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


def _errors(failure: DomainError, _: Callable[[str], str]) -> dict[str, str]:
    return {field: failure.text_for(code, _) for field, code in failure.errors.items()}


def _notice(request: Request, _: Callable[[str], str]) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


# --- /admin/records -----------------------------------------------------------------------------


def _records_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    now = _now(request)
    holds = records.held_calls(session=session, now=now)
    record_request(
        request,
        action=AuditAction.view,
        object_type="legal_hold",
        user=user,
        detail=f"count={len(holds)} (admin page)",
        session=session,
    )
    return render(
        request,
        "records.html",
        user=user,
        periods=records.line_periods(session=session),
        minimum_days=MIN_RETENTION_DAYS,
        runs=records.recent_runs(session=session),
        next_run=records.next_run(session=session, now=now),
        count_labels={key: _(text) for key, text in COUNT_LABELS.items()},
        holds=holds,
        values=values or {"call": "", "reason": ""},
        errors=errors or {},
        error=error,
        notice=_notice(request, _),
        when=_when,
        day=_day,
        status_code=status_code,
    )


@router.get("/admin/records", include_in_schema=False)
def records_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _records_page(request, session, user)


@router.post("/admin/records/holds", include_in_schema=False)
def place_hold(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    call: Text = "",
    reason: Text = "",
) -> Response:
    """Hold a call (by #id or CallSid) against the purge, with a reason."""
    check_csrf(request, csrf_token)
    try:
        call_id, text = records.check_hold(session=session, reference=call, reason=reason)
        records.place_hold(
            session=session,
            call_id=call_id,
            reason=text,
            actor=user,
            now=_now(request),
            via=records.VIA_PAGE,
            ip=_ip(request),
        )
    except RetentionError as failure:
        _ = translator(request, user)
        errors = _errors(failure, _) or {"call": failure.message(_)}
        return _records_page(
            request,
            session,
            user,
            values={"call": call, "reason": reason},
            errors=errors,
            error=failure.message(_),
            status_code=failure.status if failure.status != 404 else 422,
        )
    return RedirectResponse("/admin/records?done=held", status_code=303)


@router.post("/admin/records/holds/{call_id}/release", include_in_schema=False)
def release_hold(
    request: Request,
    call_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Text = "",
    hold_id: Text = "",
) -> Response:
    """First the confirmation with what follows (the purge may erase the call); then, with
    `confirm=1` and the hold shown, the hold is lifted."""
    check_csrf(request, csrf_token)
    now = _now(request)
    held = records.held_call(session=session, call_id=call_id, now=now)
    if confirm != "1" or not hold_id.isdigit():
        return render(
            request,
            "records_release_confirm.html",
            user=user,
            held=held,
            next_run=records.next_run(session=session, now=now),
            when=_when,
            day=_day,
        )
    try:
        records.release_hold(
            session=session,
            call_id=call_id,
            actor=user,
            now=now,
            via=records.VIA_PAGE,
            ip=_ip(request),
            hold_id=int(hold_id),
        )
    except RetentionError as failure:
        _ = translator(request, user)
        return _records_page(
            request, session, user, error=failure.message(_), status_code=failure.status
        )
    return RedirectResponse("/admin/records?done=released", status_code=303)


# --- /admin/blocklist ---------------------------------------------------------------------------


def _blocklist_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    rows = blocklist.active_entries(session=session, now=_now(request))
    record_request(
        request,
        action=AuditAction.view,
        object_type="blocklist",
        user=user,
        detail=f"count={len(rows)} (admin page)",
        session=session,
    )
    return render(
        request,
        "blocklist.html",
        user=user,
        rows=rows,
        values=values or {"call": "", "number": "", "duration": "24h", "reason": ""},
        errors=errors or {},
        error=error,
        notice=_notice(request, _),
        durations={key: _(text) for key, text in DURATION_LABELS.items()},
        emergency={"police": POLICE, "ambulance": AMBULANCE, "crisis": NATIONAL_CRISIS_LINE},
        when=_when,
        status_code=status_code,
    )


@router.get("/admin/blocklist", include_in_schema=False)
def blocklist_page(request: Request, user: Supervising, session: SessionDep) -> Response:
    remember_locale(request)
    return _blocklist_page(request, session, user)


@router.post("/admin/blocklist", include_in_schema=False)
def add_block(
    request: Request,
    user: Supervising,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    call: Text = "",
    number: Text = "",
    duration: Text = "",
    reason: Text = "",
) -> Response:
    """Block the caller of a call (#id) or a typed number, for 24 hours or permanently."""
    check_csrf(request, csrf_token)
    # The number typed is never shown back: kept only to redisplay the form after a refusal.
    values = {"call": call, "number": number, "duration": duration, "reason": reason}
    try:
        call_id, typed, chosen, text = blocklist.check_form(
            call=call, number=number, duration=duration, reason=reason
        )
        blocklist.add(
            session=session,
            secret=_secret(request),
            duration=chosen,
            reason=text,
            actor=user,
            now=_now(request),
            via=records.VIA_PAGE,
            call_id=call_id,
            number=typed,
            ip=_ip(request),
        )
    except BlocklistError as failure:
        _ = translator(request, user)
        errors = _errors(failure, _)
        if failure.code == "no_call":
            errors = {"call": failure.message(_)}
        return _blocklist_page(
            request,
            session,
            user,
            values=values,
            errors=errors,
            error=failure.message(_),
            status_code=failure.status if failure.status != 404 else 422,
        )
    return RedirectResponse("/admin/blocklist?done=blocked", status_code=303)


@router.post("/admin/blocklist/{entry_id}/remove", include_in_schema=False)
def remove_block(
    request: Request,
    entry_id: int,
    user: Supervising,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Text = "",
) -> Response:
    """First the confirmation; then, with `confirm=1`, the caller is put through again."""
    check_csrf(request, csrf_token)
    now = _now(request)
    entry, author = blocklist.active(session=session, entry_id=entry_id, now=now)
    if confirm != "1":
        _ = translator(request, user)
        return render(
            request,
            "blocklist_remove_confirm.html",
            user=user,
            entry=entry,
            author=author,
            durations={key: _(text) for key, text in DURATION_LABELS.items()},
            when=_when,
        )
    blocklist.remove(
        session=session,
        entry_id=entry_id,
        actor=user,
        now=now,
        via=records.VIA_PAGE,
        ip=_ip(request),
    )
    return RedirectResponse("/admin/blocklist?done=unblocked", status_code=303)


# --- /admin/subject-access ----------------------------------------------------------------------


def _access_page(
    request: Request,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "subject_access.html",
        user=user,
        values=values or {"number": "", "reason": ""},
        errors=errors or {},
        error=error,
        status_code=status_code,
    )


@router.get("/admin/subject-access", include_in_schema=False)
def subject_access_page(request: Request, user: Admin) -> Response:
    remember_locale(request)
    return _access_page(request, user)


@router.post("/admin/subject-access", include_in_schema=False)
def subject_access(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    number: Text = "",
    reason: Text = "",
) -> Response:
    """The JSON export as a download (the same file as the API's), audited with the reason."""
    check_csrf(request, csrf_token)
    now = _now(request)
    try:
        e164, text = records.check_request(number=number, reason=reason)
        export = records.export(
            session=session,
            secret=_secret(request),
            number=e164,
            actor=user,
            now=now,
            via=records.VIA_PAGE,
            reason=text,
            ip=_ip(request),
        )
    except RetentionError as failure:
        _ = translator(request, user)
        response = _access_page(
            request,
            user,
            values={"number": number, "reason": reason},
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return records.export_response(export, now)
