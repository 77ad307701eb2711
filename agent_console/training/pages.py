"""Training (`/admin/training`): supervisors and admins keep the courses, the qualifications, the
sessions held and who attended; a person's training record and qualifications
(`/admin/training/people/{id}`, linked from the People page); and each person's own record with
the year's ethics and confidentiality sign-off (`/console/training`).

The rules and the audit log are in `hotline.training.service`; these routes parse forms, check
the CSRF token and render. A refused form shows the page again with the reason next to the field
and a 4xx status, having changed nothing (the refusal is raised before any change).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import PageUser, RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.i18n import N_
from hotline.training import service as training
from hotline.training.models import CourseKind
from hotline.training.service import Mark, TrainingError

router = APIRouter(tags=["training"])
TRAINERS = (Role.supervisor, Role.admin)
Trainer = Annotated[User, Depends(RequirePageRole(*TRAINERS))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
Ids = Annotated[list[int], Form()]
Texts = Annotated[list[str], Form()]
KIND_LABELS = {
    CourseKind.initial.value: N_("Initial training"),
    CourseKind.crisis.value: N_("Crisis intervention"),
    CourseKind.continuing.value: N_("Continuing education"),
    CourseKind.ethics.value: N_("Ethics"),
    CourseKind.other.value: N_("Other"),
}
NOTICES = {
    "course": N_("The course was added."),
    "qualification": N_("The qualification was added."),
    "recorded": N_("The session was recorded."),
    "attendance": N_("The attendance was saved."),
    "granted": N_("The qualification was recorded."),
    "signed": N_("Thank you: your sign-off for this year is recorded."),
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _errors(failure: TrainingError | None, _: Callable[[str], str]) -> dict[str, str]:
    if failure is None:
        return {}
    return {name: failure.text_for(code, _) for name, code in failure.errors.items()}


def _notice(request: Request, _: Callable[[str], str]) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


def hours(minutes: int) -> str:
    """90 -> "1.5"; 120 -> "2"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _kinds(_: Callable[[str], str]) -> dict[str, str]:
    return {key: _(text) for key, text in KIND_LABELS.items()}


def _optional_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


# --- the overview: courses, qualifications, sessions, sign-offs --------------------------------


def _overview(
    request: Request,
    user: User,
    session: SessionDep,
    *,
    values: dict[str, Any] | None = None,
    failure: TrainingError | None = None,
) -> Response:
    _ = translator(request, user)
    now = _now(request)
    qualifications = training.list_qualifications(session=session)
    unsigned = training.unsigned_this_year(session=session, now=now)
    return render(
        request,
        "training_admin.html",
        user=user,
        courses=training.list_courses(session=session),
        qualifications=qualifications,
        qualification_names={q.id: q.name for q in qualifications},
        sessions=training.recent_sessions(session=session),
        unsigned=[u for u in training.trainees(session=session) if u.id in unsigned],
        kinds=_kinds(_),
        hours=hours,
        values=values or {},
        errors=_errors(failure, _),
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


@router.get("/admin/training", include_in_schema=False)
def training_page(request: Request, user: Trainer, session: SessionDep) -> Response:
    remember_locale(request)
    return _overview(request, user, session)


@router.post("/admin/training/courses", include_in_schema=False)
def create_course(
    request: Request,
    user: Trainer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    name: Text = "",
    kind: Text = "",
    course_hours: Text = "",
    grants_qualification_id: Text = "",
    grants_days: Text = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = {
        "name": name,
        "kind": kind,
        "course_hours": course_hours,
        "grants_qualification_id": grants_qualification_id,
        "grants_days": grants_days,
    }
    try:
        try:
            minutes = training.parse_minutes(course_hours, field_name="hours")
        except TrainingError:
            minutes = -1  # refused by create_course next to the other fields' reasons
        days = _optional_int(grants_days)
        if grants_days.strip() and days is None:
            days = 0  # likewise
        training.create_course(
            session=session,
            name=name,
            kind=kind,
            minutes=minutes,
            grants_qualification_id=_optional_int(grants_qualification_id),
            grants_days=days,
            by=user,
            now=_now(request),
            ip=_ip(request),
        )
    except TrainingError as failure:
        return _overview(request, user, session, values=values, failure=failure)
    return RedirectResponse("/admin/training?done=course", status_code=303)


@router.post("/admin/training/qualifications", include_in_schema=False)
def create_qualification(
    request: Request,
    user: Trainer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    qualification_name: Text = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        training.create_qualification(
            session=session, name=qualification_name, by=user, now=_now(request), ip=_ip(request)
        )
    except TrainingError as failure:
        # The one field of this form is "qualification_name" on the page.
        failure.errors = {"qualification_name": next(iter(failure.errors.values()), "invalid")}
        values = {"qualification_name": qualification_name}
        return _overview(request, user, session, values=values, failure=failure)
    return RedirectResponse("/admin/training?done=qualification", status_code=303)


# --- a session and its attendance --------------------------------------------------------------


def _session_page(
    request: Request,
    user: User,
    session: SessionDep,
    *,
    view: training.SessionView | None,
    values: dict[str, Any],
    failure: TrainingError | None = None,
) -> Response:
    _ = translator(request, user)
    return render(
        request,
        "training_session.html",
        user=user,
        view=view,
        courses=[c for c in training.list_courses(session=session) if c.active],
        people=training.trainees(session=session),
        kinds=_kinds(_),
        hours=hours,
        values=values,
        errors=_errors(failure, _),
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


def _marks_values(view: training.SessionView) -> dict[str, Any]:
    return {
        "present": [uid for uid, a in view.marks.items() if a.present],
        "credited": {uid: hours(a.credited_minutes) for uid, a in view.marks.items()},
    }


@router.get("/admin/training/sessions/new", include_in_schema=False)
def new_session_page(request: Request, user: Trainer, session: SessionDep) -> Response:
    remember_locale(request)
    values = {
        "course_id": request.query_params.get("course", ""),
        "held_on": _now(request).date().isoformat(),
        "session_hours": "",
        "trainer": "",
        "present": [],
        "credited": {},
    }
    return _session_page(request, user, session, view=None, values=values)


def _marks(person: list[int], present: list[int], credited: list[str]) -> dict[int, Mark]:
    """The attendance table: each listed person, ticked present or not, with the hours typed
    (empty: the session's length)."""
    marks: dict[int, Mark] = {}
    for index, user_id in enumerate(person):
        typed = credited[index].strip() if index < len(credited) else ""
        minutes = training.parse_minutes(typed, field_name="attendance") if typed else None
        marks[user_id] = Mark(present=user_id in present, credited_minutes=minutes)
    return marks


@router.post("/admin/training/sessions", include_in_schema=False)
def record_session(
    request: Request,
    user: Trainer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    course_id: Text = "",
    held_on: Text = "",
    session_hours: Text = "",
    trainer: Text = "",
    person: Ids = [],  # noqa: B006 - FastAPI copies form defaults
    present: Ids = [],  # noqa: B006
    credited: Texts = [],  # noqa: B006
) -> Response:
    check_csrf(request, csrf_token)
    values = {
        "course_id": course_id,
        "held_on": held_on,
        "session_hours": session_hours,
        "trainer": trainer,
        "present": present,
        "credited": dict(zip(person, credited, strict=False)),
    }
    try:
        # Each unreadable value is refused by record_session, next to the other fields' reasons.
        day: date | None = None
        try:
            day = training.parse_date(held_on, field_name="held_on")
        except TrainingError:
            day = None
        try:
            minutes = training.parse_minutes(session_hours, field_name="hours", allow_zero=False)
        except TrainingError:
            minutes = 0
        held = training.record_session(
            session=session,
            course_id=_optional_int(course_id) or 0,
            held_on=day,
            minutes=minutes,
            trainer=trainer,
            marks=_marks(person, present, credited),
            by=user,
            now=_now(request),
            ip=_ip(request),
        )
    except TrainingError as failure:
        if "hours" in failure.errors:  # the field is "session_hours" on this page
            failure.errors["session_hours"] = failure.errors.pop("hours")
        return _session_page(request, user, session, view=None, values=values, failure=failure)
    return RedirectResponse(f"/admin/training/sessions/{held.id}?done=recorded", status_code=303)


@router.get("/admin/training/sessions/{session_id}", include_in_schema=False)
def session_page(request: Request, session_id: int, user: Trainer, session: SessionDep) -> Response:
    remember_locale(request)
    view = training.get_session(session=session, session_id=session_id)
    return _session_page(request, user, session, view=view, values=_marks_values(view))


@router.post("/admin/training/sessions/{session_id}/attendance", include_in_schema=False)
def take_attendance(
    request: Request,
    session_id: int,
    user: Trainer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    person: Ids = [],  # noqa: B006
    present: Ids = [],  # noqa: B006
    credited: Texts = [],  # noqa: B006
) -> Response:
    check_csrf(request, csrf_token)
    view = training.get_session(session=session, session_id=session_id)
    try:
        training.take_attendance(
            session=session,
            session_id=session_id,
            marks=_marks(person, present, credited),
            by=user,
            now=_now(request),
            ip=_ip(request),
        )
    except TrainingError as failure:
        values = {"present": present, "credited": dict(zip(person, credited, strict=False))}
        return _session_page(request, user, session, view=view, values=values, failure=failure)
    return RedirectResponse(
        f"/admin/training/sessions/{session_id}?done=attendance", status_code=303
    )


# --- a person's record -------------------------------------------------------------------------


def _person_page(
    request: Request,
    user: User,
    session: SessionDep,
    user_id: int,
    *,
    values: dict[str, Any] | None = None,
    failure: TrainingError | None = None,
) -> Response:
    _ = translator(request, user)
    record = training.person_record(session=session, user_id=user_id, now=_now(request))
    return render(
        request,
        "training_person.html",
        user=user,
        record=record,
        qualifications=training.list_qualifications(session=session),
        kinds=_kinds(_),
        hours=hours,
        values=values or {},
        errors=_errors(failure, _),
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


@router.get("/admin/training/people/{user_id}", include_in_schema=False)
def person_page(request: Request, user_id: int, user: Trainer, session: SessionDep) -> Response:
    remember_locale(request)
    return _person_page(request, user, session, user_id)


@router.post("/admin/training/people/{user_id}/qualifications", include_in_schema=False)
def grant_qualification(
    request: Request,
    user_id: int,
    user: Trainer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    qualification_id: Text = "",
    valid_until: Text = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = {"qualification_id": qualification_id, "valid_until": valid_until}
    try:
        until = (
            training.parse_date(valid_until, field_name="valid_until")
            if valid_until.strip()
            else None
        )
        training.grant_qualification(
            session=session,
            user_id=user_id,
            qualification_id=_optional_int(qualification_id) or 0,
            valid_until=until,
            by=user,
            now=_now(request),
            ip=_ip(request),
        )
    except TrainingError as failure:
        if failure.status == 404:
            raise
        return _person_page(request, user, session, user_id, values=values, failure=failure)
    return RedirectResponse(f"/admin/training/people/{user_id}?done=granted", status_code=303)


# --- one's own record and the ethics sign-off --------------------------------------------------


@router.get("/console/training", include_in_schema=False)
def my_training_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    record = training.person_record(session=session, user_id=user.id or 0, now=_now(request))
    return render(
        request,
        "training_mine.html",
        user=user,
        record=record,
        kinds=_kinds(_),
        hours=hours,
        notice=_notice(request, _),
    )


@router.post("/console/training/ethics", include_in_schema=False)
def sign_ethics(
    request: Request, user: PageUser, session: SessionDep, csrf_token: CsrfToken = None
) -> Response:
    check_csrf(request, csrf_token)
    training.sign_ethics(session=session, user=user, now=_now(request))
    return RedirectResponse("/console/training?done=signed", status_code=303)
