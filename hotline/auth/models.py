"""People who sign in: counselors, crisis workers, supervisors, admins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator, model_validator
from sqlmodel import JSON, Field, SQLModel

from hotline import phone
from hotline.auth.passwords import check_password
from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class Role(StrEnum):
    counselor = "counselor"
    crisis = "crisis"
    supervisor = "supervisor"
    admin = "admin"


class Profession(StrEnum):
    """The professions the national monthly report counts staff by."""

    psychiatrist = "psychiatrist"
    nurse = "nurse"
    psychotherapist = "psychotherapist"
    counselor = "counselor"
    social_worker = "social_worker"
    volunteer = "volunteer"
    other = "other"


class Employment(StrEnum):
    full_time = "full_time"
    part_time = "part_time"


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
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret, encrypted; set but unconfirmed
    # during enrolment. The last accepted time step: a code is accepted once, never replayed.
    totp_secret: str | None = Field(default=None, sa_type=EncryptedText)
    totp_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None
    # Made by `hotline demo`, whose password is public: production refuses to start while one
    # can still sign in (`hotline remove-demo`), and the demo never seeds next to other accounts.
    demo: bool = False
    # When the person proved the phone in `endpoint` is theirs (a code sent to it and typed
    # back); cleared whenever `endpoint` changes.
    phone_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The staff record the national report counts (None: not recorded yet).
    profession: str | None = Field(default=None, max_length=32)
    employment: str | None = Field(default=None, max_length=16)
    # How many text conversations this person holds at once (None: the line's setting,
    # `max_conversations`).
    max_conversations: int | None = None


class UserCreate(UserBase):
    password: str = Field(max_length=256)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_e164(cls, value: str) -> str:
        """A phone number in E.164 (SMS replies are matched on it); a browser client as is."""
        if not value or value.startswith("client:"):
            return value
        return phone.e164_or_error(value)

    @model_validator(mode="after")
    def _password_rules(self) -> UserCreate:
        check_password(self.password, username=self.username)
        return self


class UserPublic(UserBase):
    id: int


class AttemptOutcome(StrEnum):
    success = "success"
    failed = "failed"  # wrong password or code (or no such user: indistinguishable)
    locked = "locked"  # refused without checking: too many recent failures


class SignInAttempt(SQLModel, table=True):
    """One sign-in step tried (password or second factor): what rate limiting counts.

    Kept in the database so every app instance sees the same counts. Rows are about the
    username typed, which may not exist: lock-out never tells whether it does.
    """

    __tablename__ = "sign_in_attempts"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    username: str = Field(max_length=64, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    step: str = Field(max_length=16)  # "password" | "totp"
    outcome: AttemptOutcome = Field(sa_type=StrEnumType(AttemptOutcome))


class TotpRecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the authenticator app (a lost phone). Only its
    SHA-256 is kept: 40 random bits, and guessing counts towards the sign-in lock-out."""

    __tablename__ = "totp_recovery_codes"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries only a random token; the server keeps its
    SHA-256, so a session can be ended (sign-out, a password or role change, a disabled account)
    and expires when idle or too old, whatever the cookie says."""

    __tablename__ = "user_sessions"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # The role signed in with: a session never outlives a change of role, however made.
    role: Role = Field(sa_type=StrEnumType(Role))
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=32)


class PhoneVerification(SQLModel, table=True):
    """A code sent by SMS or a call to prove a user's phone. Only its argon2 hash is kept; it
    is good for the number it went to, until `expires_at`, and for a few attempts."""

    __tablename__ = "phone_verifications"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    phone: str = Field(max_length=64)
    channel: str = Field(max_length=8)  # "sms" | "voice"
    code_hash: str = Field(max_length=256)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
