"""The rota page: two weeks of a schedule, one row per local day, and its forms (overrides,
swaps, one's own calendar link).

A form is read into the rota's own request schema (`OverrideCreate`, `SwapCreate`), so it is
checked exactly as the JSON API checks it. It answers with a redirect to the page (`?done=...`),
or with the page again, each error next to its field and what was typed kept. A refused change
is tried in a savepoint of the request's transaction and leaves nothing behind; every change is
audited in the same transaction. The forms answer 401 without a session, as the JSON API does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from agent_console.kit.render import locale_of, remember_locale, render, translator
from agent_console.rota import views
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CurrentUser, PageUser, RequirePageRole, RequireRole, check_csrf
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.db import SessionDep
from hotline.rota import service as rota
from hotline.rota.models import DEFAULT_TIMEZONE, Rotation, Schedule, SchedulePurpose
from hotline.rota.schemas import (
    OverrideCreate,
    RotationCreate,
    RotationUpdate,
    ScheduleCreate,
    ScheduleUpdate,
    SwapCreate,
)

router = APIRouter(tags=["rota"], include_in_schema=False)

# A form posted without a session is refused (401), not sent to sign in: what was typed is lost
# either way, and the answer stays the one the API gives.
Supervising = Annotated[User, Depends(RequireRole(Role.supervisor, Role.admin))]
CrisisTeam = Annotated[User, Depends(RequireRole(Role.crisis, Role.supervisor))]
Remembered = Depends(remember_locale)  # ?lang= is kept before a sign-in redirect too


def _form_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    check_csrf(request, csrf_token)


# After the user (a parameter after theirs): no session is 401, a missing token then 403.
FormCsrf = Annotated[None, Depends(_form_csrf)]
# Every route names its user before `session`: the user is then read in a unit of its own and
# stays readable when the request's session rolls back on a refusal (the error page shows
# them, in their language). Read in the request's session, the rollback would expire it.
PageStart = Annotated[str, Form()]


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


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


# --- the page ----------------------------------------------------------------------------------


@router.get("/rota", dependencies=[Remembered])
def rota_home(
    request: Request, user: PageUser, session: SessionDep, done: str | None = None
) -> Response:
    """The first crisis schedule's calendar (or the first schedule of any kind)."""
    schedules = rota.list_schedules(session=session)
    crisis = [s for s in schedules if s.purpose == SchedulePurpose.crisis] or schedules
    if not crisis:
        _ = translator(request, user)
        return render(
            request,
            "rota.html",
            user=user,
            schedule=None,
            schedules=[],
            can_edit=user.role == Role.admin,
            done_message=views.done_messages(_).get(done or ""),
        )
    query = "?" + urlencode({"done": done}) if done else ""
    return RedirectResponse(f"/rota/{crisis[0].id}{query}", status_code=303)


@router.get("/rota/{schedule_id}", dependencies=[Remembered])
def rota_page(
    schedule_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    start: str | None = None,
    done: str | None = None,
) -> Response:
    """Two weeks of a schedule, one row per local day; who is on call now stands out."""
    return _page(request, session, user, schedule_id, start, done=done)


FormErrors = dict[str, str]  # "form.field" -> translated message


def _page(
    request: Request,
    session: Session,
    user: User,
    schedule_id: int,
    start: str | None,
    *,
    done: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    schedules = rota.list_schedules(session=session)
    schedule = next((s for s in schedules if s.id == schedule_id), None)
    can_edit = user.role == Role.admin
    if schedule is None:
        return render(
            request,
            "rota.html",
            user=user,
            schedule=None,
            schedules=schedules,
            can_edit=can_edit,
            status_code=404,
        )
    assert user.id is not None
    view = views.calendar(
        session,
        user=user,
        schedule=schedule,
        start=start,
        now=_now(request),
        lang=locale_of(request, user),
    )
    base_url: str = request.app.state.settings.public_base_url
    secret: str = request.app.state.settings.secret_key
    feed = rota.feed_path(session=session, secret=secret, user_id=user.id)
    _ = translator(request, user)
    return render(
        request,
        "rota.html",
        user=user,
        status_code=status_code,
        schedule=schedule,
        schedules=schedules,
        feed_url=base_url.rstrip("/") + feed,
        done_message=views.done_messages(_).get(done or ""),
        errors=errors or {},
        action_errors=[
            message
            for key, message in sorted((errors or {}).items())
            if key.startswith(("swaps.", "overrides."))
        ],
        values=values or {},
        can_edit=can_edit,
        gap_counts=views.gap_counts(session, schedules=schedules, now=_now(request)),
        **view,
    )


# --- the page's forms (HTML posts, answered by a redirect or the page with its errors) ---------


def _done(schedule_id: int, page_start: str, what: str, anchor: str) -> Response:
    query = urlencode({"start": page_start, "done": what} if page_start else {"done": what})
    return RedirectResponse(f"/rota/{schedule_id}?{query}#{anchor}", status_code=303)


def _refused(
    request: Request,
    session: Session,
    user: User,
    schedule_id: int,
    page_start: str,
    error: rota.RotaError,
    values: dict[str, str],
) -> Response:
    """The page again, each of `error`'s fields next to its input, the person's input kept."""
    return _page(
        request,
        session,
        user,
        schedule_id,
        page_start or None,
        errors=error.field_messages(translator(request, user)),
        values=values,
        status_code=error.status,
    )


def _blamed(error: rota.RotaError, fields: dict[str, str]) -> rota.RotaError:
    """The same refusal, its codes put on the page's fields."""
    return rota.RotaError(error.code, error.status, errors=fields, params=error.params)


def _invalid(error: ValidationError, where: dict[str, str], other: str) -> rota.RotaError:
    """A form's schema errors on the page's fields (`where`: schema field -> page field)."""
    fields: dict[str, str] = {}
    for path, code in rota.error_codes(error, blank="").items():
        fields.setdefault(where.get(path, other), code)
    return rota.RotaError("invalid", 422, errors=fields)


def _local_instant(value: str, timezone: str) -> datetime | str:
    """A `datetime-local` input (the schedule's wall clock) as a UTC instant; what cannot be
    read is left for the schema to refuse."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return rota.localize(naive, rota.zone(timezone))


@router.post("/rota/{schedule_id}/overrides")
def override_form(
    schedule_id: int,
    request: Request,
    user: Supervising,
    _csrf: FormCsrf,
    session: SessionDep,
    page_start: PageStart = "",
    kind: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    replaced_user_id: Annotated[str, Form()] = "",
    start_at: Annotated[str, Form()] = "",
    end_at: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add an override from the page: add, remove or replace a person for a window."""
    values = {
        "kind": kind,
        "user_id": user_id,
        "replaced_user_id": replaced_user_id,
        "start_at": start_at,
        "end_at": end_at,
        "reason": reason,
    }
    timezone = rota.get_schedule(session=session, schedule_id=schedule_id).timezone
    fields: dict[str, object] = {"kind": kind, "reason": reason.strip()}
    # An empty input is left out: the schema says "missing" where the kind needs it.
    fields |= {name: values[name] for name in ("user_id", "replaced_user_id") if values[name]}
    fields |= {
        name: _local_instant(values[name], timezone)
        for name in ("start_at", "end_at")
        if values[name]
    }
    try:
        data = OverrideCreate.model_validate(fields)
    except ValidationError as error:
        where = {name: f"override.{name}" for name in OverrideCreate.model_fields}
        invalid = _invalid(error, where, "override.kind")
        return _refused(request, session, user, schedule_id, page_start, invalid, values)
    assert user.id is not None
    try:
        with session.begin_nested():
            override = rota.add_override(
                session=session,
                schedule_id=schedule_id,
                data=data,
                created_by=user.id,
                now=_now(request),
            )
    except rota.RotaError as error:
        blamed = {f"override.{k}": v for k, v in error.errors.items()}
        refusal = _blamed(error, blamed or {"override.kind": error.code})
        return _refused(request, session, user, schedule_id, page_start, refusal, values)
    detail = rota.override_detail("created", override)
    _audit(request, session, user, "override", override.id, detail)
    return _done(schedule_id, page_start, "override_added", "overrides")


@router.post("/rota/overrides/{override_id}/cancel")
def cancel_override_form(
    override_id: int,
    request: Request,
    user: Supervising,
    _csrf: FormCsrf,
    session: SessionDep,
    page_start: PageStart = "",
) -> Response:
    schedule_id = rota.get_override(session=session, override_id=override_id).schedule_id
    try:
        with session.begin_nested():
            override, deleted = rota.cancel_override(
                session=session, override_id=override_id, now=_now(request)
            )
    except rota.RotaError as error:
        refusal = _blamed(error, {f"overrides.{override_id}": error.code})
        return _refused(request, session, user, schedule_id, page_start, refusal, {})
    detail = rota.override_detail("deleted" if deleted else "ended early", override)
    _audit(request, session, user, "override", override_id, detail)
    return _done(schedule_id, page_start, "override_cancelled", "overrides")


@router.post("/rota/{schedule_id}/swaps")
def swap_form(
    schedule_id: int,
    request: Request,
    user: CrisisTeam,
    _csrf: FormCsrf,
    session: SessionDep,
    page_start: PageStart = "",
    shift: Annotated[str, Form()] = "",
    counterpart_id: Annotated[str, Form()] = "",
) -> Response:
    """A crisis-team member asks a colleague to take one of their shifts."""
    values = {"shift": shift, "counterpart_id": counterpart_id}
    fields: dict[str, object] = {"schedule_id": schedule_id}
    if counterpart_id:
        fields["counterpart_id"] = counterpart_id
    if shift:  # "start/end", one of the person's own shifts
        begin, _slash, end = shift.partition("/")
        fields |= {"start_at": begin, "end_at": end}
    where = {"counterpart_id": "swap.counterpart_id"}  # anything else is about the shift
    try:
        data = SwapCreate.model_validate(fields)
    except ValidationError as error:
        invalid = _invalid(error, where, "swap.shift")
        return _refused(request, session, user, schedule_id, page_start, invalid, values)
    assert user.id is not None
    try:
        with session.begin_nested():
            swap = rota.request_swap(
                session=session, requester_id=user.id, data=data, now=_now(request)
            )
    except rota.RotaError as error:
        blamed = {where.get(k, "swap.shift"): v for k, v in error.errors.items()}
        refusal = _blamed(error, blamed or {"swap.shift": error.code})
        return _refused(request, session, user, schedule_id, page_start, refusal, values)
    _audit(request, session, user, "swap", swap.id, rota.swap_detail("requested", swap))
    return _done(schedule_id, page_start, "swap_requested", "swaps")


SWAP_ACTIONS = {"accept": "swap_accepted", "decline": "swap_declined", "withdraw": "swap_withdrawn"}


@router.post("/rota/swaps/{swap_id}/{action}")
def answer_swap_form(
    swap_id: int,
    action: str,
    request: Request,
    user: CurrentUser,
    _csrf: FormCsrf,
    session: SessionDep,
    page_start: PageStart = "",
) -> Response:
    """The colleague accepts or declines; the one who asked withdraws."""
    if action not in SWAP_ACTIONS:
        raise HTTPException(status_code=404, detail="not found")
    assert user.id is not None
    schedule_id = rota.get_swap(session=session, swap_id=swap_id).schedule_id
    try:
        with session.begin_nested():
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
    except rota.RotaError as error:
        refusal = _blamed(error, {f"swaps.{swap_id}": error.code})
        return _refused(request, session, user, schedule_id, page_start, refusal, {})
    _audit(request, session, user, "swap", swap_id, rota.swap_detail(swap.status.value, swap))
    return _done(schedule_id, page_start, SWAP_ACTIONS[action], "swaps")


@router.post("/rota/{schedule_id}/feed/renew")
def renew_own_feed_form(
    schedule_id: int,
    request: Request,
    user: CurrentUser,
    _csrf: FormCsrf,
    session: SessionDep,
    page_start: PageStart = "",
) -> Response:
    """The person revokes their own feed link from the rota page and gets a new one."""
    assert user.id is not None
    version = rota.renew_feed(session=session, user_id=user.id, now=_now(request))
    _audit(request, session, user, "ical_feed", user.id, f"link renewed (version {version})")
    return _done(schedule_id, page_start, "feed_renewed", "feed")


# --- editing schedules and their rotations (admins, as the JSON API allows) --------------------
#
# The forms are read into the rota's own schemas and changed by its services, so they are checked
# exactly as the JSON API checks them. A rotation's members are reordered by buttons that post the
# form back (`op`: up, down, remove, add) and show it again unsaved; only `op=save` saves.

AdminPage = Annotated[User, Depends(RequirePageRole(Role.admin))]
Admin = Annotated[User, Depends(RequireRole(Role.admin))]
Text = Annotated[str, Form()]
Confirmed = Annotated[str, Form()]
ROTATION_INPUTS = ("name", "layer", "shift", "shift_hours", "handoff_time", "start_date")
WINDOW_INPUTS = ("active_from", "active_until")


def _json(values: Mapping[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str, separators=(",", ":"))


def _audit_change(
    request: Request,
    session: Session,
    user: User,
    object_type: str,
    object_id: int | None,
    what: str,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    """An edit's audit row from the pages: what happened, then the fields before and after."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    changes = {
        "before": {k: before[k] for k in keys if k in before},
        "after": {k: after[k] for k in keys if k in after},
    }
    _audit(request, session, user, object_type, object_id, f"{what} (page): {_json(changes)}")


def _schedule_snapshot(schedule: Schedule) -> dict[str, object]:
    return schedule.model_dump(include=set(ScheduleCreate.model_fields))


def _rotation_snapshot(rotation: Rotation) -> dict[str, object]:
    return {"schedule_id": rotation.schedule_id, **rotation.model_dump(include=ROTATION_FIELDS)}


ROTATION_FIELDS = set(RotationCreate.model_fields)


def _field_errors(error: ValidationError) -> dict[str, str]:
    """A schema's errors on the form's inputs (a member's error is the members' list's)."""
    found: dict[str, str] = {}
    for path, code in rota.error_codes(error, blank="name").items():
        found.setdefault(path.split(".")[0], code)
    return found


def _messages(request: Request, user: User, error: rota.RotaError) -> dict[str, str]:
    return error.field_messages(translator(request, user))


def _edit_done(schedule_id: int, what: str) -> Response:
    return RedirectResponse(f"/rota/{schedule_id}/edit?done={what}", status_code=303)


def _schedule_page(
    request: Request,
    session: Session,
    user: User,
    schedule: Schedule | None,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    moved: str = "",
    status_code: int = 200,
) -> Response:
    """The new-schedule form, or a schedule's settings, rotations and gaps in its cover
    (`moved`: the layer button last pressed, "id:up", focused again)."""
    lang = locale_of(request, user)
    _ = translator(request, user)
    extra: dict[str, object] = {}
    if schedule is not None:
        assert schedule.id is not None
        rotations = rota.list_rotations(session=session, schedule_id=schedule.id)
        extra = {
            "rotations": rotations,
            "names": rota.display_names(
                session=session, user_ids={m for r in rotations for m in r.member_ids}
            ),
            "gaps": views.gap_rows(session, schedule=schedule, now=_now(request), lang=lang),
        }
        values = values or {k: str(v) for k, v in _schedule_snapshot(schedule).items()}
    return render(
        request,
        "rota_schedule.html",
        user=user,
        status_code=status_code,
        schedule=schedule,
        values=values or {"timezone": DEFAULT_TIMEZONE, "purpose": SchedulePurpose.crisis.value},
        errors=errors or {},
        timezones=views.timezones(),
        moved=moved,
        done_message=views.done_messages(_).get(done or ""),
        **extra,
    )


@router.get("/rota/schedules/new", dependencies=[Remembered])
def new_schedule_page(request: Request, user: AdminPage, session: SessionDep) -> Response:
    return _schedule_page(request, session, user, None)


def _schedule_values(name: str, purpose: str, timezone: str, description: str) -> dict[str, str]:
    return {
        "name": name,
        "purpose": purpose,
        "timezone": timezone.strip(),
        "description": description.strip(),
    }


@router.post("/rota/schedules/new")
def create_schedule_form(
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    name: Text = "",
    purpose: Text = "",
    timezone: Text = "",
    description: Text = "",
) -> Response:
    values = _schedule_values(name, purpose, timezone, description)
    try:
        data = ScheduleCreate.model_validate(values)
        with session.begin_nested():
            schedule = rota.create_schedule(session=session, data=data)
    except ValidationError as error:
        refusal = rota.RotaError("invalid", 422, errors=_field_errors(error))
        return _schedule_page(
            request, session, user, None, values=values,
            errors=_messages(request, user, refusal), status_code=422,
        )  # fmt: skip
    except rota.RotaError as error:
        return _schedule_page(
            request, session, user, None, values=values,
            errors=_messages(request, user, error), status_code=error.status,
        )  # fmt: skip
    session.flush()
    assert schedule.id is not None
    _audit_change(
        request, session, user, "schedule", schedule.id, "created", {}, _schedule_snapshot(schedule)
    )
    return _edit_done(schedule.id, "schedule_created")


@router.get("/rota/{schedule_id}/edit", dependencies=[Remembered])
def edit_schedule_page(
    schedule_id: int,
    request: Request,
    user: AdminPage,
    session: SessionDep,
    done: str | None = None,
    moved: str = "",
) -> Response:
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    return _schedule_page(request, session, user, schedule, done=done, moved=moved)


@router.post("/rota/{schedule_id}/edit")
def update_schedule_form(
    schedule_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    name: Text = "",
    purpose: Text = "",
    timezone: Text = "",
    description: Text = "",
) -> Response:
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    before = _schedule_snapshot(schedule)
    values = _schedule_values(name, purpose, timezone, description)
    try:
        data = ScheduleUpdate.model_validate(values)
        with session.begin_nested():
            rota.update_schedule(session=session, schedule_id=schedule_id, data=data)
    except ValidationError as error:
        refusal = rota.RotaError("invalid", 422, errors=_field_errors(error))
        return _schedule_page(
            request, session, user, schedule, values=values,
            errors=_messages(request, user, refusal), status_code=422,
        )  # fmt: skip
    except rota.RotaError as error:
        session.refresh(schedule)  # the savepoint rolled back; show what is stored
        fields = error.errors or {"purpose": error.code}
        refusal = _blamed(error, fields)
        return _schedule_page(
            request, session, user, schedule, values=values,
            errors=_messages(request, user, refusal), status_code=error.status,
        )  # fmt: skip
    after = _schedule_snapshot(schedule)
    _audit_change(request, session, user, "schedule", schedule_id, "updated", before, after)
    return _edit_done(schedule_id, "schedule_saved")


def _confirm_page(
    request: Request,
    user: User,
    *,
    schedule: Schedule,
    rotation: Rotation | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "rota_confirm.html",
        user=user,
        status_code=status_code,
        schedule=schedule,
        rotation=rotation,
        refusal=refusal,
    )


@router.get("/rota/{schedule_id}/delete", dependencies=[Remembered])
def delete_schedule_page(
    schedule_id: int, request: Request, user: AdminPage, session: SessionDep
) -> Response:
    """Asks first; says at once when the schedule may not go (which policies page it)."""
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    try:
        rota.check_deletable(session=session, schedule_id=schedule_id)
    except rota.RotaError as error:
        refusal = error.text_for(error.code, translator(request, user))
        return _confirm_page(request, user, schedule=schedule, refusal=refusal)
    return _confirm_page(request, user, schedule=schedule)


@router.post("/rota/{schedule_id}/delete")
def delete_schedule_form(
    schedule_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    confirm: Confirmed = "",
) -> Response:
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    if confirm != "1":
        return _confirm_page(request, user, schedule=schedule)
    before = _schedule_snapshot(schedule)
    rotations = [
        _rotation_snapshot(r) for r in rota.list_rotations(session=session, schedule_id=schedule_id)
    ]
    try:
        with session.begin_nested():
            rota.delete_schedule(session=session, schedule_id=schedule_id)
    except rota.RotaError as error:
        session.refresh(schedule)
        refusal = error.text_for(error.code, translator(request, user))
        return _confirm_page(
            request, user, schedule=schedule, refusal=refusal, status_code=error.status
        )
    before["rotations"] = rotations
    _audit_change(request, session, user, "schedule", schedule_id, "deleted", before, {})
    return RedirectResponse("/rota?done=schedule_deleted", status_code=303)


# --- a rotation's form -------------------------------------------------------------------------


def _rotation_page(
    request: Request,
    session: Session,
    user: User,
    schedule: Schedule,
    rotation: Rotation | None,
    *,
    values: dict[str, str],
    member_ids: list[str],
    errors: dict[str, str] | None = None,
    focus: str = "",
    unsaved: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "rota_rotation.html",
        user=user,
        status_code=status_code,
        schedule=schedule,
        rotation=rotation,
        values=values,
        errors=errors or {},
        focus=focus,
        unsaved=unsaved,
        **views.member_rows(session, schedule=schedule, member_ids=member_ids),
    )


@router.get("/rota/{schedule_id}/rotations/new", dependencies=[Remembered])
def new_rotation_page(
    schedule_id: int, request: Request, user: AdminPage, session: SessionDep
) -> Response:
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    today = rota.wall(_now(request), rota.zone(schedule.timezone)).date()
    values = views.rotation_values(None) | {"start_date": today.isoformat()}
    return _rotation_page(request, session, user, schedule, None, values=values, member_ids=[])


@router.get("/rota/rotations/{rotation_id}", dependencies=[Remembered])
def edit_rotation_page(
    rotation_id: int, request: Request, user: AdminPage, session: SessionDep
) -> Response:
    rotation = rota.get_rotation(session=session, rotation_id=rotation_id)
    schedule = rota.get_schedule(session=session, schedule_id=rotation.schedule_id)
    values = views.rotation_values(rotation)
    members = [str(m) for m in rotation.member_ids]
    return _rotation_page(
        request, session, user, schedule, rotation, values=values, member_ids=members
    )


def _moved(members: list[str], op: str, add_member: str) -> tuple[list[str], str] | None:
    """The members after a reorder button (and the button to focus next), or None for save."""
    action, _sep, where = op.partition(":")
    if action == "add":
        added = [*members, add_member] if add_member and add_member not in members else members
        return added, "add"
    if action not in ("up", "down", "remove") or not where.isdigit():
        return None
    i = int(where)
    if i >= len(members):
        return members, ""
    members = list(members)
    if action == "remove":
        del members[i]
        return members, "add"
    j = i - 1 if action == "up" else i + 1
    if 0 <= j < len(members):
        members[i], members[j] = members[j], members[i]
        i = j
    # Keep the focus on the moved person's same button, or the other one at either end.
    if action == "up" and i == 0:
        action = "down"
    elif action == "down" and i == len(members) - 1:
        action = "up"
    return members, f"{action}:{i}" if len(members) > 1 else "add"


def _rotation_fields(values: dict[str, str], member_ids: list[str]) -> dict[str, object]:
    """The form as the schema reads it: an empty input is left out (the schema says "missing"
    or uses its default), an empty daily window is "all day"."""
    fields: dict[str, object] = {k: values[k] for k in ROTATION_INPUTS if values.get(k)}
    fields |= {k: values[k] or None for k in WINDOW_INPUTS}
    fields["member_ids"] = member_ids
    return fields


def _rotation_form(
    request: Request,
    session: Session,
    user: User,
    schedule: Schedule,
    rotation: Rotation | None,
    form: dict[str, str],
    member_ids: list[str],
    op: str,
    add_member: str,
) -> Response | RotationCreate:
    """The form again after a reorder button or an invalid input; else its checked data."""
    moved = _moved(member_ids, op, add_member)
    if moved is not None:
        members, focus = moved
        return _rotation_page(
            request, session, user, schedule, rotation,
            values=form, member_ids=members, focus=focus, unsaved=True,
        )  # fmt: skip
    try:
        return RotationCreate.model_validate(_rotation_fields(form, member_ids))
    except ValidationError as error:
        refusal = rota.RotaError("invalid", 422, errors=_field_errors(error))
        return _rotation_page(
            request, session, user, schedule, rotation, values=form, member_ids=member_ids,
            errors=_messages(request, user, refusal), status_code=422,
        )  # fmt: skip


def _form_inputs(
    name: Text = "",
    layer: Text = "",
    shift: Text = "",
    shift_hours: Text = "",
    handoff_time: Text = "",
    start_date: Text = "",
    active_from: Text = "",
    active_until: Text = "",
) -> dict[str, str]:
    values = {
        "name": name,
        "layer": layer,
        "shift": shift,
        "shift_hours": shift_hours,
        "handoff_time": handoff_time,
        "start_date": start_date,
        "active_from": active_from,
        "active_until": active_until,
    }
    return {k: v.strip() for k, v in values.items()}


Inputs = Annotated[dict[str, str], Depends(_form_inputs)]
Members = Annotated[list[str], Form()]


@router.post("/rota/{schedule_id}/rotations")
def add_rotation_form(
    schedule_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    inputs: Inputs,
    member_ids: Members = [],  # noqa: B006 - FastAPI copies a default
    op: Text = "save",
    add_member: Text = "",
) -> Response:
    schedule = rota.get_schedule(session=session, schedule_id=schedule_id)
    checked = _rotation_form(
        request, session, user, schedule, None, inputs, member_ids, op, add_member
    )
    if isinstance(checked, Response):
        return checked
    try:
        with session.begin_nested():
            rotation = rota.add_rotation(session=session, schedule_id=schedule_id, data=checked)
    except rota.RotaError as error:
        return _rotation_page(
            request, session, user, schedule, None, values=inputs, member_ids=member_ids,
            errors=_messages(request, user, error), status_code=error.status,
        )  # fmt: skip
    snapshot = _rotation_snapshot(rotation)
    _audit_change(request, session, user, "rotation", rotation.id, "created", {}, snapshot)
    return _edit_done(schedule_id, "rotation_added")


@router.post("/rota/rotations/{rotation_id}")
def update_rotation_form(
    rotation_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    inputs: Inputs,
    member_ids: Members = [],  # noqa: B006 - FastAPI copies a default
    op: Text = "save",
    add_member: Text = "",
) -> Response:
    rotation = rota.get_rotation(session=session, rotation_id=rotation_id)
    schedule = rota.get_schedule(session=session, schedule_id=rotation.schedule_id)
    checked = _rotation_form(
        request, session, user, schedule, rotation, inputs, member_ids, op, add_member
    )
    if isinstance(checked, Response):
        return checked
    before = _rotation_snapshot(rotation)
    fields = checked.model_dump()
    if checked.member_ids == rotation.member_ids:
        del fields["member_ids"]  # unchanged: someone since disabled does not block the rest
    try:
        with session.begin_nested():
            rota.update_rotation(
                session=session, rotation_id=rotation_id, data=RotationUpdate(**fields)
            )
    except rota.RotaError as error:
        session.refresh(rotation)
        return _rotation_page(
            request, session, user, schedule, rotation, values=inputs, member_ids=member_ids,
            errors=_messages(request, user, error), status_code=error.status,
        )  # fmt: skip
    after = _rotation_snapshot(rotation)
    _audit_change(request, session, user, "rotation", rotation_id, "updated", before, after)
    return _edit_done(rotation.schedule_id, "rotation_saved")


@router.post("/rota/rotations/{rotation_id}/move")
def move_layer_form(
    rotation_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    direction: Text = "",
) -> Response:
    """Raise or lower a rotation in the layer order (the edit page's up and down buttons)."""
    rotation = rota.get_rotation(session=session, rotation_id=rotation_id)
    if direction not in ("up", "down"):
        raise HTTPException(status_code=422, detail="direction: up or down")
    befores = {
        r.id: r.layer
        for r in rota.list_rotations(session=session, schedule_id=rotation.schedule_id)
    }
    for moved, _changes in rota.move_layer(
        session=session, rotation_id=rotation_id, up=direction == "up"
    ):
        _audit_change(
            request, session, user, "rotation", moved.id, "updated",
            {"layer": befores[moved.id]}, {"layer": moved.layer},
        )  # fmt: skip
    query = urlencode({"done": "rotation_moved", "moved": f"{rotation_id}:{direction}"})
    return RedirectResponse(f"/rota/{rotation.schedule_id}/edit?{query}", status_code=303)


@router.get("/rota/rotations/{rotation_id}/delete", dependencies=[Remembered])
def delete_rotation_page(
    rotation_id: int, request: Request, user: AdminPage, session: SessionDep
) -> Response:
    rotation = rota.get_rotation(session=session, rotation_id=rotation_id)
    schedule = rota.get_schedule(session=session, schedule_id=rotation.schedule_id)
    return _confirm_page(request, user, schedule=schedule, rotation=rotation)


@router.post("/rota/rotations/{rotation_id}/delete")
def delete_rotation_form(
    rotation_id: int,
    request: Request,
    user: Admin,
    _csrf: FormCsrf,
    session: SessionDep,
    confirm: Confirmed = "",
) -> Response:
    rotation = rota.get_rotation(session=session, rotation_id=rotation_id)
    if confirm != "1":
        schedule = rota.get_schedule(session=session, schedule_id=rotation.schedule_id)
        return _confirm_page(request, user, schedule=schedule, rotation=rotation)
    schedule_id, before = rotation.schedule_id, _rotation_snapshot(rotation)
    rota.delete_rotation(session=session, rotation_id=rotation_id)
    _audit_change(request, session, user, "rotation", rotation_id, "deleted", before, {})
    return _edit_done(schedule_id, "rotation_removed")
