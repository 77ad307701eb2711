"""Admins edit the issue taxonomy and the referral directory at run time (no deploy).

The same checks and audit rows as the pages (`service.py`); nothing is deleted: `active` false
retires an entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.directory import service as directory
from hotline.directory.schemas import CategoryIn, CategoryOut, ReferralIn, ReferralOut
from hotline.notes.models import IssueCategory

router = APIRouter(
    prefix="/api/admin", tags=["admin"], dependencies=[Depends(RequireRole(Role.admin))]
)
Admin = Annotated[User, Depends(RequireRole(Role.admin))]
VIA = "admin API"


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _category_fields(
    session: SessionDep, body: CategoryIn, category: IssueCategory | None = None
) -> directory.CategoryFields:
    return directory.check_category(
        session=session,
        code=body.code,
        parent_id=body.parent_id,
        label_zh=body.label_zh,
        label_en=body.label_en,
        sort=body.sort,
        category=category,
    )


def _referral_fields(body: ReferralIn) -> directory.ResourceFields:
    return directory.check_resource(
        kind=body.kind,
        name=body.name,
        phone_number=body.phone,
        region=body.region,
        address=body.address,
        hours=body.hours,
        green_channel=body.green_channel,
        notes=body.notes,
    )


@router.get("/categories")
def list_categories(user: Admin, session: SessionDep) -> list[CategoryOut]:
    return [
        CategoryOut.model_validate(c.model_dump())
        for c in directory.list_categories(session=session)
    ]


@router.post("/categories", status_code=201, dependencies=[CsrfChecked])
def create_category(
    body: CategoryIn, request: Request, user: Admin, session: SessionDep
) -> CategoryOut:
    now = request.app.state.clock.now()
    fields = _category_fields(session, body)
    category = directory.create_category(
        session=session, fields=fields, actor=user, now=now, via=VIA, ip=_ip(request)
    )
    if not body.active:
        directory.set_category_active(
            session=session, category=category, active=False, actor=user, now=now, via=VIA
        )
    return CategoryOut.model_validate(category.model_dump())


@router.put("/categories/{category_id}", dependencies=[CsrfChecked])
def update_category(
    category_id: int, body: CategoryIn, request: Request, user: Admin, session: SessionDep
) -> CategoryOut:
    """Categories are never deleted (old notes refer to them): set `active` false instead."""
    now = request.app.state.clock.now()
    category = directory.get_category(session=session, category_id=category_id)
    fields = _category_fields(session, body, category)
    directory.update_category(
        session=session,
        category=category,
        fields=fields,
        actor=user,
        now=now,
        via=VIA,
        ip=_ip(request),
    )
    if body.active != category.active:
        directory.set_category_active(
            session=session,
            category=category,
            active=body.active,
            actor=user,
            now=now,
            via=VIA,
            ip=_ip(request),
        )
    return CategoryOut.model_validate(category.model_dump())


@router.get("/referrals")
def list_referrals(user: Admin, session: SessionDep) -> list[ReferralOut]:
    return [
        ReferralOut.model_validate(r.model_dump())
        for r in directory.list_resources(session=session)
    ]


@router.post("/referrals", status_code=201, dependencies=[CsrfChecked])
def create_referral(
    body: ReferralIn, request: Request, user: Admin, session: SessionDep
) -> ReferralOut:
    now = request.app.state.clock.now()
    resource = directory.create_resource(
        session=session,
        fields=_referral_fields(body),
        actor=user,
        now=now,
        via=VIA,
        ip=_ip(request),
    )
    if not body.active:
        directory.set_resource_active(
            session=session, resource=resource, active=False, actor=user, now=now, via=VIA
        )
    return ReferralOut.model_validate(resource.model_dump())


@router.put("/referrals/{resource_id}", dependencies=[CsrfChecked])
def update_referral(
    resource_id: int, body: ReferralIn, request: Request, user: Admin, session: SessionDep
) -> ReferralOut:
    """Resources are never deleted (old notes refer to them): set `active` false instead."""
    now = request.app.state.clock.now()
    resource = directory.get_resource(session=session, resource_id=resource_id)
    fields = _referral_fields(body)
    directory.update_resource(
        session=session,
        resource=resource,
        fields=fields,
        actor=user,
        now=now,
        via=VIA,
        ip=_ip(request),
    )
    if body.active != resource.active:
        directory.set_resource_active(
            session=session,
            resource=resource,
            active=body.active,
            actor=user,
            now=now,
            via=VIA,
            ip=_ip(request),
        )
    return ReferralOut.model_validate(resource.model_dump())
