"""Admins edit the issue taxonomy and the referral directory at run time (no deploy)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role
from hotline.db import SessionDep
from hotline.notes import service as notes
from hotline.notes.schemas import CategoryIn, CategoryOut, ReferralIn, ReferralOut

router = APIRouter(
    prefix="/api/admin", tags=["admin"], dependencies=[Depends(RequireRole(Role.admin))]
)


@router.get("/categories")
def list_categories(session: SessionDep) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c.model_dump()) for c in notes.categories(session=session)]


@router.post("/categories", status_code=201, dependencies=[CsrfChecked])
def create_category(body: CategoryIn, session: SessionDep) -> CategoryOut:
    category = notes.create_category(session=session, fields=body)
    return CategoryOut.model_validate(category.model_dump())


@router.put("/categories/{category_id}", dependencies=[CsrfChecked])
def update_category(category_id: int, body: CategoryIn, session: SessionDep) -> CategoryOut:
    """Categories are never deleted (old notes refer to them): set `active` false instead."""
    category = notes.update_category(session=session, category_id=category_id, fields=body)
    return CategoryOut.model_validate(category.model_dump())


@router.get("/referrals")
def list_referrals(session: SessionDep) -> list[ReferralOut]:
    return [ReferralOut.model_validate(r.model_dump()) for r in notes.referrals(session=session)]


@router.post("/referrals", status_code=201, dependencies=[CsrfChecked])
def create_referral(body: ReferralIn, session: SessionDep) -> ReferralOut:
    resource = notes.create_referral(session=session, fields=body)
    return ReferralOut.model_validate(resource.model_dump())


@router.put("/referrals/{resource_id}", dependencies=[CsrfChecked])
def update_referral(resource_id: int, body: ReferralIn, session: SessionDep) -> ReferralOut:
    resource = notes.update_referral(session=session, resource_id=resource_id, fields=body)
    return ReferralOut.model_validate(resource.model_dump())
