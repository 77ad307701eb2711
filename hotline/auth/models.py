"""People who sign in: counselors, crisis workers, supervisors, admins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import JSON, Field, SQLModel

from hotline.models_base import StrEnumType, UTCDateTime


class Role(StrEnum):
    counselor = "counselor"
    crisis = "crisis"
    supervisor = "supervisor"
    admin = "admin"


class UserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=128)
    role: Role = Field(default=Role.counselor, sa_type=StrEnumType(Role))
    locale: str = Field(default="zh_CN", max_length=8)
    # Where the phone network reaches this person: "+86..." or "client:<identity>".
    endpoint: str = Field(default="", max_length=64)
    # Skills used for routing: the lines and caller languages this person takes.
    line_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    languages: list[str] = Field(default_factory=lambda: ["zh_CN"], sa_type=JSON)
    active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=256)
    created_at: datetime = Field(sa_type=UTCDateTime)


class UserCreate(UserBase):
    password: str = Field(min_length=10, max_length=256)


class UserPublic(UserBase):
    id: int
