"""The rota's JSON API under /api/rota, and the iCal feed calendar apps subscribe to.

Errors come back as {"detail", "code", "errors": {field: message}}, translated for the signed-in
person, whether a service refused (`RotaError`, rendered by the `DomainError` handler) or the
request did not validate (`RotaRoute` turns that into a `RotaError` too). Every change is written
to the audit log in the request's transaction, with the change itself. The rota page and its
forms are in `agent_console/rota/`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AwareDatetime
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser, RequireRole, user_from_connection
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.db import SessionDep
from hotline.rota import service as rota
from hotline.rota.ical import check_feed_token
from hotline.rota.schemas import (
    FeedRenewed,
    OnCallPublic,
    OverrideCancelled,
    OverrideCreate,
    OverridePublic,
    OverridesPublic,
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
    SwapsPublic,
)

DEFAULT_SHIFTS_WINDOW = timedelta(days=14)
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=84)


def _field_errors(error: RequestValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        path = ".".join(loc[1:]) if loc and loc[0] in ("body", "query", "path") else ".".join(loc)
        found.setdefault(path, str(item.get("type", "invalid")))
    return found


class RotaRoute(APIRoute):
    """An invalid request is a `RotaError` ("invalid", 422, each field's code), so it reads like
    any other refusal of the rota."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def translated(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                if getattr(request.state, "user", None) is None:
                    # A body that is not JSON fails before the user is looked up: the message
                    # is still in the signed-in person's language.
                    request.state.user = await run_in_threadpool(user_from_connection, request)
                raise rota.RotaError("invalid", 422, errors=_field_errors(error)) from None

        return translated


router = APIRouter(tags=["rota"], route_class=RotaRoute)

Admin = Annotated[User, Depends(RequireRole(Role.admin))]
Supervising = Annotated[User, Depends(RequireRole(Role.supervisor, Role.admin))]
CrisisTeam = Annotated[User, Depends(RequireRole(Role.crisis, Role.supervisor))]
# After the user (a parameter after theirs): no session is 401, a missing token then 403.
Csrf = Annotated[None, CsrfChecked]
# Every route names its user before `session`: the user is then read in a unit of its own and
# stays readable when the request's session rolls back on a refusal (the error handler reads
# their language). Read in the request's session, the rollback would expire it.


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


def _people(session: Session, user_ids: Iterable[int]) -> list[Person]:
    names = rota.display_names(session=session, user_ids=user_ids)
    return [Person(id=user_id, display_name=name) for user_id, name in sorted(names.items())]


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


# --- schedules and rotations -------------------------------------------------------------------


@router.get("/api/rota/schedules")
def list_schedules(_user: CurrentUser, session: SessionDep) -> SchedulesPublic:
    found = rota.list_schedules(session=session)
    data = [SchedulePublic.model_validate(s, from_attributes=True) for s in found]
    return SchedulesPublic(data=data, count=len(data))


@router.post("/api/rota/schedules", status_code=201)
def create_schedule(
    body: ScheduleCreate, request: Request, user: Admin, _csrf: Csrf, session: SessionDep
) -> SchedulePublic:
    schedule = rota.create_schedule(session=session, data=body)
    session.flush()
    _audit(request, session, user, "schedule", schedule.id, "created")
    return SchedulePublic.model_validate(schedule, from_attributes=True)


@router.patch("/api/rota/schedules/{schedule_id}")
def update_schedule(
    schedule_id: int,
    body: ScheduleUpdate,
    request: Request,
    user: Admin,
    _csrf: Csrf,
    session: SessionDep,
) -> SchedulePublic:
    schedule, changes = rota.update_schedule(session=session, schedule_id=schedule_id, data=body)
    detail = "updated; " + rota.describe_changes(changes) if changes else "unchanged"
    _audit(request, session, user, "schedule", schedule_id, detail)
    return SchedulePublic.model_validate(schedule, from_attributes=True)


@router.delete("/api/rota/schedules/{schedule_id}", status_code=204)
def delete_schedule(
    schedule_id: int, request: Request, user: Admin, _csrf: Csrf, session: SessionDep
) -> Response:
    schedule = rota.delete_schedule(session=session, schedule_id=schedule_id)
    _audit(request, session, user, "schedule", schedule_id, f"deleted; name: {schedule.name}")
    return Response(status_code=204)


@router.get("/api/rota/schedules/{schedule_id}")
def get_schedule(schedule_id: int, _user: CurrentUser, session: SessionDep) -> ScheduleDetail:
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


@router.post("/api/rota/schedules/{schedule_id}/rotations", status_code=201)
def add_rotation(
    schedule_id: int,
    body: RotationCreate,
    request: Request,
    user: Admin,
    _csrf: Csrf,
    session: SessionDep,
) -> RotationPublic:
    rotation = rota.add_rotation(session=session, schedule_id=schedule_id, data=body)
    _audit(request, session, user, "rotation", rotation.id, f"created in schedule {schedule_id}")
    return RotationPublic.model_validate(rotation, from_attributes=True)


@router.patch("/api/rota/rotations/{rotation_id}")
def update_rotation(
    rotation_id: int,
    body: RotationUpdate,
    request: Request,
    user: Admin,
    _csrf: Csrf,
    session: SessionDep,
) -> RotationPublic:
    """The rota answers from the new definition from now on, for past instants too; who was
    paged is in the escalation log, and the old values are in this edit's audit row."""
    rotation, changes = rota.update_rotation(session=session, rotation_id=rotation_id, data=body)
    detail = "updated; " + rota.describe_changes(changes) if changes else "unchanged"
    _audit(request, session, user, "rotation", rotation_id, detail)
    return RotationPublic.model_validate(rotation, from_attributes=True)


@router.delete("/api/rota/rotations/{rotation_id}", status_code=204)
def delete_rotation(
    rotation_id: int, request: Request, user: Admin, _csrf: Csrf, session: SessionDep
) -> Response:
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
    session: SessionDep,
    at: Annotated[AwareDatetime | None, Query()] = None,
) -> OnCallPublic:
    instant = (at or _now(request)).astimezone(UTC)
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
    session: SessionDep,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
) -> ShiftsPublic:
    first = (start or _now(request)).astimezone(UTC)
    last = (end or first + DEFAULT_SHIFTS_WINDOW).astimezone(UTC)
    found = rota.shifts(session=session, schedule_id=schedule_id, start=first, end=last)
    people = _people(session, {s.user_id for s in found})
    return ShiftsPublic(data=found, count=len(found), people=people)


# --- overrides and swaps -----------------------------------------------------------------------


@router.get("/api/rota/schedules/{schedule_id}/overrides")
def list_overrides(
    schedule_id: int,
    request: Request,
    _user: CurrentUser,
    session: SessionDep,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
) -> OverridesPublic:
    first = (start or _now(request)).astimezone(UTC)
    last = (end or first + DEFAULT_SHIFTS_WINDOW).astimezone(UTC)
    rota.get_schedule(session=session, schedule_id=schedule_id)
    found = rota.list_overrides(session=session, schedule_id=schedule_id, start=first, end=last)
    data = [OverridePublic.model_validate(o, from_attributes=True) for o in found]
    return OverridesPublic(data=data, count=len(data))


@router.post("/api/rota/schedules/{schedule_id}/overrides", status_code=201)
def add_override(
    schedule_id: int,
    body: OverrideCreate,
    request: Request,
    user: Supervising,
    _csrf: Csrf,
    session: SessionDep,
) -> OverridePublic:
    assert user.id is not None
    override = rota.add_override(
        session=session,
        schedule_id=schedule_id,
        data=body,
        created_by=user.id,
        now=_now(request),
    )
    detail = rota.override_detail("created", override)
    _audit(request, session, user, "override", override.id, detail)
    return OverridePublic.model_validate(override, from_attributes=True)


@router.delete("/api/rota/overrides/{override_id}")
def cancel_override(
    override_id: int, request: Request, user: Supervising, _csrf: Csrf, session: SessionDep
) -> OverrideCancelled:
    """Not begun: deleted. Under way: ends now. Over: refused (the past stays as it was)."""
    override, deleted = rota.cancel_override(
        session=session, override_id=override_id, now=_now(request)
    )
    detail = rota.override_detail("deleted" if deleted else "ended early", override)
    _audit(request, session, user, "override", override_id, detail)
    public = OverridePublic.model_validate(override, from_attributes=True)
    return OverrideCancelled(deleted=deleted, override=None if deleted else public)


@router.get("/api/rota/swaps")
def my_swaps(user: CurrentUser, session: SessionDep) -> SwapsPublic:
    """The swap requests the signed-in person made or was asked to take."""
    found = rota.list_swaps(session=session, user_id=user.id)
    data = [SwapPublic.model_validate(s, from_attributes=True) for s in found]
    return SwapsPublic(data=data, count=len(data))


@router.post("/api/rota/swaps", status_code=201)
def request_swap(
    body: SwapCreate, request: Request, user: CrisisTeam, _csrf: Csrf, session: SessionDep
) -> SwapPublic:
    assert user.id is not None
    swap = rota.request_swap(session=session, requester_id=user.id, data=body, now=_now(request))
    _audit(request, session, user, "swap", swap.id, rota.swap_detail("requested", swap))
    return SwapPublic.model_validate(swap, from_attributes=True)


@router.post("/api/rota/swaps/{swap_id}/answer")
def answer_swap(
    swap_id: int,
    body: SwapAnswer,
    request: Request,
    user: CurrentUser,
    _csrf: Csrf,
    session: SessionDep,
) -> SwapPublic:
    assert user.id is not None
    swap = rota.answer_swap(
        session=session,
        swap_id=swap_id,
        user_id=user.id,
        accept=body.accept,
        now=_now(request),
    )
    _audit(request, session, user, "swap", swap_id, rota.swap_detail(swap.status.value, swap))
    return SwapPublic.model_validate(swap, from_attributes=True)


@router.post("/api/rota/swaps/{swap_id}/cancel")
def cancel_swap(
    swap_id: int, request: Request, user: CurrentUser, _csrf: Csrf, session: SessionDep
) -> SwapPublic:
    assert user.id is not None
    swap = rota.cancel_swap(session=session, swap_id=swap_id, user_id=user.id, now=_now(request))
    _audit(request, session, user, "swap", swap_id, rota.swap_detail("cancelled", swap))
    return SwapPublic.model_validate(swap, from_attributes=True)


# --- calendar feed -----------------------------------------------------------------------------


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


@router.get("/rota/ical/{user_id}.ics", include_in_schema=False)
def ical_feed(user_id: int, request: Request, session: SessionDep, token: str = "") -> Response:
    """A person's shifts for calendar apps: no session, the token in the URL is the key."""
    now = _now(request)
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


@router.post("/api/rota/feeds/{user_id}/renew")
def renew_feed(
    user_id: int, request: Request, user: Admin, _csrf: Csrf, session: SessionDep
) -> FeedRenewed:
    """An admin revokes anyone's calendar feed link (a lost phone, someone who left)."""
    version = rota.renew_feed(session=session, user_id=user_id, now=_now(request))
    _audit(request, session, user, "ical_feed", user_id, f"link renewed (version {version})")
    return FeedRenewed(user_id=user_id, renewed=True)
