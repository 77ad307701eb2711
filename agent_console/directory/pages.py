"""The referral directory (`/admin/resources`) and the note's taxonomy (`/admin/taxonomy`).

Admins only: counselors and supervisors read the active entries in the note's form. The rules
and the audit log are in `hotline.directory.service`; these routes parse forms, check the CSRF
token and render. A refused form shows the page again with the reason next to each field and a
4xx status, having changed nothing (the refusal is raised before any change). Nothing is
deleted: deactivating hides an entry from new notes and keeps old notes readable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.render import locale_of, remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.directory import choices
from hotline.directory import service as directory
from hotline.directory.service import DirectoryError
from hotline.i18n import N_
from hotline.notes.models import ChoiceKind, IssueCategory, ReferralResource
from hotline.notes.options import REFERRAL_KINDS

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
NOTICES = {
    "created": N_("Created."),
    "saved": N_("The changes were saved."),
    "deactivated": N_("Deactivated: new notes no longer offer it; old notes keep it."),
    "activated": N_("Active again: new notes offer it."),
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _errors(failure: DirectoryError, _: Callable[[str], str]) -> dict[str, str]:
    return {field: failure.text_for(code, _) for field, code in failure.errors.items()}


def _notice(request: Request, _: Callable[[str], str]) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


def _kinds(_: Callable[[str], str]) -> dict[str, str]:
    return {key: _(text) for key, text in REFERRAL_KINDS.items()}


# --- referral resources ------------------------------------------------------------------------


@router.get("/admin/resources", include_in_schema=False)
def resources_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """The directory, filtered by kind, by whether active, and by words."""
    remember_locale(request)
    _ = translator(request, user)
    kind = request.query_params.get("kind") or ""
    kind = kind if kind in REFERRAL_KINDS else ""
    active_filter = request.query_params.get("active") or ""
    active = {"yes": True, "no": False}.get(active_filter)
    search = (request.query_params.get("q") or "")[:100]
    rows = directory.list_resources(
        session=session, kind=kind or None, search=search, active=active
    )
    return render(
        request,
        "directory_resources.html",
        user=user,
        rows=rows,
        kinds=_kinds(_),
        kind_filter=kind,
        active_filter=active_filter if active is not None else "",
        search=search,
        notice=_notice(request, _),
    )


def _resource_values(resource: ReferralResource | None) -> dict[str, Any]:
    if resource is None:
        return {
            "kind": "hospital",
            "name": "",
            "phone": "",
            "region": "",
            "address": "",
            "hours": "",
            "green_channel": False,
            "notes": "",
        }
    return directory.resource_snapshot(resource) | {
        "address": resource.address,
        "notes": resource.notes,
    }


def _resource_page(
    request: Request,
    user: User,
    resource: ReferralResource | None,
    *,
    values: dict[str, Any] | None = None,
    failure: DirectoryError | None = None,
) -> Response:
    _ = translator(request, user)
    return render(
        request,
        "directory_resource.html",
        user=user,
        resource=resource,
        values=values or _resource_values(resource),
        errors=_errors(failure, _) if failure else {},
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        kinds=_kinds(_),
        status_code=failure.status if failure else 200,
    )


@router.get("/admin/resources/new", include_in_schema=False)
def new_resource_page(request: Request, user: Admin) -> Response:
    remember_locale(request)
    return _resource_page(request, user, None)


@router.get("/admin/resources/{resource_id}", include_in_schema=False)
def resource_page(request: Request, resource_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    resource = directory.get_resource(session=session, resource_id=resource_id)
    return _resource_page(request, user, resource)


def _resource_form(
    kind: str,
    name: str,
    phone: str,
    region: str,
    address: str,
    hours: str,
    green_channel: str,
    notes: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": name,
        "phone": phone,
        "region": region,
        "address": address,
        "hours": hours,
        "green_channel": green_channel == "1",
        "notes": notes,
    }


def _checked_resource(values: dict[str, Any]) -> directory.ResourceFields:
    return directory.check_resource(
        kind=values["kind"],
        name=values["name"],
        phone_number=values["phone"],
        region=values["region"],
        address=values["address"],
        hours=values["hours"],
        green_channel=values["green_channel"],
        notes=values["notes"],
    )


@router.post("/admin/resources", include_in_schema=False)
def create_resource(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    kind: Text = "",
    name: Text = "",
    phone: Text = "",
    region: Text = "",
    address: Text = "",
    hours: Text = "",
    green_channel: Text = "",
    notes: Text = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = _resource_form(kind, name, phone, region, address, hours, green_channel, notes)
    try:
        created = directory.create_resource(
            session=session,
            fields=_checked_resource(values),
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except DirectoryError as failure:
        return _resource_page(request, user, None, values=values, failure=failure)
    return RedirectResponse(f"/admin/resources/{created.id}?done=created", status_code=303)


@router.post("/admin/resources/{resource_id}", include_in_schema=False)
def edit_resource(
    request: Request,
    resource_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    kind: Text = "",
    name: Text = "",
    phone: Text = "",
    region: Text = "",
    address: Text = "",
    hours: Text = "",
    green_channel: Text = "",
    notes: Text = "",
) -> Response:
    check_csrf(request, csrf_token)
    resource = directory.get_resource(session=session, resource_id=resource_id)
    values = _resource_form(kind, name, phone, region, address, hours, green_channel, notes)
    try:
        directory.update_resource(
            session=session,
            resource=resource,
            fields=_checked_resource(values),
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except DirectoryError as failure:
        return _resource_page(request, user, resource, values=values, failure=failure)
    return RedirectResponse(f"/admin/resources/{resource_id}?done=saved", status_code=303)


@router.post("/admin/resources/{resource_id}/{action}", include_in_schema=False)
def resource_active(
    request: Request,
    resource_id: int,
    action: str,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    """`deactivate` or `activate` (anything else is not found)."""
    check_csrf(request, csrf_token)
    active = _action(action)
    resource = directory.get_resource(session=session, resource_id=resource_id)
    directory.set_resource_active(
        session=session,
        resource=resource,
        active=active,
        actor=user,
        now=_now(request),
        ip=_ip(request),
    )
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/admin/resources/{resource_id}?done={done}", status_code=303)


def _action(action: str) -> bool:
    if action not in ("activate", "deactivate"):
        raise DirectoryError("not_found", 404)
    return action == "activate"


# --- the taxonomy ------------------------------------------------------------------------------


@router.get("/admin/taxonomy", include_in_schema=False)
def taxonomy_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """The categories as a two-level tree; the population groups and the interventions."""
    remember_locale(request)
    _ = translator(request, user)
    tree = directory.category_tree(directory.list_categories(session=session))
    return render(
        request,
        "directory_taxonomy.html",
        user=user,
        tree=tree,
        zh=locale_of(request, user) == "zh_CN",
        groups=choices.list_choices(session=session, kind=ChoiceKind.population_group),
        interventions=choices.list_choices(session=session, kind=ChoiceKind.intervention),
        notice=_notice(request, _),
    )


def _category_values(category: IssueCategory | None, parent: str = "") -> dict[str, Any]:
    if category is None:
        return {"code": "", "parent_id": parent, "label_zh": "", "label_en": "", "sort": "0"}
    return {
        "code": category.code,
        "parent_id": "" if category.parent_id is None else str(category.parent_id),
        "label_zh": category.label_zh,
        "label_en": category.label_en,
        "sort": str(category.sort),
    }


def _category_page(
    request: Request,
    session: Session,
    user: User,
    category: IssueCategory | None,
    *,
    values: dict[str, Any] | None = None,
    failure: DirectoryError | None = None,
) -> Response:
    _ = translator(request, user)
    parents = [
        c for c in directory.top_level(session=session) if category is None or c.id != category.id
    ]
    return render(
        request,
        "directory_category.html",
        user=user,
        category=category,
        values=values or _category_values(category, request.query_params.get("parent", "")),
        parents=parents,
        zh=locale_of(request, user) == "zh_CN",
        errors=_errors(failure, _) if failure else {},
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


@router.get("/admin/taxonomy/new", include_in_schema=False)
def new_category_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _category_page(request, session, user, None)


@router.get("/admin/taxonomy/{category_id}", include_in_schema=False)
def category_page(request: Request, category_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    category = directory.get_category(session=session, category_id=category_id)
    return _category_page(request, session, user, category)


def _category_form(
    code: str, parent_id: str, label_zh: str, label_en: str, sort: str
) -> dict[str, Any]:
    return {
        "code": code,
        "parent_id": parent_id,
        "label_zh": label_zh,
        "label_en": label_en,
        "sort": sort,
    }


@router.post("/admin/taxonomy", include_in_schema=False)
def create_category(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    code: Text = "",
    parent_id: Text = "",
    label_zh: Text = "",
    label_en: Text = "",
    sort: Text = "0",
) -> Response:
    check_csrf(request, csrf_token)
    values = _category_form(code, parent_id, label_zh, label_en, sort)
    try:
        fields = directory.check_category(session=session, **values)
        created = directory.create_category(
            session=session, fields=fields, actor=user, now=_now(request), ip=_ip(request)
        )
    except DirectoryError as failure:
        return _category_page(request, session, user, None, values=values, failure=failure)
    return RedirectResponse(f"/admin/taxonomy/{created.id}?done=created", status_code=303)


@router.post("/admin/taxonomy/{category_id}", include_in_schema=False)
def edit_category(
    request: Request,
    category_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    parent_id: Text = "",
    label_zh: Text = "",
    label_en: Text = "",
    sort: Text = "0",
) -> Response:
    """The code is not part of the form: it never changes."""
    check_csrf(request, csrf_token)
    category = directory.get_category(session=session, category_id=category_id)
    values = _category_form(category.code, parent_id, label_zh, label_en, sort)
    try:
        fields = directory.check_category(session=session, category=category, **values)
        directory.update_category(
            session=session,
            category=category,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except DirectoryError as failure:
        return _category_page(request, session, user, category, values=values, failure=failure)
    return RedirectResponse(f"/admin/taxonomy/{category_id}?done=saved", status_code=303)


@router.post("/admin/taxonomy/{category_id}/{action}", include_in_schema=False)
def category_active(
    request: Request,
    category_id: int,
    action: str,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    """`deactivate` or `activate` (anything else is not found)."""
    check_csrf(request, csrf_token)
    active = _action(action)
    category = directory.get_category(session=session, category_id=category_id)
    directory.set_category_active(
        session=session,
        category=category,
        active=active,
        actor=user,
        now=_now(request),
        ip=_ip(request),
    )
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/admin/taxonomy/{category_id}?done={done}", status_code=303)
