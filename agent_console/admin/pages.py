"""The People page (`/admin/users`): admins list, create and edit accounts, set passwords, reset
the second factor, sign people out everywhere, disable and enable them, and verify their phone
(a code sent by SMS or a call, `hotline.auth.verification`). The bulk import is in
`import_pages.py`.

The rules and the audit log are in `hotline.auth.admin` (shared with `hotline users`); these
routes parse forms, check the CSRF token and render. A refused form shows the page again with the
reason next to the field and a 4xx status, having changed nothing (the refusal is raised before
any change, so the request's unit of work commits nothing). Dangerous actions (a new password, a
TOTP reset, signing out everywhere, disabling) first show a confirmation page; only a second POST
with `confirm=1` acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth import admin as people
from hotline.auth import service as auth
from hotline.auth import verification
from hotline.auth.admin import PeopleError
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.auth.professions import EMPLOYMENT_LABELS, PROFESSION_LABELS
from hotline.db import SessionDep
from hotline.i18n import N_
from hotline.training import service as training

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Confirm = Annotated[str, Form()]
ROLE_LABELS = {
    Role.counselor.value: N_("Counselor"),
    Role.crisis.value: N_("Crisis worker"),
    Role.supervisor.value: N_("Supervisor"),
    Role.admin.value: N_("Administrator"),
}
LANGUAGE_LABELS = {"zh_CN": "中文", "en": "English"}
NOTICES = {
    "created": N_("The account was created."),
    "saved": N_("The changes were saved."),
    "password": N_("The new password was set; they were signed out everywhere."),
    "totp": N_("Two-step sign-in was reset; they enrol again at their next sign-in."),
    "signed_out": N_("They were signed out everywhere."),
    "disabled": N_("The account was disabled and signed out everywhere."),
    "enabled": N_("The account was enabled."),
    "code_sms": N_("A code was sent by SMS. Enter it below when they read it to you."),
    "code_voice": N_("They are being called with a code. Enter it below when they tell you."),
    "verified": N_("The phone was verified."),
}
# Each confirmed action: its question and its button.
ACTIONS = {
    "password": (N_("Set a new password for %(name)s?"), N_("Set the password")),
    "totp": (N_("Reset two-step sign-in for %(name)s?"), N_("Reset two-step sign-in")),
    "sign-out": (N_("Sign %(name)s out everywhere?"), N_("Sign out everywhere")),
    "disable": (N_("Disable the account of %(name)s?"), N_("Disable the account")),
}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _labels(_: Callable[[str], str]) -> dict[str, Any]:
    return {
        "roles": {key: _(text) for key, text in ROLE_LABELS.items()},
        "languages": LANGUAGE_LABELS,
    }


def training_hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _errors(failure: PeopleError, _: Callable[[str], str]) -> dict[str, str]:
    return {field: failure.text_for(code, _) for field, code in failure.errors.items()}


# --- the list ----------------------------------------------------------------------------------


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """Everyone, filtered by role and by whether the account is active."""
    remember_locale(request)
    _ = translator(request, user)
    role_filter = request.query_params.get("role") or ""
    active_filter = request.query_params.get("active") or ""
    role = Role(role_filter) if role_filter in Role.__members__ else None
    active = {"yes": True, "no": False}.get(active_filter)
    users = people.list_users(session=session, role=role, active=active)
    signed_in = people.last_sign_ins(
        session=session, user_ids=[u.id for u in users if u.id is not None]
    )
    line_names = people.line_names(session=session)
    unsigned = training.unsigned_this_year(session=session, now=_now(request))
    rows = [
        {
            "id": u.id,
            "display_name": u.display_name,
            "username": u.username,
            "role": u.role.value,
            "active": u.active,
            "lines": [line_names.get(i, f"#{i}") for i in u.line_ids],
            "languages": u.languages,
            "phone": people.masked(u.endpoint),
            "phone_verified": verification.is_verified(u)
            if verification.is_phone(u.endpoint)
            else None,
            "totp": auth.totp_enrolled(u),
            "last_sign_in": _when(signed_in.get(u.id or 0)),
            # Shown, not enforced (an unsigned counselor still takes calls).
            "ethics_unsigned": (u.id in unsigned) if u.role in training.STAFF_ROLES else None,
        }
        for u in users
    ]
    return render(
        request,
        "admin_users.html",
        user=user,
        rows=rows,
        role_filter=role.value if role else "",
        active_filter=active_filter if active is not None else "",
        labels=_labels(_),
        notice=_(NOTICES[request.query_params.get("done", "")])
        if request.query_params.get("done") in NOTICES
        else None,
    )


# --- the form ----------------------------------------------------------------------------------


def _form_values(target: User | None) -> dict[str, Any]:
    if target is None:
        return {
            "username": "",
            "display_name": "",
            "role": Role.counselor.value,
            "locale": "zh_CN",
            "phone": "",
            "line_ids": [],
            "languages": ["zh_CN"],
            "max_conversations": "",
        }
    return {
        "username": target.username,
        "display_name": target.display_name,
        "role": target.role.value,
        "locale": target.locale,
        "phone": target.endpoint,
        "line_ids": list(target.line_ids),
        "languages": list(target.languages),
        "max_conversations": str(target.max_conversations or ""),
    }


def _user_page(
    request: Request,
    session: Session,
    user: User,
    target: User | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    temporary_password: str | None = None,
    status_code: int = 200,
) -> Response:
    """The form (a new account when `target` is None) and, for an account, its actions."""
    _ = translator(request, user)
    done = request.query_params.get("done") or ""
    return render(
        request,
        "admin_user.html",
        user=user,
        target=target,
        values=values or _form_values(target),
        errors=errors or {},
        error=error,
        notice=_(NOTICES[done]) if done in NOTICES else None,
        temporary_password=temporary_password,
        totp_enrolled=auth.totp_enrolled(target) if target is not None else False,
        phone_verified=_when(target.phone_verified_at)
        if target is not None and verification.is_verified(target)
        else "",
        has_phone=target is not None and verification.is_phone(target.endpoint),
        training_record=training.person_record(
            session=session, user_id=target.id or 0, now=_now(request)
        )
        if target is not None and target.id is not None
        else None,
        training_hours=training_hours,
        profession_labels=PROFESSION_LABELS,
        employment_labels=EMPLOYMENT_LABELS,
        roles=list(ROLE_LABELS),
        locales=list(LANGUAGE_LABELS),
        lines=people.line_choices(
            session=session, keep=target.line_ids if target is not None else ()
        ),
        languages=people.language_choices(session=session),
        default_conversations=request.app.state.settings.max_conversations,
        labels=_labels(_),
        status_code=status_code,
    )


def _temporary_password_page(
    request: Request, session: Session, user: User, target: User, temporary: str
) -> Response:
    """The account's page with its temporary password, shown once: never stored in the clear,
    not a redirect (the page must not be reloadable) and not cached."""
    response = _user_page(request, session, user, target, temporary_password=temporary)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/users/new", include_in_schema=False)
def new_user_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _user_page(request, session, user, None)


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(request: Request, user_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    target = people.get_user(session=session, user_id=user_id)
    return _user_page(request, session, user, target)


def _submitted(
    username: str,
    display_name: str,
    role: str,
    locale: str,
    phone: str,
    line_ids: list[str],
    languages: list[str],
    max_conversations: str,
) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": display_name,
        "role": role,
        "locale": locale,
        "phone": phone,
        "line_ids": [int(i) for i in line_ids if i.isdigit()],
        "languages": languages,
        "max_conversations": max_conversations,
    }


@router.post("/admin/users", include_in_schema=False)
def create_user(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    line_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
    max_conversations: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """A new account; without a password typed, a temporary one shown once on the next page."""
    check_csrf(request, csrf_token)
    values = _submitted(
        username, display_name, role, locale, phone, line_ids, languages, max_conversations
    )
    _ = translator(request, user)
    try:
        fields = people.check_fields(
            session=session,
            username=username,
            display_name=display_name,
            role=role,
            locale=locale,
            phone_number=phone,
            line_ids=line_ids,
            languages=languages,
            max_conversations=max_conversations,
        )
        created, temporary = people.create_user(
            session=session,
            fields=fields,
            password=password or None,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        return _user_page(
            request,
            session,
            user,
            None,
            values=values,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    if temporary is None:
        return RedirectResponse(f"/admin/users/{created.id}?done=created", status_code=303)
    return _temporary_password_page(request, session, user, created, temporary)


@router.post("/admin/users/{user_id}", include_in_schema=False)
def edit_user(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    line_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
    max_conversations: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    values = _submitted(
        username, display_name, role, locale, phone, line_ids, languages, max_conversations
    )
    _ = translator(request, user)
    try:
        fields = people.check_fields(
            session=session,
            username=username,
            display_name=display_name,
            role=role,
            locale=locale,
            phone_number=phone,
            line_ids=line_ids,
            languages=languages,
            user_id=target.id,
            max_conversations=max_conversations,
        )
        people.update_user(
            session=session,
            user=target,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        return _user_page(
            request,
            session,
            user,
            target,
            values=values,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)


# --- actions -----------------------------------------------------------------------------------


def _confirm_page(
    request: Request,
    session: Session,
    user: User,
    target: User,
    action: str,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    question, button = ACTIONS[action]
    warnings = (
        people.disable_warnings(session=session, user=target, now=_now(request))
        if action == "disable"
        else None
    )
    return render(
        request,
        "admin_user_confirm.html",
        user=user,
        target=target,
        action=action,
        question=_(question) % {"name": target.display_name},
        button=_(button),
        warnings=warnings,
        when=_when,
        error=error,
        errors=errors or {},
        status_code=status_code,
    )


def _refused(
    request: Request, session: Session, user: User, target: User, failure: PeopleError
) -> Response:
    _ = translator(request, user)
    return _user_page(
        request,
        session,
        user,
        target,
        error=failure.message(_),
        status_code=failure.status,
    )


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
def reset_password(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Confirm = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """A password typed by the admin (checked against the rules), or a temporary one shown once."""
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    if confirm != "1":
        return _confirm_page(request, session, user, target, "password")
    try:
        temporary = people.reset_password(
            session=session,
            user=target,
            password=password or None,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        _ = translator(request, user)
        return _confirm_page(
            request,
            session,
            user,
            target,
            "password",
            error=failure.message(_),
            errors=_errors(failure, _),
            status_code=failure.status,
        )
    if temporary is None:
        return RedirectResponse(f"/admin/users/{user_id}?done=password", status_code=303)
    return _temporary_password_page(request, session, user, target, temporary)


@router.post("/admin/users/{user_id}/totp", include_in_schema=False)
def reset_totp(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Confirm = "",
) -> Response:
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    if confirm != "1":
        return _confirm_page(request, session, user, target, "totp")
    people.reset_totp(session=session, user=target, actor=user, now=_now(request), ip=_ip(request))
    return RedirectResponse(f"/admin/users/{user_id}?done=totp", status_code=303)


@router.post("/admin/users/{user_id}/staff-record", include_in_schema=False)
def save_staff_record(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    profession: Annotated[str, Form(max_length=32)] = "",
    employment: Annotated[str, Form()] = "",
) -> Response:
    """Profession and full- or part-time, as the national report counts staff."""
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    try:
        people.set_staff_record(
            session=session,
            user=target,
            profession=profession,
            employment=employment,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        _ = translator(request, user)
        return _user_page(
            request,
            session,
            user,
            target,
            errors=_errors(failure, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)


@router.post("/admin/users/{user_id}/sign-out", include_in_schema=False)
def sign_out_everywhere(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Confirm = "",
) -> Response:
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    if confirm != "1":
        return _confirm_page(request, session, user, target, "sign-out")
    people.sign_out_everywhere(
        session=session, user=target, actor=user, now=_now(request), ip=_ip(request)
    )
    return RedirectResponse(f"/admin/users/{user_id}?done=signed_out", status_code=303)


@router.post("/admin/users/{user_id}/disable", include_in_schema=False)
def disable_user(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    confirm: Confirm = "",
) -> Response:
    """Disable: first the confirmation with the shifts and policy steps it leaves without them."""
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    try:
        people.check_may_remove_admin(session=session, user=target, actor=user)
        if confirm != "1":
            return _confirm_page(request, session, user, target, "disable")
        people.set_active(
            session=session,
            user=target,
            active=False,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        return _refused(request, session, user, target, failure)
    return RedirectResponse(f"/admin/users/{user_id}?done=disabled", status_code=303)


@router.post("/admin/users/{user_id}/enable", include_in_schema=False)
def enable_user(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    people.set_active(
        session=session, user=target, active=True, actor=user, now=_now(request), ip=_ip(request)
    )
    return RedirectResponse(f"/admin/users/{user_id}?done=enabled", status_code=303)


# --- phone verification ------------------------------------------------------------------------


@router.post("/admin/users/{user_id}/phone/send", include_in_schema=False)
def send_phone_code(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    background: BackgroundTasks,
    csrf_token: CsrfToken = None,
    channel: Annotated[str, Form()] = "",
) -> Response:
    """A code to the person's phone by SMS or a call, sent once this request has committed."""
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    try:
        message = verification.send_code(
            session=session,
            user=target,
            channel=channel,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except PeopleError as failure:
        return _refused(request, session, user, target, failure)
    background.add_task(verification.deliver, request.app.state.telephony, message)
    return RedirectResponse(f"/admin/users/{user_id}?done=code_{channel}", status_code=303)


@router.post("/admin/users/{user_id}/phone/verify", include_in_schema=False)
def verify_phone(
    request: Request,
    user_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    code: Annotated[str, Form()] = "",
) -> Response:
    """The code they received, typed by the admin on their behalf. A wrong code is answered
    without raising, so that the attempt it used is committed."""
    check_csrf(request, csrf_token)
    target = people.get_user(session=session, user_id=user_id)
    failure = verification.check_code(
        session=session, user=target, code=code, actor=user, now=_now(request), ip=_ip(request)
    )
    if failure is None:
        return RedirectResponse(f"/admin/users/{user_id}?done=verified", status_code=303)
    _ = translator(request, user)
    return _user_page(
        request,
        session,
        user,
        target,
        errors=_errors(failure, _),
        status_code=failure.status,
    )
