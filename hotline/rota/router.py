"""The rota over HTTP: JSON under /api/rota, the two-week calendar page and the iCal feed.

Errors come back as {"detail", "code", "errors": {field: message}}, translated for the signed-in
person, whether a service refused (RotaError) or the request did not validate. The page's own
forms (overrides, swaps) answer with a redirect, or with the page and each error by its field.
Every change is written to the audit log in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, ValidationError
from sqlmodel import Session

from agent_console.kit.render import locale_of, remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import (
    CsrfChecked,
    CurrentUser,
    check_csrf,
    require_role,
    user_from_connection,
)
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.db import Database
from hotline.rota import service as rota
from hotline.rota.ical import check_feed_token, feed_token
from hotline.rota.models import ScheduleOverride, SchedulePurpose, SwapRequest, SwapStatus
from hotline.rota.schemas import (
    OnCallPublic,
    OverrideCancelled,
    OverrideCreate,
    OverridePublic,
    Person,
    RotationCreate,
    RotationPublic,
    RotationUpdate,
    ScheduleCreate,
    ScheduleDetail,
    SchedulePublic,
    SchedulesPublic,
    ScheduleUpdate,
    ShiftsPublic,
    SwapAnswer,
    SwapCreate,
    SwapPublic,
)

CALENDAR_DAYS = 14
MAX_PAGE_DISTANCE_DAYS = 3660  # how far ?start= may page from today
DEFAULT_SHIFTS_WINDOW = timedelta(days=14)
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=84)
FORM_AHEAD = timedelta(days=28)  # overrides, swaps and one's own shifts listed on the page


def messages(_: Callable[[str], str]) -> dict[str, str]:
    """Every error code of the rota, as the person reads it."""
    return {
        "missing": _("Required."),
        "string_too_long": _("This text is too long."),
        "extra_forbidden": _("Unknown field."),
        "invalid": _("Some fields need attention."),
        "bad_timezone": _("Choose a time zone such as Asia/Shanghai."),
        "bad_time": _("Enter a time as HH:MM, for example 09:00."),
        "window_incomplete": _("Give both the start and the end of the daily window."),
        "window_empty": _("The daily window cannot start and end at the same time."),
        "no_members": _("Add at least one person to the rotation."),
        "too_long": _("This list is too long."),
        "same_person": _("Choose two different people."),
        "bad_window": _("The end must be after the start."),
        "window_too_long": _("Choose a period of at most %(days)s days.")
        % {"days": rota.MAX_WINDOW.days},
        "timezone_aware": _(
            "Give the time with its UTC offset, for example 2026-11-23T09:00+08:00."
        ),
        "past": _("This time is already over."),
        "name_taken": _("A schedule with this name already exists."),
        "unknown_user": _("Choose people who have an active account."),
        "not_eligible": _(
            "Not allowed on this rota: %(names)s. A crisis shift needs someone who can "
            "acknowledge escalations (crisis worker, supervisor or admin); a supervisor shift, "
            "a supervisor or admin."
        ),
        "cannot_hold": _("This person's role cannot hold shifts in this schedule."),
        "not_on_call": _("You are not on call in this schedule during that time."),
        "no_schedule": _("There is no such schedule."),
        "no_swap": _("There is no such swap request."),
        "not_counterpart": _("Only the person asked can answer this swap request."),
        "not_requester": _("Only the person who asked can cancel this swap request."),
        "answered": _("This swap request has already been answered."),
        "no_rotation": _("There is no such rotation."),
        "requester_off_call": _(
            "The rota has changed: the person who asked is no longer on call then. "
            "They can send a new request."
        ),
        "no_override": _("There is no such override."),
        "schedule_in_use": _(
            "This schedule is still paged by: %(names)s. Change those escalation policies "
            "first, or wait until the open escalations are closed."
        ),
        "last_schedule": _(
            "This is the only schedule of its kind: lines without their own escalation policy "
            "page its on-call person. Add another schedule first."
        ),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "greater_than_equal": _("This number is too small."),
        "less_than_equal": _("This number is too large."),
        "date_from_datetime_parsing": _("Enter a date, for example 2026-11-23."),
        "date_parsing": _("Enter a date, for example 2026-11-23."),
        "datetime_parsing": _("Enter a date and time."),
        "datetime_from_date_parsing": _("Enter a date and time."),
        "enum": _("Choose one of the options."),
    }


def done_messages(_: Callable[[str], str]) -> dict[str, str]:
    """What the page says after one of its forms went through (?done=...)."""
    return {
        "override_added": _("The override is saved."),
        "override_cancelled": _("The override is cancelled."),
        "swap_requested": _("Your swap request is sent."),
        "swap_accepted": _("You accepted the swap: the shift is yours."),
        "swap_declined": _("You declined the swap."),
        "swap_withdrawn": _("Your swap request is withdrawn."),
        "feed_renewed": _("Your old calendar link no longer works: subscribe to the new one."),
    }


def _error_response(
    request: Request,
    code: str,
    status: int,
    errors: dict[str, str],
    params: dict[str, str] | None = None,
) -> Response:
    _ = translator(request, user_from_connection(request))
    known = messages(_)
    fallback = _("This value is not valid.")
    detail = known.get(code, fallback)
    return JSONResponse(
        {
            "detail": detail % params if params else detail,
            "code": code,
            "errors": {path: known.get(error, fallback) for path, error in errors.items()},
        },
        status_code=status,
    )


def _field_errors(error: RequestValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        path = ".".join(loc[1:]) if loc and loc[0] in ("body", "query", "path") else ".".join(loc)
        found.setdefault(path, str(item.get("type", "invalid")))
    return found


class RotaRoute(APIRoute):
    """Turns a refused service call or an invalid request into a translated JSON error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def translated(request: Request) -> Response:
            try:
                return await handler(request)
            except rota.RotaError as error:
                return _error_response(
                    request, error.code, error.status, error.errors, error.params
                )
            except RequestValidationError as error:
                return _error_response(request, "invalid", 422, _field_errors(error))

        return translated


router = APIRouter(tags=["rota"], route_class=RotaRoute)


Admin = require_role(Role.admin)
Supervising = require_role(Role.supervisor, Role.admin)
CrisisTeam = require_role(Role.crisis, Role.supervisor)


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


def _people(session: Session, user_ids: Iterable[int]) -> list[Person]:
    names = rota.display_names(session=session, user_ids=user_ids)
    return [Person(id=user_id, display_name=name) for user_id, name in sorted(names.items())]


# --- schedules and rotations -------------------------------------------------------------------


@router.get("/api/rota/schedules")
def list_schedules(request: Request, _user: CurrentUser) -> SchedulesPublic:
    with _db(request).session() as session:
        found = rota.list_schedules(session=session)
        data = [SchedulePublic.model_validate(s, from_attributes=True) for s in found]
    return SchedulesPublic(data=data, count=len(data))


def _audit(
    request: Request,
    session: Session,
    user: User,
    object_type: str,
    object_id: int | None,
    detail: str,
) -> None:
    """One audit row for a change to the rota, committed with the change itself."""
    record_request(
        request,
        action=AuditAction.edit,
        object_type=object_type,
        object_id=object_id,
        user=user,
        detail=detail,
        session=session,
    )


@router.post("/api/rota/schedules", status_code=201, dependencies=[Admin, CsrfChecked])
def create_schedule(body: ScheduleCreate, request: Request, user: CurrentUser) -> SchedulePublic:
    with _db(request).session() as session:
        schedule = rota.create_schedule(session=session, data=body)
        session.flush()
        _audit(request, session, user, "schedule", schedule.id, "created")
        return SchedulePublic.model_validate(schedule, from_attributes=True)


@router.patch("/api/rota/schedules/{schedule_id}", dependencies=[Admin, CsrfChecked])
def update_schedule(
    schedule_id: int, body: ScheduleUpdate, request: Request, user: CurrentUser
) -> SchedulePublic:
    with _db(request).session() as session:
        schedule, changes = rota.update_schedule(
            session=session, schedule_id=schedule_id, data=body
        )
        detail = "updated; " + rota.describe_changes(changes) if changes else "unchanged"
        _audit(request, session, user, "schedule", schedule_id, detail)
        return SchedulePublic.model_validate(schedule, from_attributes=True)


@router.delete(
    "/api/rota/schedules/{schedule_id}", status_code=204, dependencies=[Admin, CsrfChecked]
)
def delete_schedule(schedule_id: int, request: Request, user: CurrentUser) -> Response:
    with _db(request).session() as session:
        schedule = rota.delete_schedule(session=session, schedule_id=schedule_id)
        _audit(request, session, user, "schedule", schedule_id, f"deleted; name: {schedule.name}")
    return Response(status_code=204)


@router.get("/api/rota/schedules/{schedule_id}")
def get_schedule(schedule_id: int, request: Request, _user: CurrentUser) -> ScheduleDetail:
    with _db(request).session() as session:
        schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
        rotations = rota.list_rotations(session=session, schedule_id=schedule_id)
        return ScheduleDetail.model_validate(
            {
                **schedule.model_dump(),
                "rotations": [
                    RotationPublic.model_validate(r, from_attributes=True) for r in rotations
                ],
            }
        )


@router.post(
    "/api/rota/schedules/{schedule_id}/rotations",
    status_code=201,
    dependencies=[Admin, CsrfChecked],
)
def add_rotation(
    schedule_id: int, body: RotationCreate, request: Request, user: CurrentUser
) -> RotationPublic:
    with _db(request).session() as session:
        rotation = rota.add_rotation(session=session, schedule_id=schedule_id, data=body)
        _audit(
            request, session, user, "rotation", rotation.id, f"created in schedule {schedule_id}"
        )
        return RotationPublic.model_validate(rotation, from_attributes=True)


@router.patch("/api/rota/rotations/{rotation_id}", dependencies=[Admin, CsrfChecked])
def update_rotation(
    rotation_id: int, body: RotationUpdate, request: Request, user: CurrentUser
) -> RotationPublic:
    """The rota answers from the new definition from now on, for past instants too; who was
    paged is in the escalation log, and the old values are in this edit's audit row."""
    with _db(request).session() as session:
        rotation, changes = rota.update_rotation(
            session=session, rotation_id=rotation_id, data=body
        )
        detail = "updated; " + rota.describe_changes(changes) if changes else "unchanged"
        _audit(request, session, user, "rotation", rotation_id, detail)
        return RotationPublic.model_validate(rotation, from_attributes=True)


@router.delete(
    "/api/rota/rotations/{rotation_id}", status_code=204, dependencies=[Admin, CsrfChecked]
)
def delete_rotation(rotation_id: int, request: Request, user: CurrentUser) -> Response:
    with _db(request).session() as session:
        rotation = rota.delete_rotation(session=session, rotation_id=rotation_id)
        detail = (
            f"deleted from schedule {rotation.schedule_id}; layer: {rotation.layer}; "
            f"shift: {rotation.shift.value}; members: {rotation.member_ids}"
        )
        _audit(request, session, user, "rotation", rotation_id, detail)
    return Response(status_code=204)


# --- who is on call ----------------------------------------------------------------------------


@router.get("/api/rota/schedules/{schedule_id}/oncall")
def on_call(
    schedule_id: int,
    request: Request,
    _user: CurrentUser,
    at: Annotated[AwareDatetime | None, Query()] = None,
) -> OnCallPublic:
    instant = (at or _now(request)).astimezone(UTC)
    with _db(request).session() as session:
        rota.get_schedule(session=session, schedule_id=schedule_id)
        user_ids = rota.on_call(session=session, schedule_id=schedule_id, at=instant)
        people = {p.id: p for p in _people(session, user_ids)}
    return OnCallPublic(
        schedule_id=schedule_id,
        at=instant,
        user_ids=user_ids,
        people=[people[u] for u in user_ids if u in people],
    )


@router.get("/api/rota/schedules/{schedule_id}/shifts")
def shifts(
    schedule_id: int,
    request: Request,
    _user: CurrentUser,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
) -> ShiftsPublic:
    first = (start or _now(request)).astimezone(UTC)
    last = (end or first + DEFAULT_SHIFTS_WINDOW).astimezone(UTC)
    with _db(request).session() as session:
        found = rota.shifts(session=session, schedule_id=schedule_id, start=first, end=last)
        people = _people(session, {s.user_id for s in found})
    return ShiftsPublic(data=found, count=len(found), people=people)


# --- overrides and swaps -----------------------------------------------------------------------


@router.get("/api/rota/schedules/{schedule_id}/overrides")
def list_overrides(
    schedule_id: int,
    request: Request,
    _user: CurrentUser,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
) -> dict[str, Any]:
    first = (start or _now(request)).astimezone(UTC)
    last = (end or first + DEFAULT_SHIFTS_WINDOW).astimezone(UTC)
    with _db(request).session() as session:
        rota.get_schedule(session=session, schedule_id=schedule_id)
        found = rota.list_overrides(session=session, schedule_id=schedule_id, start=first, end=last)
        data = [OverridePublic.model_validate(o, from_attributes=True) for o in found]
    return {"data": data, "count": len(data)}


@router.post(
    "/api/rota/schedules/{schedule_id}/overrides",
    status_code=201,
    dependencies=[Supervising, CsrfChecked],
)
def add_override(
    schedule_id: int, body: OverrideCreate, request: Request, user: CurrentUser
) -> OverridePublic:
    assert user.id is not None
    with _db(request).session() as session:
        override = rota.add_override(
            session=session,
            schedule_id=schedule_id,
            data=body,
            created_by=user.id,
            now=_now(request),
        )
        detail = _override_detail("created", override)
        _audit(request, session, user, "override", override.id, detail)
        return OverridePublic.model_validate(override, from_attributes=True)


def _override_detail(what: str, override: ScheduleOverride) -> str:
    return (
        f"{what}; schedule {override.schedule_id}; {override.kind.value}; "
        f"user: {override.user_id}; replaced: {override.replaced_user_id}; "
        f"{override.start_at.isoformat()} - {override.end_at.isoformat()}"
    )


@router.delete("/api/rota/overrides/{override_id}", dependencies=[Supervising, CsrfChecked])
def cancel_override(override_id: int, request: Request, user: CurrentUser) -> OverrideCancelled:
    """Not begun: deleted. Under way: ends now. Over: refused (the past stays as it was)."""
    with _db(request).session() as session:
        override, deleted = rota.cancel_override(
            session=session, override_id=override_id, now=_now(request)
        )
        _audit(
            request,
            session,
            user,
            "override",
            override_id,
            _override_detail("deleted" if deleted else "ended early", override),
        )
        public = OverridePublic.model_validate(override, from_attributes=True)
        return OverrideCancelled(deleted=deleted, override=None if deleted else public)


@router.get("/api/rota/swaps")
def my_swaps(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The swap requests the signed-in person made or was asked to take."""
    with _db(request).session() as session:
        found = rota.list_swaps(session=session, user_id=user.id)
        data = [SwapPublic.model_validate(s, from_attributes=True) for s in found]
    return {"data": data, "count": len(data)}


@router.post("/api/rota/swaps", status_code=201, dependencies=[CrisisTeam, CsrfChecked])
def request_swap(body: SwapCreate, request: Request, user: CurrentUser) -> SwapPublic:
    assert user.id is not None
    with _db(request).session() as session:
        swap = rota.request_swap(
            session=session, requester_id=user.id, data=body, now=_now(request)
        )
        _audit(request, session, user, "swap", swap.id, _swap_detail("requested", swap))
        return SwapPublic.model_validate(swap, from_attributes=True)


@router.post("/api/rota/swaps/{swap_id}/answer", dependencies=[CsrfChecked])
def answer_swap(swap_id: int, body: SwapAnswer, request: Request, user: CurrentUser) -> SwapPublic:
    assert user.id is not None
    with _db(request).session() as session:
        swap = rota.answer_swap(
            session=session,
            swap_id=swap_id,
            user_id=user.id,
            accept=body.accept,
            now=_now(request),
        )
        _audit(request, session, user, "swap", swap_id, _swap_detail(swap.status.value, swap))
        return SwapPublic.model_validate(swap, from_attributes=True)


@router.post("/api/rota/swaps/{swap_id}/cancel", dependencies=[CsrfChecked])
def cancel_swap(swap_id: int, request: Request, user: CurrentUser) -> SwapPublic:
    assert user.id is not None
    with _db(request).session() as session:
        swap = rota.cancel_swap(
            session=session, swap_id=swap_id, user_id=user.id, now=_now(request)
        )
        _audit(request, session, user, "swap", swap_id, _swap_detail("cancelled", swap))
        return SwapPublic.model_validate(swap, from_attributes=True)


def _swap_detail(what: str, swap: SwapRequest) -> str:
    detail = (
        f"{what}; schedule {swap.schedule_id}; requester: {swap.requester_id}; "
        f"counterpart: {swap.counterpart_id}; "
        f"{swap.start_at.isoformat()} - {swap.end_at.isoformat()}"
    )
    return detail + (f"; override {swap.override_id}" if swap.override_id else "")


# --- calendar feed and page --------------------------------------------------------------------


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


def feed_path(request: Request, user_id: int) -> str:
    with _db(request).session() as session:
        version = rota.feed_version(session=session, user_id=user_id)
    return f"/rota/ical/{user_id}.ics?token={feed_token(_secret(request), user_id, version)}"


@router.get("/rota/ical/{user_id}.ics", include_in_schema=False)
def ical_feed(user_id: int, request: Request, token: str = "") -> Response:
    """A person's shifts for calendar apps: no session, the token in the URL is the key."""
    now = _now(request)
    with _db(request).session() as session:
        version = rota.feed_version(session=session, user_id=user_id)
        if not check_feed_token(_secret(request), user_id, token, version):
            return Response("not found", status_code=404, media_type="text/plain")
        person = session.get(User, user_id)
        if person is None or not person.active:
            return Response("not found", status_code=404, media_type="text/plain")
        text = rota.ical_feed(
            session=session, user_id=user_id, start=now - FEED_PAST, end=now + FEED_AHEAD, now=now
        )
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="on-call-{user_id}.ics"',
            "cache-control": "private, max-age=300",
        },
    )


def _renew_feed(request: Request, user: User, user_id: int) -> None:
    """Revoke a person's feed link (a new one replaces it), audited with the change."""
    with _db(request).session() as session:
        version = rota.renew_feed(session=session, user_id=user_id, now=_now(request))
        _audit(request, session, user, "ical_feed", user_id, f"link renewed (version {version})")


@router.post("/api/rota/feeds/{user_id}/renew", dependencies=[Admin, CsrfChecked])
def renew_feed(user_id: int, request: Request, user: CurrentUser) -> dict[str, Any]:
    """An admin revokes anyone's calendar feed link (a lost phone, someone who left)."""
    _renew_feed(request, user, user_id)
    return {"user_id": user_id, "renewed": True}


@router.post("/rota/{schedule_id}/feed/renew", include_in_schema=False)
def renew_own_feed_form(
    schedule_id: int,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    page_start: Annotated[str, Form()] = "",
) -> Response:
    """The person revokes their own feed link from the rota page and gets a new one."""
    user = _form_user(request, csrf_token)
    assert user.id is not None
    _renew_feed(request, user, user.id)
    return _done(schedule_id, page_start, "feed_renewed", "feed")


@router.get("/rota", include_in_schema=False)
def rota_home(request: Request) -> Response:
    """The first crisis schedule's calendar (or the first schedule of any kind)."""
    remember_locale(request)
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    with _db(request).session() as session:
        schedules = rota.list_schedules(session=session)
    crisis = [s for s in schedules if s.purpose == SchedulePurpose.crisis] or schedules
    if not crisis:
        return render(request, "rota.html", user=user, schedule=None, schedules=[])
    return RedirectResponse(f"/rota/{crisis[0].id}", status_code=303)


@router.get("/rota/{schedule_id}", include_in_schema=False)
def rota_page(
    schedule_id: int, request: Request, start: str | None = None, done: str | None = None
) -> Response:
    """Two weeks of a schedule, one row per local day; who is on call now stands out."""
    remember_locale(request)
    user = user_from_connection(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, user, schedule_id, start, done=done)


FormErrors = dict[str, str]  # "form.field" -> translated message


def _page(
    request: Request,
    user: User,
    schedule_id: int,
    start: str | None,
    *,
    done: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = _now(request)
    with _db(request).session() as session:
        schedules = rota.list_schedules(session=session)
        schedule = next((s for s in schedules if s.id == schedule_id), None)
        if schedule is None:
            return render(
                request, "rota.html", user=user, schedule=None, schedules=schedules, status_code=404
            )
        tz = rota.zone(schedule.timezone)
        today = rota.wall(now, tz).date()
        try:
            first_day = date.fromisoformat(start) if start else today
        except ValueError:
            first_day = today
        if abs((first_day - today).days) > MAX_PAGE_DISTANCE_DAYS:
            first_day = today
        days = rota.calendar_days(
            session=session,
            schedule_id=schedule_id,
            first_day=first_day,
            days=CALENDAR_DAYS,
            now=now,
        )
        rotations = rota.list_rotations(session=session, schedule_id=schedule_id)
        on_call_now = rota.on_call(session=session, schedule_id=schedule_id, at=now)
        overrides = rota.list_overrides(
            session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
        )
        pending = rota.list_swaps(
            session=session, schedule_id=schedule_id, status=SwapStatus.pending
        )
        pending = [s for s in pending if s.end_at > now]
        people = rota.candidates(session=session, purpose=schedule.purpose)
        unfit = rota.unfit_holders(
            session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
        )
        assert user.id is not None
        mine = [
            s
            for s in rota.shifts(
                session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
            )
            if s.user_id == user.id
        ]
        shown = {e.user_id for d in days for e in d.entries} | set(on_call_now)
        shown |= {m for r in rotations for m in r.member_ids}
        shown |= {o.user_id for o in overrides if o.user_id is not None}
        shown |= {o.replaced_user_id for o in overrides if o.replaced_user_id is not None}
        shown |= {s.requester_id for s in pending} | {s.counterpart_id for s in pending}
        names = rota.display_names(session=session, user_ids=shown)
        names.update({p.id: p.display_name for p in people if p.id is not None})
        members = {m for r in rotations for m in r.member_ids}
        colleagues = [
            p for p in people if p.id != user.id and (p.role == Role.crisis or p.id in members)
        ]
    lang = locale_of(request, user)
    _ = translator(request, user)

    def when(instant: datetime) -> str:
        local = rota.wall(instant, tz)
        return f"{format_date(local.date(), 'medium', locale=lang)} {local:%H:%M}"

    unfit_rows = [
        {
            "user_id": item.user.id,
            "name": item.user.display_name,
            "role": item.user.role.value,
            "active": item.user.active,
            "next": when(item.next_shift) if item.next_shift else None,
        }
        for item in unfit
    ]
    my_shifts = [
        {"value": f"{begin.isoformat()}/{end.isoformat()}", "label": f"{when(begin)} – {when(end)}"}
        for begin, end in rota.joined_spans((s.start, s.end) for s in mine)
    ]
    return render(
        request,
        "rota.html",
        user=user,
        status_code=status_code,
        schedule=schedule,
        schedules=schedules,
        days=days,
        day_labels=[format_date(d.day, "full", locale=lang) for d in days],
        rotations=rotations,
        names=names,
        on_call_now=on_call_now,
        unfit=unfit_rows,
        now_label=rota.wall(now, tz).strftime("%H:%M"),
        today=today,
        page_start=first_day.isoformat(),
        previous_start=(first_day - timedelta(days=CALENDAR_DAYS)).isoformat(),
        next_start=(first_day + timedelta(days=CALENDAR_DAYS)).isoformat(),
        feed_url=request.app.state.settings.public_base_url.rstrip("/")
        + feed_path(request, user.id),
        can_override=user.role in (Role.supervisor, Role.admin),
        can_swap=user.role in (Role.crisis, Role.supervisor),
        people=people,
        colleagues=colleagues,
        my_shifts=my_shifts,
        overrides=[(o, when(o.start_at), when(o.end_at), o.start_at <= now) for o in overrides],
        swaps=[(s, when(s.start_at), when(s.end_at)) for s in pending],
        done_message=done_messages(_).get(done or ""),
        errors=errors or {},
        action_errors=[
            message
            for key, message in sorted((errors or {}).items())
            if key.startswith(("swaps.", "overrides."))
        ],
        values=values or {},
    )


# --- the page's forms (HTML posts, answered by a redirect or the page with its errors) ---------


def _form_user(request: Request, csrf_token: str) -> User:
    user = user_from_connection(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in required")
    check_csrf(request, csrf_token)
    return user


def _done(schedule_id: int, page_start: str, what: str, anchor: str) -> Response:
    query = urlencode({"start": page_start, "done": what} if page_start else {"done": what})
    return RedirectResponse(f"/rota/{schedule_id}?{query}#{anchor}", status_code=303)


def _refused(
    request: Request,
    user: User,
    schedule_id: int,
    page_start: str,
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int,
) -> Response:
    """The page again, each error next to its field, the person's input kept."""
    _ = translator(request, user)
    known = messages(_)
    fallback = _("This value is not valid.")
    translated = {key: known.get(code, fallback) for key, code in errors.items()}
    return _page(
        request,
        user,
        schedule_id,
        page_start or None,
        errors=translated,
        values=values,
        status_code=status_code,
    )


def _local_instant(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` input (the schedule's wall clock) as a UTC instant."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return rota.localize(naive, rota.zone(timezone))


def _validation_codes(error: ValidationError, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item.get("loc", ())) or "kind"
        found.setdefault(f"{prefix}.{path}", str(item.get("type", "invalid")))
    return found


def _as_id(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@router.post("/rota/{schedule_id}/overrides", include_in_schema=False)
def override_form(
    schedule_id: int,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    page_start: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    replaced_user_id: Annotated[str, Form()] = "",
    start_at: Annotated[str, Form()] = "",
    end_at: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add an override from the page: add, remove or replace a person for a window."""
    user = _form_user(request, csrf_token)
    if user.role not in (Role.supervisor, Role.admin):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    values = {
        "kind": kind,
        "user_id": user_id,
        "replaced_user_id": replaced_user_id,
        "start_at": start_at,
        "end_at": end_at,
        "reason": reason,
    }

    def refuse(errors: dict[str, str], status_code: int = 422) -> Response:
        return _refused(request, user, schedule_id, page_start, errors, values, status_code)

    with _db(request).session() as session:
        timezone = rota.get_schedule(session=session, schedule_id=schedule_id).timezone
    errors: dict[str, str] = {}
    instants: dict[str, datetime | None] = {}
    for name in ("start_at", "end_at"):
        instants[name] = _local_instant(values[name], timezone) if values[name] else None
        if instants[name] is None:
            errors[f"override.{name}"] = "datetime_parsing" if values[name] else "missing"
    if errors:
        return refuse(errors)
    try:
        data = OverrideCreate.model_validate(
            {
                "kind": kind,
                "user_id": _as_id(user_id),
                "replaced_user_id": _as_id(replaced_user_id),
                "start_at": instants["start_at"],
                "end_at": instants["end_at"],
                "reason": reason.strip(),
            }
        )
    except ValidationError as error:
        return refuse(_validation_codes(error, "override"))
    assert user.id is not None
    try:
        with _db(request).session() as session:
            override = rota.add_override(
                session=session,
                schedule_id=schedule_id,
                data=data,
                created_by=user.id,
                now=_now(request),
            )
            detail = _override_detail("created", override)
            _audit(request, session, user, "override", override.id, detail)
    except rota.RotaError as error:
        fields = {f"override.{k}": v for k, v in error.errors.items()}
        return refuse(fields or {"override.kind": error.code}, error.status)
    return _done(schedule_id, page_start, "override_added", "overrides")


@router.post("/rota/overrides/{override_id}/cancel", include_in_schema=False)
def cancel_override_form(
    override_id: int,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    page_start: Annotated[str, Form()] = "",
) -> Response:
    user = _form_user(request, csrf_token)
    if user.role not in (Role.supervisor, Role.admin):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    with _db(request).session() as session:
        schedule_id = rota.get_override(session=session, override_id=override_id).schedule_id
    try:
        with _db(request).session() as session:
            override, deleted = rota.cancel_override(
                session=session, override_id=override_id, now=_now(request)
            )
            detail = _override_detail("deleted" if deleted else "ended early", override)
            _audit(request, session, user, "override", override_id, detail)
    except rota.RotaError as error:
        errors = {f"overrides.{override_id}": error.code}
        return _refused(request, user, schedule_id, page_start, errors, {}, error.status)
    return _done(schedule_id, page_start, "override_cancelled", "overrides")


@router.post("/rota/{schedule_id}/swaps", include_in_schema=False)
def swap_form(
    schedule_id: int,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    page_start: Annotated[str, Form()] = "",
    shift: Annotated[str, Form()] = "",
    counterpart_id: Annotated[str, Form()] = "",
) -> Response:
    """A crisis-team member asks a colleague to take one of their shifts."""
    user = _form_user(request, csrf_token)
    if user.role not in (Role.crisis, Role.supervisor):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    values = {"shift": shift, "counterpart_id": counterpart_id}

    def refuse(errors: dict[str, str], status_code: int = 422) -> Response:
        return _refused(request, user, schedule_id, page_start, errors, values, status_code)

    errors: dict[str, str] = {}
    if not shift:
        errors["swap.shift"] = "missing"
    if _as_id(counterpart_id) is None:
        errors["swap.counterpart_id"] = "missing"
    if errors:
        return refuse(errors)
    begin, _slash, end = shift.partition("/")
    assert user.id is not None
    try:
        data = SwapCreate.model_validate(
            {
                "schedule_id": schedule_id,
                "counterpart_id": _as_id(counterpart_id),
                "start_at": begin,
                "end_at": end,
            }
        )
        with _db(request).session() as session:
            swap = rota.request_swap(
                session=session, requester_id=user.id, data=data, now=_now(request)
            )
            _audit(request, session, user, "swap", swap.id, _swap_detail("requested", swap))
    except ValidationError as error:
        return refuse({"swap.shift": next(iter(_validation_codes(error, "swap").values()))})
    except rota.RotaError as error:
        where = {"counterpart_id": "swap.counterpart_id"}
        mapped = {where.get(k, "swap.shift"): v for k, v in error.errors.items()}
        return refuse(mapped or {"swap.shift": error.code}, error.status)
    return _done(schedule_id, page_start, "swap_requested", "swaps")


SWAP_ACTIONS = {"accept": "swap_accepted", "decline": "swap_declined", "withdraw": "swap_withdrawn"}


@router.post("/rota/swaps/{swap_id}/{action}", include_in_schema=False)
def answer_swap_form(
    swap_id: int,
    action: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    page_start: Annotated[str, Form()] = "",
) -> Response:
    """The colleague accepts or declines; the one who asked withdraws."""
    user = _form_user(request, csrf_token)
    if action not in SWAP_ACTIONS:
        raise HTTPException(status_code=404, detail="not found")
    assert user.id is not None
    with _db(request).session() as session:
        schedule_id = rota.get_swap(session=session, swap_id=swap_id).schedule_id
    try:
        with _db(request).session() as session:
            if action == "withdraw":
                swap = rota.cancel_swap(
                    session=session, swap_id=swap_id, user_id=user.id, now=_now(request)
                )
            else:
                swap = rota.answer_swap(
                    session=session,
                    swap_id=swap_id,
                    user_id=user.id,
                    accept=action == "accept",
                    now=_now(request),
                )
            _audit(request, session, user, "swap", swap_id, _swap_detail(swap.status.value, swap))
    except rota.RotaError as error:
        errors = {f"swaps.{swap_id}": error.code}
        return _refused(request, user, schedule_id, page_start, errors, {}, error.status)
    return _done(schedule_id, page_start, SWAP_ACTIONS[action], "swaps")
