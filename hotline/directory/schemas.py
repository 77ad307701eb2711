"""JSON shapes of the taxonomy and the referral directory (`/api/admin/...`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryIn(Strict):
    """Checked field by field by `service.check_category` (errors as the pages show them)."""

    code: str
    parent_id: int | None = None
    label_zh: str
    label_en: str
    sort: int = 0
    active: bool = True


class CategoryOut(BaseModel):
    id: int
    code: str
    parent_id: int | None
    label_zh: str
    label_en: str
    sort: int
    active: bool


class ReferralIn(Strict):
    kind: str
    name: str
    phone: str = ""
    region: str = ""
    address: str = ""
    hours: str = ""
    green_channel: bool = False
    notes: str = ""
    active: bool = True


class ReferralOut(BaseModel):
    id: int
    kind: str
    name: str
    phone: str
    region: str
    address: str
    hours: str
    green_channel: bool
    notes: str
    active: bool
