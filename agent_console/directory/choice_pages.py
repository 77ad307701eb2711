"""The note's population groups and interventions (`/admin/note-choices/{kind}/...`), listed on
`/admin/taxonomy` with the issue categories.

Admins only. The rules and the audit log are in `hotline.directory.choices`; these routes parse
forms, check the CSRF token and render. A refused form shows the page again with the reason next
to each field (422), having changed nothing. Nothing is deleted: retiring hides an entry from new
notes and keeps old notes and the statistics readable.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from agent_console.directory.pages import _action, _errors, _ip, _notice, _now
from agent_console.kit.render import locale_of, remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.directory import choices
from hotline.directory.service import DirectoryError
from hotline.i18n import N_
from hotline.notes.models import ChoiceKind, NoteChoice

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
BASE = "/admin/note-choices"
TITLES = {
    ChoiceKind.population_group: (N_("Population group"), N_("New population group")),
    ChoiceKind.intervention: (N_("Intervention"), N_("New intervention")),
}


def _values(choice: NoteChoice | None) -> dict[str, Any]:
    if choice is None:
        return {"code": "", "label_zh": "", "label_en": "", "sort": "0"}
    return {
        "code": choice.code,
        "label_zh": choice.label_zh,
        "label_en": choice.label_en,
        "sort": str(choice.sort),
    }


def _page(
    request: Request,
    user: User,
    kind: ChoiceKind,
    choice: NoteChoice | None,
    *,
    values: dict[str, Any] | None = None,
    failure: DirectoryError | None = None,
) -> Response:
    _ = translator(request, user)
    title, new_title = TITLES[kind]
    return render(
        request,
        "directory_choice.html",
        user=user,
        kind=kind.value,
        kind_title=_(title),
        new_title=_(new_title),
        choice=choice,
        values=values or _values(choice),
        zh=locale_of(request, user) == "zh_CN",
        errors=_errors(failure, _) if failure else {},
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


@router.get(BASE + "/{kind}/new", include_in_schema=False)
def new_choice_page(request: Request, kind: str, user: Admin) -> Response:
    remember_locale(request)
    return _page(request, user, choices.kind_of(kind), None)


@router.get(BASE + "/{kind}/{choice_id}", include_in_schema=False)
def choice_page(
    request: Request, kind: str, choice_id: int, user: Admin, session: SessionDep
) -> Response:
    remember_locale(request)
    found = choices.kind_of(kind)
    choice = choices.get_choice(session=session, kind=found, choice_id=choice_id)
    return _page(request, user, found, choice)


@router.post(BASE + "/{kind}", include_in_schema=False)
def create_choice(
    request: Request,
    kind: str,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    code: Text = "",
    label_zh: Text = "",
    label_en: Text = "",
    sort: Text = "0",
) -> Response:
    check_csrf(request, csrf_token)
    found = choices.kind_of(kind)
    values = {"code": code, "label_zh": label_zh, "label_en": label_en, "sort": sort}
    try:
        fields = choices.check_choice(
            session=session, kind=found, code=code, label_zh=label_zh, label_en=label_en, sort=sort
        )
        created = choices.create_choice(
            session=session,
            kind=found,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except DirectoryError as failure:
        return _page(request, user, found, None, values=values, failure=failure)
    return RedirectResponse(f"{BASE}/{kind}/{created.id}?done=created", status_code=303)


@router.post(BASE + "/{kind}/{choice_id}", include_in_schema=False)
def edit_choice(
    request: Request,
    kind: str,
    choice_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    label_zh: Text = "",
    label_en: Text = "",
    sort: Text = "0",
) -> Response:
    """Rename or reorder; the code is not part of the form: it never changes."""
    check_csrf(request, csrf_token)
    found = choices.kind_of(kind)
    choice = choices.get_choice(session=session, kind=found, choice_id=choice_id)
    values = {"code": choice.code, "label_zh": label_zh, "label_en": label_en, "sort": sort}
    try:
        fields = choices.check_choice(
            session=session,
            kind=found,
            code=choice.code,
            label_zh=label_zh,
            label_en=label_en,
            sort=sort,
            choice=choice,
        )
        choices.update_choice(
            session=session,
            choice=choice,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except DirectoryError as failure:
        return _page(request, user, found, choice, values=values, failure=failure)
    return RedirectResponse(f"{BASE}/{kind}/{choice_id}?done=saved", status_code=303)


@router.post(BASE + "/{kind}/{choice_id}/{action}", include_in_schema=False)
def choice_active(
    request: Request,
    kind: str,
    choice_id: int,
    action: str,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    """`deactivate` (retire) or `activate` (anything else is not found)."""
    check_csrf(request, csrf_token)
    active = _action(action)
    found = choices.kind_of(kind)
    choice = choices.get_choice(session=session, kind=found, choice_id=choice_id)
    choices.set_choice_active(
        session=session,
        choice=choice,
        active=active,
        actor=user,
        now=_now(request),
        ip=_ip(request),
    )
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"{BASE}/{kind}/{choice_id}?done={done}", status_code=303)
