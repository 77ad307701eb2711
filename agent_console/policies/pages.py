"""Escalation policies (`/admin/policies`): admins create, edit and delete policies and choose
the lines that use them; supervisors see them. Both may run a drill ("Test this policy") and
read the drill log; the crisis team acknowledges a drill on `/console/drills` (or by SMS reply
or keypress, as a real page).

The rules, the reach of each step and the audit are in `hotline.escalation.policies` and
`hotline.escalation.drills`; these routes parse forms, check the CSRF token and render. The
step editor works without JavaScript: its buttons (add, remove, move up, move down) post the
form back and the page returns with the change, not yet saved, and the focus where it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from agent_console.policies import views
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.escalation import drills
from hotline.escalation import policies as service
from hotline.escalation.drills import DrillError
from hotline.escalation.models import RESPONDERS, EscalationPolicy
from hotline.escalation.policies import CHANNEL_LABELS, PolicyError
from hotline.escalation.service import DEFAULT_POLICY
from hotline.i18n import N_
from hotline.routing.engine import DispatcherDep

router = APIRouter(tags=["policies"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
Viewer = Annotated[User, Depends(RequirePageRole(Role.supervisor, Role.admin))]
Responder = Annotated[User, Depends(RequirePageRole(*RESPONDERS))]
CsrfToken = Annotated[str | None, Form()]
Values = Annotated[list[str], Form()]
NOTICES = {
    "created": N_("The policy was saved."),
    "saved": N_("The changes were saved."),
    "deleted": N_("The policy was deleted."),
    "stopped": N_("The drill was stopped."),
    "acknowledged": N_("Drill acknowledged. Thank you: no caller is waiting."),
}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _notice(request: Request, _: views.Translate) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


def _reach(session: Session, steps: list[dict[str, Any]], request: Request) -> list[Any]:
    return service.reach_now(session=session, steps=steps, now=_now(request))


# --- the list ------------------------------------------------------------------------------------


@router.get("/admin/policies", include_in_schema=False)
def policies_page(request: Request, user: Viewer, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    rows = []
    for policy in service.list_policies(session=session):
        assert policy.id is not None
        reach = _reach(session, policy.steps or [], request)
        rows.append(
            {
                "id": policy.id,
                "name": policy.name,
                "repeat": policy.repeat,
                "steps": views.step_rows(session, policy.steps or [], _),
                "lines": [
                    line.name for line in service.lines_using(session=session, policy_id=policy.id)
                ],
                "reach": views.reach_rows(reach, _),
                "nobody": service.reaches_nobody(reach),
            }
        )
    default_steps = views.step_rows(session, DEFAULT_POLICY["steps"], _)
    return render(
        request,
        "policies.html",
        user=user,
        rows=rows,
        default_steps=default_steps,
        notice=_notice(request, _),
    )


# --- one policy ----------------------------------------------------------------------------------


def _policy_page(
    request: Request,
    session: Session,
    user: User,
    policy: EscalationPolicy,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    assert policy.id is not None
    reach = _reach(session, policy.steps or [], request)
    found = drills.list_drills(session=session, policy_id=policy.id, limit=20)
    names = drills.names(
        session=session,
        user_ids={d.started_by for d in found} | {d.acknowledged_by or 0 for d in found},
    )
    return render(
        request,
        "policy.html",
        user=user,
        policy=policy,
        steps=views.step_rows(session, policy.steps or [], _),
        reach=views.reach_rows(reach, _),
        nobody=service.reaches_nobody(reach),
        lines=[line.name for line in service.lines_using(session=session, policy_id=policy.id)],
        drills=[views.drill_row(d, names, _) for d in found],
        notice=_notice(request, _),
        error=error,
        status_code=status_code,
    )


@router.get("/admin/policies/new", include_in_schema=False)
def new_policy_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _form_page(request, session, user, None, views.form_values(None, []))


@router.get("/admin/policies/drills", include_in_schema=False)
def drills_page(request: Request, user: Viewer, session: SessionDep) -> Response:
    """The drill log: every drill, newest first."""
    remember_locale(request)
    _ = translator(request, user)
    found = drills.list_drills(session=session)
    names = drills.names(
        session=session,
        user_ids={d.started_by for d in found} | {d.acknowledged_by or 0 for d in found},
    )
    return render(
        request,
        "policy_drills.html",
        user=user,
        drills=[views.drill_row(d, names, _) for d in found],
    )


@router.get("/admin/policies/drills/{drill_id}", include_in_schema=False)
def drill_page(request: Request, drill_id: int, user: Viewer, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    drill = drills.get(session=session, drill_id=drill_id)
    return render(
        request,
        "policy_drill.html",
        user=user,
        notice=_notice(request, _),
        **views.drill_detail(session, drill, _),
    )


@router.post("/admin/policies/drills/{drill_id}/stop", include_in_schema=False)
def stop_drill(
    request: Request,
    drill_id: int,
    user: Viewer,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    drills.stop(session=session, drill_id=drill_id, actor=user, now=_now(request), ip=_ip(request))
    return RedirectResponse(f"/admin/policies/drills/{drill_id}?done=stopped", status_code=303)


@router.get("/admin/policies/{policy_id}", include_in_schema=False)
def policy_page(request: Request, policy_id: int, user: Viewer, session: SessionDep) -> Response:
    remember_locale(request)
    policy = service.get_policy(session=session, policy_id=policy_id)
    return _policy_page(request, session, user, policy)


# --- the form ------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    user: User,
    policy: EscalationPolicy | None,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    focus: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    reach = _reach(session, views.preview(session, values["steps"]), request)
    return render(
        request,
        "policy_form.html",
        user=user,
        policy=policy,
        values=values,
        reach=views.reach_rows(reach, _),
        errors=errors or {},
        error=error,
        focus=focus,
        schedules=service.schedule_choices(session=session),
        people=service.people_choices(session=session),
        lines=service.line_choices(session=session),
        channels=[(key, _(label)) for key, label in CHANNEL_LABELS.items()],
        max_steps=service.MAX_STEPS,
        status_code=status_code,
    )


@router.get("/admin/policies/{policy_id}/edit", include_in_schema=False)
def edit_policy_page(
    request: Request, policy_id: int, user: Admin, session: SessionDep
) -> Response:
    remember_locale(request)
    policy = service.get_policy(session=session, policy_id=policy_id)
    lines = [line.id for line in service.lines_using(session=session, policy_id=policy_id)]
    values = views.form_values(policy, [i for i in lines if i is not None])
    return _form_page(request, session, user, policy, values)


def _submit(
    request: Request,
    session: Session,
    user: User,
    policy: EscalationPolicy | None,
    form: dict[str, Any],
) -> Response:
    """Save, or apply a step button and show the form again (nothing saved)."""
    steps = views.parse_steps(form["step"], form["targets"], form["channels"], form["wait"])
    values = {
        "name": form["name"],
        "repeat": form["repeat"],
        "steps": steps,
        "line_ids": [int(i) for i in form["line_ids"] if i.isdigit() and len(i) < 10],
    }
    action = form["action"] or "save"
    if action != "save":
        values["steps"], focus = views.move(steps, action)
        return _form_page(request, session, user, policy, values, focus=focus)
    _ = translator(request, user)
    try:
        fields = service.check_policy(
            session=session,
            name=form["name"],
            repeat=form["repeat"],
            steps=steps,
            line_ids=form["line_ids"],
            policy_id=policy.id if policy else None,
        )
        saved = service.save_policy(
            session=session,
            fields=fields,
            policy=policy,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PolicyError as failure:
        errors = {key: failure.text_for(code, _) for key, code in failure.errors.items()}
        return _form_page(
            request,
            session,
            user,
            policy,
            values,
            errors=errors,
            error=failure.message(_),
            status_code=failure.status,
        )
    done = "created" if policy is None else "saved"
    return RedirectResponse(f"/admin/policies/{saved.id}?done={done}", status_code=303)


def _form(
    name: str,
    repeat: str,
    step: list[str],
    targets: list[str],
    channels: list[str],
    wait: list[str],
    line_ids: list[str],
    action: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "repeat": repeat,
        "step": step,
        "targets": targets,
        "channels": channels,
        "wait": wait,
        "line_ids": line_ids,
        "action": action,
    }


@router.post("/admin/policies", include_in_schema=False)
def create_policy(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    name: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
    step: Values = [],  # noqa: B006 - FastAPI copies defaults
    targets: Values = [],  # noqa: B006
    channels: Values = [],  # noqa: B006
    wait: Values = [],  # noqa: B006
    line_ids: Values = [],  # noqa: B006
    action: Annotated[str, Form()] = "save",
) -> Response:
    check_csrf(request, csrf_token)
    form = _form(name, repeat, step, targets, channels, wait, line_ids, action)
    return _submit(request, session, user, None, form)


@router.post("/admin/policies/{policy_id}/edit", include_in_schema=False)
def edit_policy(
    request: Request,
    policy_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    name: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
    step: Values = [],  # noqa: B006 - FastAPI copies defaults
    targets: Values = [],  # noqa: B006
    channels: Values = [],  # noqa: B006
    wait: Values = [],  # noqa: B006
    line_ids: Values = [],  # noqa: B006
    action: Annotated[str, Form()] = "save",
) -> Response:
    check_csrf(request, csrf_token)
    policy = service.get_policy(session=session, policy_id=policy_id)
    form = _form(name, repeat, step, targets, channels, wait, line_ids, action)
    return _submit(request, session, user, policy, form)


# --- delete and drill (each confirmed first) -----------------------------------------------------


def _confirm(
    request: Request,
    session: Session,
    user: User,
    policy: EscalationPolicy,
    action: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    assert policy.id is not None
    reach = _reach(session, policy.steps or [], request)
    return render(
        request,
        "policy_confirm.html",
        user=user,
        policy=policy,
        action=action,
        reach=views.reach_rows(reach, _),
        lines=[line.name for line in service.lines_using(session=session, policy_id=policy.id)],
        error=error,
        status_code=status_code,
    )


@router.post("/admin/policies/{policy_id}/delete", include_in_schema=False)
def delete_policy(
    request: Request,
    policy_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    policy = service.get_policy(session=session, policy_id=policy_id)
    _ = translator(request, user)
    try:
        if confirm != "1":
            assert policy.id is not None
            using = service.lines_using(session=session, policy_id=policy.id)
            if using:  # refused at once: nothing to confirm
                names = ", ".join(line.name for line in using)
                raise PolicyError("in_use", 409, params={"lines": names})
            return _confirm(request, session, user, policy, "delete")
        service.delete_policy(
            session=session, policy=policy, actor=user, now=_now(request), ip=_ip(request)
        )
    except PolicyError as failure:
        return _policy_page(
            request, session, user, policy, error=failure.message(_), status_code=failure.status
        )
    return RedirectResponse("/admin/policies?done=deleted", status_code=303)


@router.post("/admin/policies/{policy_id}/drill", include_in_schema=False)
def drill_policy(
    request: Request,
    policy_id: int,
    user: Viewer,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
    csrf_token: CsrfToken = None,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """ "Test this policy": it pages real people, so it is confirmed first, with who."""
    check_csrf(request, csrf_token)
    policy = service.get_policy(session=session, policy_id=policy_id)
    _ = translator(request, user)
    reach = _reach(session, policy.steps or [], request)
    if confirm != "1":
        return _confirm(request, session, user, policy, "drill")
    try:
        drill = drills.start(
            session=session,
            policy=policy,
            actor=user,
            now=_now(request),
            reaches_someone=not service.reaches_nobody(reach),
            ip=_ip(request),
        )
    except DrillError as failure:
        return _confirm(
            request,
            session,
            user,
            policy,
            "drill",
            error=failure.message(_),
            status_code=failure.status,
        )
    after.add_task(dispatcher.kick)  # the first step pages now, once this is committed
    return RedirectResponse(f"/admin/policies/drills/{drill.id}", status_code=303)


# --- the crisis team's side ----------------------------------------------------------------------


@router.get("/console/drills", include_in_schema=False)
def my_drills_page(request: Request, user: Responder, session: SessionDep) -> Response:
    """Drills that paged me and wait for my answer (the console channel of a drill)."""
    remember_locale(request)
    _ = translator(request, user)
    assert user.id is not None
    found = drills.open_for(session=session, user_id=user.id)
    names = drills.names(session=session, user_ids={d.started_by for d in found})
    return render(
        request,
        "my_drills.html",
        user=user,
        drills=[views.drill_row(d, names, _) for d in found],
        notice=_notice(request, _),
    )


@router.post("/console/drills/{drill_id}/ack", include_in_schema=False)
def acknowledge_drill(
    request: Request,
    drill_id: int,
    user: Responder,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after: BackgroundTasks,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    drills.acknowledge(
        session=session, drill_id=drill_id, user=user, now=_now(request), channel="console"
    )
    for sid in drills.calls_to_end(session=session, drill_id=drill_id):
        after.add_task(dispatcher.submit, dispatcher.end_paging_call, sid)
    return RedirectResponse("/console/drills?done=acknowledged", status_code=303)
