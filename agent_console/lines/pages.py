"""The Lines page (`/admin/lines`): admins list, create and edit lines (numbers, languages, hours
across midnight, holidays, what callers hear after hours, overflow, partner line, recording,
local prefixes, retention, escalation policy), deactivate and re-activate them, and preview what
a caller hears now or at a chosen time.

The rules and the audit log are in `hotline.lines.admin` (shared with `hotline lines`); these
routes parse forms, check the CSRF token and render. A refused form shows the page again with the
reason next to the field and a 4xx status, having changed nothing. After a save the changed
numbers are pointed at this deployment at the phone network, and its answer is shown.
The prompts a caller hears (greetings, hold music, recordings) have their own page,
`/admin/lines/{id}/prompts`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.qr import qr_data_uri
from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.i18n import N_
from hotline.lines import admin as lines_admin
from hotline.lines import prompts as line_prompts
from hotline.lines import service as lines
from hotline.lines.admin import LineForm, LinesError, SyncAnswer
from hotline.lines.models import AFTER_HOURS_ACTIONS, Line
from hotline.lines.preview import Preview, preview
from hotline.lines.service import WEEKDAYS
from hotline.training import service as training
from hotline.training.service import TrainingError

router = APIRouter(tags=["lines"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
WEEKDAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
ACTION_LABELS = {
    "open": N_("Open: the greeting and the menu"),
    "forward": N_("Closed: forwarded to the partner line"),
    "voicemail": N_("Closed: a voicemail"),
    "emergency": N_("Closed: the emergency numbers"),
    "inactive": N_("Inactive: the number is not in service"),
}
AFTER_HOURS_LABELS = {
    "forward": N_("Forward to the partner line (the emergency numbers without one)"),
    "voicemail": N_("Voicemail"),
    "emergency": N_("The emergency numbers"),
}
OVERFLOW_LABELS = {
    "forward": N_("Forward to the partner line"),
    "voicemail": N_("Voicemail"),
    "callback": N_("Callback request by keypress"),
}
HEARD_LABELS = {
    "say": N_("Says"),
    "dial": N_("Forwards to"),
    "record": N_("Records a message"),
    "hangup": N_("Hangs up"),
    "play": N_("Plays the recording"),
}
NOTICES = {
    "created": N_("The line was created."),
    "saved": N_("The changes were saved."),
    "deactivated": N_("The line was deactivated: its numbers are no longer in service."),
    "activated": N_("The line was activated."),
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _errors(failure: LinesError, _: Callable[[str], str]) -> dict[str, str]:
    return {name: failure.text_for(code, _) for name, code in failure.errors.items()}


def _labels(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "weekdays": {key: _(text) for key, text in WEEKDAY_LABELS.items()},
        "actions": {key: _(text) for key, text in ACTION_LABELS.items()},
        "after_hours": {key: _(text) for key, text in AFTER_HOURS_LABELS.items()},
        "overflow": {key: _(text) for key, text in OVERFLOW_LABELS.items()},
        "heard": {key: _(text) for key, text in HEARD_LABELS.items()},
    }


def _notice(request: Request, _: Callable[[str], str], done: str | None = None) -> str | None:
    done = done or request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


# --- the list ----------------------------------------------------------------------------------


@router.get("/admin/lines", include_in_schema=False)
def lines_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """Every line: its numbers, whether it is active and open now, its policy."""
    remember_locale(request)
    _ = translator(request, user)
    now = _now(request)
    numbers = lines.numbers_by_line(session=session)
    policies = {p.id: p.name for p in lines_admin.policy_choices(session=session)}
    rows = [
        {
            "id": line.id,
            "name": line.name,
            "numbers": numbers.get(line.id or 0, [line.number]),
            "active": line.active,
            "open": lines.is_open(line, now),
            "policy": policies.get(line.escalation_policy_id),
        }
        for line in lines_admin.list_lines(session=session)
    ]
    return render(request, "admin_lines.html", user=user, rows=rows, notice=_notice(request, _))


# --- the form ----------------------------------------------------------------------------------


def _when(value: str, line: Line, now: datetime) -> datetime:
    """A `datetime-local` value read in the line's zone; now when empty or unreadable."""
    try:
        chosen = datetime.fromisoformat(value)
    except ValueError:
        return now
    return lines.local_time(line, chosen.date(), chosen.time())


def _audio(request: Request, session: Session, line: Line) -> dict[tuple[str, str], str]:
    """The line's uploaded recordings by the addresses the webhook gives the phone network."""
    assert line.id is not None
    base = request.app.state.settings.public_base_url.rstrip("/")
    return {
        key: f"{base}/twilio/prompts/{row.token}"
        for key, row in line_prompts.recordings(session=session, line_id=line.id).items()
    }


def _line_page(
    request: Request,
    session: Session,
    user: User,
    target: Line | None,
    *,
    form: LineForm | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    synced: list[SyncAnswer] | None = None,
    done: str | None = None,
    status_code: int = 200,
    required: list[int] | None = None,
    required_failure: TrainingError | None = None,
) -> Response:
    """The form (a new line when `target` is None) and, for a line, its preview and actions."""
    _ = translator(request, user)
    now = _now(request)
    heard_now: Preview | None = None
    heard_at: Preview | None = None
    at_value = request.query_params.get("at") or ""
    numbers: list[str] = []
    web_chat: dict[str, str] | None = None
    if target is not None:
        numbers = lines.numbers_of(session=session, line=target)
        url = f"{request.app.state.settings.public_base_url.rstrip('/')}/chat/{target.id}"
        web_chat = {"url": url, "qr": qr_data_uri(url)}
        audio = _audio(request, session, target)
        heard_now = preview(target, now, audio=audio)
        if at_value:
            heard_at = preview(target, _when(at_value, target, now), audio=audio)
        else:  # the suggestion: 03:00 next Saturday, in the line's zone
            local = heard_now.local
            saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
            at_value = f"{saturday.isoformat()}T03:00"
    return render(
        request,
        "admin_line.html",
        user=user,
        target=target,
        numbers=numbers,
        web_chat=web_chat,
        form=form or (lines_admin.form_of(target, numbers) if target else LineForm()),
        errors=errors or {},
        error=error,
        notice=_notice(request, _, done),
        synced=synced,
        heard_now=heard_now,
        heard_at=heard_at,
        at_value=at_value,
        weekdays=WEEKDAYS,
        after_hours_actions=AFTER_HOURS_ACTIONS,
        overflow_actions=lines_admin.OVERFLOW_ACTIONS,
        policies=lines_admin.policy_choices(session=session),
        labels=_labels(_),
        status_code=status_code,
        qualifications=training.list_qualifications(session=session),
        required=required
        if required is not None
        else training.line_requirements(session=session, line_id=target.id or 0)
        if target is not None
        else [],
        required_error=required_failure.text_for(
            required_failure.errors.get("required_qualifications", required_failure.code), _
        )
        if required_failure
        else None,
        required_confirm=required_failure is not None
        and required_failure.errors.get("required_qualifications") == "nobody_qualified",
    )


@router.get("/admin/lines/new", include_in_schema=False)
def new_line_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _line_page(request, session, user, None)


@router.get("/admin/lines/{line_id}", include_in_schema=False)
def line_page(request: Request, line_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    target = lines_admin.get_line(session=session, line_id=line_id)
    return _line_page(request, session, user, target)


def _submitted(values: dict[str, Any]) -> LineForm:
    return LineForm(
        name=values["name"],
        numbers=values["numbers"],
        languages=values["languages"],
        timezone=values["timezone"],
        always_open=values["always_open"] == "1",
        hours={day: values[f"hours_{day}"] for day in WEEKDAYS},
        special_days=values["special_days"],
        after_hours_action=values["after_hours_action"],
        max_queue_wait_s=values["max_queue_wait_s"],
        overflow_action=values["overflow_action"],
        partner_number=values["partner_number"],
        recording=values["recording"] == "1",
        local_prefixes=values["local_prefixes"],
        retention_days=values["retention_days"],
        escalation_policy_id=values["escalation_policy_id"],
    )


def _fields(
    name: Text = "",
    numbers: Text = "",
    languages: Text = "",
    timezone: Text = "",
    always_open: Text = "",
    hours_mon: Text = "",
    hours_tue: Text = "",
    hours_wed: Text = "",
    hours_thu: Text = "",
    hours_fri: Text = "",
    hours_sat: Text = "",
    hours_sun: Text = "",
    special_days: Text = "",
    after_hours_action: Text = "",
    max_queue_wait_s: Text = "",
    overflow_action: Text = "",
    partner_number: Text = "",
    recording: Text = "",
    local_prefixes: Text = "",
    retention_days: Text = "",
    escalation_policy_id: Text = "",
) -> LineForm:
    """The form's fields, as typed."""
    return _submitted(dict(locals()))


Submitted = Annotated[LineForm, Depends(_fields)]


def _sync(request: Request, numbers: list[str]) -> list[SyncAnswer]:
    """Point the numbers at this deployment (the simulator in tests); the provider's answers."""
    settings = request.app.state.settings
    return lines_admin.sync_numbers(
        request.app.state.telephony, numbers, settings.voice_fallback_url
    )


def _release(request: Request, numbers: list[str]) -> list[SyncAnswer]:
    """Un-point numbers no active line has (they answer "not in service"); the answers."""
    return lines_admin.release_numbers(request.app.state.telephony, numbers)


@router.post("/admin/lines", include_in_schema=False)
def create_line(
    request: Request,
    user: Admin,
    session: SessionDep,
    form: Submitted,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    _ = translator(request, user)
    try:
        fields = lines_admin.check_form(session=session, form=form)
        created = lines_admin.create_line(
            session=session, fields=fields, actor=user, now=_now(request), ip=_ip(request)
        )
    except LinesError as failure:
        return _line_page(
            request,
            session,
            user,
            None,
            form=form,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    synced = _sync(request, fields.numbers)
    return _saved(request, session, user, created, "created", synced)


def _saved(
    request: Request,
    session: Session,
    user: User,
    line: Line,
    done: str,
    synced: list[SyncAnswer],
) -> Response:
    """The saved line with the provider's answer (shown once: not a redirect)."""
    response = _line_page(request, session, user, line, synced=synced, done=done)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/lines/{line_id}", include_in_schema=False)
def edit_line(
    request: Request,
    line_id: int,
    user: Admin,
    session: SessionDep,
    form: Submitted,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    target = lines_admin.get_line(session=session, line_id=line_id)
    _ = translator(request, user)
    try:
        fields = lines_admin.check_form(session=session, form=form, line_id=target.id)
        renumbered = lines_admin.update_line(
            session=session,
            line=target,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except LinesError as failure:
        return _line_page(
            request,
            session,
            user,
            target,
            form=form,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    synced = _sync(request, renumbered.point) if target.active else []
    synced += _release(request, renumbered.release)
    return _saved(request, session, user, target, "saved", synced)


# --- deactivating ------------------------------------------------------------------------------


@router.post("/admin/lines/{line_id}/deactivate", include_in_schema=False)
def deactivate_line(
    request: Request,
    line_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Text = "",
) -> Response:
    """First a confirmation (calls waiting, numbers going out of service); the only active line
    is refused."""
    check_csrf(request, csrf_token)
    target = lines_admin.get_line(session=session, line_id=line_id)
    _ = translator(request, user)
    try:
        consequences = lines_admin.check_may_deactivate(session=session, line=target)
        if confirm != "1":
            return render(
                request, "admin_line_confirm.html", user=user, target=target, what=consequences
            )
        lines_admin.set_active(
            session=session,
            line=target,
            active=False,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except LinesError as failure:
        return _line_page(
            request, session, user, target, error=failure.message(_), status_code=failure.status
        )
    released = _release(request, consequences.numbers)
    return _saved(request, session, user, target, "deactivated", released)


@router.post("/admin/lines/{line_id}/activate", include_in_schema=False)
def activate_line(
    request: Request,
    line_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    target = lines_admin.get_line(session=session, line_id=line_id)
    lines_admin.set_active(
        session=session, line=target, active=True, actor=user, now=_now(request), ip=_ip(request)
    )
    # Its numbers answered "not in service" while it was inactive: point them here again.
    synced = _sync(request, lines.numbers_of(session=session, line=target))
    return _saved(request, session, user, target, "activated", synced)


@router.post("/admin/lines/{line_id}/qualifications", include_in_schema=False)
def set_required_qualifications(
    request: Request,
    line_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    required_qualifications: Annotated[list[int], Form()] = [],  # noqa: B006
    confirm: Text = "",
) -> Response:
    """Counselors lacking one of these (valid now) are not offered the line's calls. Requiring
    what no counselor of the line holds shows the reason and asks to confirm."""
    check_csrf(request, csrf_token)
    target = lines_admin.get_line(session=session, line_id=line_id)
    try:
        training.set_line_requirements(
            session=session,
            line_id=line_id,
            qualification_ids=required_qualifications,
            confirmed=confirm == "1",
            by=user,
            now=_now(request),
            ip=_ip(request),
        )
    except TrainingError as failure:
        return _line_page(
            request,
            session,
            user,
            target,
            required=required_qualifications,
            required_failure=failure,
            status_code=failure.status,
        )
    return RedirectResponse(f"/admin/lines/{line_id}?done=saved", status_code=303)
