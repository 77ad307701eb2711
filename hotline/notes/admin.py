"""Admins edit the issue taxonomy and the referral directory at run time (no deploy)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from hotline.auth.deps import CsrfChecked, require_role
from hotline.auth.models import Role
from hotline.db import Database
from hotline.notes.models import IssueCategory, ReferralResource
from hotline.notes.options import REFERRAL_KINDS

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[require_role(Role.admin)])


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.]+$")
    parent_id: int | None = None
    label_zh: str = Field(min_length=1, max_length=128)
    label_en: str = Field(min_length=1, max_length=128)
    sort: int = 0
    active: bool = True


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=64)
    region: str = Field(default="", max_length=100)
    active: bool = True


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


DatabaseDep = Annotated[Database, Depends(_db)]


def _conflict() -> HTTPException:
    return HTTPException(status_code=409, detail="a category with this code already exists")


@router.get("/categories")
def list_categories(db: DatabaseDep) -> list[dict[str, Any]]:
    with db.session() as session:
        return [
            c.model_dump()
            for c in session.exec(
                select(IssueCategory).order_by(col(IssueCategory.sort), col(IssueCategory.id))
            )
        ]


@router.post("/categories", status_code=201, dependencies=[CsrfChecked])
def create_category(body: CategoryIn, db: DatabaseDep) -> dict[str, Any]:
    try:
        with db.session() as session:
            if body.parent_id is not None:
                parent = session.get(IssueCategory, body.parent_id)
                if parent is None or parent.parent_id is not None:
                    raise HTTPException(status_code=422, detail="the parent must be top-level")
            category = IssueCategory.model_validate(body)
            session.add(category)
            session.flush()
            return category.model_dump()
    except IntegrityError as error:
        raise _conflict() from error


@router.put("/categories/{category_id}", dependencies=[CsrfChecked])
def update_category(category_id: int, body: CategoryIn, db: DatabaseDep) -> dict[str, Any]:
    """Categories are never deleted (old notes refer to them): set `active` false instead."""
    try:
        with db.session() as session:
            category = session.get(IssueCategory, category_id)
            if category is None:
                raise HTTPException(status_code=404, detail="no such category")
            category.sqlmodel_update(body.model_dump())
            session.flush()
            return category.model_dump()
    except IntegrityError as error:
        raise _conflict() from error


@router.get("/referrals")
def list_referrals(db: DatabaseDep) -> list[dict[str, Any]]:
    with db.session() as session:
        return [
            r.model_dump()
            for r in session.exec(select(ReferralResource).order_by(col(ReferralResource.id)))
        ]


def _check_kind(body: ReferralIn) -> None:
    if body.kind not in REFERRAL_KINDS:
        raise HTTPException(status_code=422, detail=f"kind must be one of {list(REFERRAL_KINDS)}")


@router.post("/referrals", status_code=201, dependencies=[CsrfChecked])
def create_referral(body: ReferralIn, db: DatabaseDep) -> dict[str, Any]:
    _check_kind(body)
    with db.session() as session:
        resource = ReferralResource.model_validate(body)
        session.add(resource)
        session.flush()
        return resource.model_dump()


@router.put("/referrals/{resource_id}", dependencies=[CsrfChecked])
def update_referral(resource_id: int, body: ReferralIn, db: DatabaseDep) -> dict[str, Any]:
    _check_kind(body)
    with db.session() as session:
        resource = session.get(ReferralResource, resource_id)
        if resource is None:
            raise HTTPException(status_code=404, detail="no such referral resource")
        resource.sqlmodel_update(body.model_dump())
        session.flush()
        return resource.model_dump()
