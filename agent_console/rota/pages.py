"""The rota page: two weeks of a schedule, one row per local day, and its forms (overrides,
swaps, one's own calendar link).

A form is read into the rota's own request schema (`OverrideCreate`, `SwapCreate`), so it is
checked exactly as the JSON API checks it. It answers with a redirect to the page (`?done=...`),
or with the page again, each error next to its field and what was typed kept. A refused change
is tried in a savepoint of the request's transaction and leaves nothing behind; every change is
audited in the same transaction. The forms answer 401 without a session, as the JSON API does.
"""

from __future__ import annotations

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
from hotline.auth.deps import CurrentUser, PageUser, RequireRole, check_csrf
from hotline.auth.models import Role, User
from hotline.clock import Clock
from hotline.db import SessionDep
from hotline.rota import service as rota
from hotline.rota.models import SchedulePurpose
from hotline.rota.schemas import OverrideCreate, SwapCreate

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
def rota_home(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The first crisis schedule's calendar (or the first schedule of any kind)."""
    schedules = rota.list_schedules(session=session)
    crisis = [s for s in schedules if s.purpose == SchedulePurpose.crisis] or schedules
    if not crisis:
        return render(request, "rota.html", user=user, schedule=None, schedules=[])
    return RedirectResponse(f"/rota/{crisis[0].id}", status_code=303)


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
    if schedule is None:
        return render(
            request, "rota.html", user=user, schedule=None, schedules=schedules, status_code=404
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
