"""Looking after accounts: what the People page (`/admin/users`) and `hotline users` share.

Plain functions taking `session` and `now`. Every change is written to the audit log in the
caller's unit of work, with the fields before and after (never a password, its hash, a TOTP
secret or a recovery code; a phone number masked to its last four digits). An admin cannot
disable or demote themselves, and nobody can disable or demote the last active admin.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlmodel import Session, col, func, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth import service as auth
from hotline.auth import sessions
from hotline.auth.models import Employment, Profession, Role, User, UserSession
from hotline.auth.passwords import PasswordRuleError, check_password
from hotline.errors import DomainError
from hotline.escalation.models import EscalationPolicy
from hotline.i18n import LOCALES, N_
from hotline.lines.models import Line
from hotline.rota import service as rota

WARN_AHEAD = timedelta(days=14)
# Text conversations one person may hold at once (the setting's own bounds).
MIN_AT_ONCE, MAX_AT_ONCE = 1, 10
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
# Password rule codes (hotline/auth/passwords.py) and their messages.
PASSWORD_MESSAGES = {
    "too_short": N_("The password needs at least 12 characters."),
    "too_long": N_("The password may have at most 256 characters."),
    "contains_username": N_("The password must not contain the username."),
    "too_common": N_("This password is too common or too simple."),
    "one_class": N_(
        "Mix two kinds of characters: lower case, upper case, digits, Chinese characters or "
        "symbols."
    ),
}


class PeopleError(DomainError):
    """A change to an account that is refused; `errors` names the form fields at fault."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "not_found": N_("There is no such user."),
        "invalid": N_("Some fields need correcting."),
        "username_required": N_("Enter a username: letters, digits and . _ @ - only."),
        "username_taken": N_("This username is already taken."),
        "display_name_required": N_("Enter the name colleagues know them by."),
        "bad_role": N_("Choose a role."),
        "bad_locale": N_("Choose a language."),
        "bad_phone": N_(
            "This is not a phone number. Enter it with its country code, e.g. +86 139 0000 1234."
        ),
        "bad_line": N_("Choose lines that exist and are active."),
        "bad_language": N_("Choose languages from the list."),
        "no_language": N_("Choose at least one language they take calls in."),
        "bad_max_conversations": N_(
            "Enter how many conversations they hold at once, from 1 to 10, or leave it empty."
        ),
        "self": N_("You cannot disable or demote your own account."),
        "last_admin": N_(
            "This is the last active administrator: make someone else an administrator first."
        ),
        "inactive": N_("This account is disabled: enable it first."),
        "bad_channel": N_("Choose SMS or a call."),
        "bad_profession": N_("Choose a profession from the list."),
        "bad_employment": N_("Choose full-time or part-time."),
        "no_phone": N_("Save a phone number for them first (not a browser client)."),
        "no_sender": N_("No active line has a number to send the code from: add a line first."),
        "too_soon": N_(
            "A code was sent less than a minute ago: wait a moment before sending another."
        ),
        "too_many_codes": N_("Five codes were sent in the last hour: try again later."),
        "code_expired": N_("No code is waiting for this phone, or it has expired: send a new one."),
        "code_wrong": N_("This is not the code that was sent. Check it and try again."),
        "code_locked": N_("Too many wrong codes: send a new one."),
        "import_problems": N_(
            "Some rows have problems now: nothing was imported. Check the file again."
        ),
        **PASSWORD_MESSAGES,
    }


@dataclass(frozen=True)
class UserFields:
    """What the form edits, checked."""

    username: str
    display_name: str
    role: Role
    locale: str
    endpoint: str
    line_ids: list[int]
    languages: list[str]
    # Text conversations held at once; None: the line's setting (`max_conversations`).
    max_conversations: int | None = None


@dataclass(frozen=True)
class HeldShift:
    schedule: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LonePolicyStep:
    policy: str
    step: int  # from 1


@dataclass(frozen=True)
class DisableWarnings:
    shifts: list[HeldShift]
    policy_steps: list[LonePolicyStep]

    def __bool__(self) -> bool:
        return bool(self.shifts or self.policy_steps)


# --- reading -----------------------------------------------------------------------------------


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise PeopleError("not_found", 404)
    return user


def list_users(
    *, session: Session, role: Role | None = None, active: bool | None = None
) -> list[User]:
    query = select(User).order_by(col(User.active).desc(), col(User.display_name), col(User.id))
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return list(session.exec(query).all())


def last_sign_ins(*, session: Session, user_ids: Iterable[int]) -> dict[int, datetime]:
    """When each user last signed in (their newest server-side session), if known."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(UserSession.user_id, func.max(UserSession.created_at))
        .where(col(UserSession.user_id).in_(ids))
        .group_by(col(UserSession.user_id))
    ).all()
    return {user_id: at for user_id, at in rows if at is not None}


def masked(endpoint: str) -> str:
    """A phone number with all but its last four digits hidden; a browser client as is."""
    if not endpoint or endpoint.startswith("client:"):
        return endpoint
    return "•" * max(0, len(endpoint) - 4) + endpoint[-4:]


def language_choices(*, session: Session) -> list[str]:
    """The caller languages a person may take: every line's, and the console's own."""
    found: list[str] = list(LOCALES)
    for languages in session.exec(select(Line.languages)).all():
        found += [lang for lang in languages or [] if lang not in found]
    return found


def line_choices(*, session: Session, keep: Iterable[int] = ()) -> list[Line]:
    """The active lines by name, and any line in `keep` (one a person already covers, since
    deactivated: unticking it must be a choice, not a side effect of saving)."""
    kept = list(keep)
    query = select(Line).order_by(col(Line.name), col(Line.id))
    if kept:
        query = query.where(col(Line.active) | col(Line.id).in_(kept))
    else:
        query = query.where(col(Line.active))
    return list(session.exec(query).all())


def line_names(*, session: Session) -> dict[int, str]:
    """Every line's name by id (deactivated ones too: a list shows what people cover)."""
    return {i: name for i, name in session.exec(select(Line.id, Line.name)).all() if i is not None}


# --- checking a form ---------------------------------------------------------------------------


def check_fields(
    *,
    session: Session,
    username: str,
    display_name: str,
    role: str,
    locale: str,
    phone_number: str,
    line_ids: Sequence[str],
    languages: Sequence[str],
    user_id: int | None = None,
    max_conversations: str = "",
) -> UserFields:
    """The form's fields checked together: every problem at once, by field (422)."""
    errors: dict[str, str] = {}
    at_once = max_conversations.strip()
    if at_once and not _valid_at_once(at_once):
        errors["max_conversations"] = "bad_max_conversations"
    username = username.strip()
    if not _USERNAME.fullmatch(username):
        errors["username"] = "username_required"
    else:
        taken = session.exec(select(User.id).where(User.username == username)).first()
        if taken is not None and taken != user_id:
            errors["username"] = "username_taken"
    display_name = display_name.strip()
    if not display_name or len(display_name) > 128:
        errors["display_name"] = "display_name_required"
    if role not in Role.__members__:
        errors["role"] = "bad_role"
    if locale not in LOCALES:
        errors["locale"] = "bad_locale"
    endpoint = phone_number.strip()
    if endpoint and not endpoint.startswith("client:"):
        endpoint = phone.to_e164(endpoint) or ""
        if not endpoint:
            errors["phone"] = "bad_phone"
    if len(endpoint) > 64:
        errors["phone"] = "bad_phone"
    lines: list[int] = []
    try:
        lines = sorted({int(i) for i in line_ids if str(i).strip()})
    except ValueError:
        errors["line_ids"] = "bad_line"
    if lines:
        existing = session.get(User, user_id) if user_id is not None else None
        current = list(existing.line_ids) if existing is not None else []
        allowed = {line.id for line in line_choices(session=session, keep=current)}
        if not set(lines) <= allowed:
            errors["line_ids"] = "bad_line"
    chosen = list(dict.fromkeys(lang for lang in languages if lang))
    if not chosen:
        errors["languages"] = "no_language"
    elif set(chosen) - set(language_choices(session=session)):
        errors["languages"] = "bad_language"
    if errors:
        raise PeopleError("invalid", errors=errors)
    return UserFields(
        username=username,
        display_name=display_name,
        role=Role(role),
        locale=locale,
        endpoint=endpoint,
        line_ids=lines,
        languages=chosen,
        max_conversations=int(at_once) if at_once else None,
    )


def _valid_at_once(text: str) -> bool:
    """Conversations held at once as typed: a whole number from 1 to 10."""
    return (
        len(text) <= 2
        and text.isascii()
        and text.isdigit()
        and MIN_AT_ONCE <= int(text) <= MAX_AT_ONCE
    )


def edited_fields(
    *,
    session: Session,
    user: User,
    display_name: str | None = None,
    phone_number: str | None = None,
    lines: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    locale: str | None = None,
) -> UserFields:
    """The account's fields with those given changed (`hotline users edit`), checked like the
    form. Lines are named by name or id, among the active ones and those already covered."""
    line_ids: list[str] = [str(i) for i in user.line_ids]
    if lines is not None:
        by_name = {line.name: line.id for line in line_choices(session=session, keep=user.line_ids)}
        line_ids = [str(by_name.get(name, name)) for name in lines]
        if not all(i.isdigit() for i in line_ids):
            raise PeopleError("invalid", errors={"line_ids": "bad_line"})
    return check_fields(
        session=session,
        username=user.username,
        display_name=user.display_name if display_name is None else display_name,
        role=user.role.value,
        locale=user.locale if locale is None else locale,
        phone_number=user.endpoint if phone_number is None else phone_number,
        line_ids=line_ids,
        languages=user.languages if languages is None else languages,
        user_id=user.id,
        max_conversations=str(user.max_conversations or ""),
    )


def _check_password(password: str, username: str) -> None:
    try:
        check_password(password, username=username)
    except PasswordRuleError as error:
        raise PeopleError(error.code, errors={"password": error.code}) from None


def temporary_password() -> str:
    """A random password that follows the rules, shown once to the admin who set it."""
    while True:
        words = [secrets.token_hex(3) for _ in range(3)]
        candidate = "-".join([*words, secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")])
        try:
            check_password(candidate)
        except PasswordRuleError:
            continue
        return candidate


# --- the audit log -----------------------------------------------------------------------------


def snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of an account: no password, hash, secret or recovery code."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "locale": user.locale,
        "phone": masked(user.endpoint),
        "phone_verified": user.phone_verified_at is not None,
        "line_ids": list(user.line_ids),
        "languages": list(user.languages),
        "max_conversations": user.max_conversations,
        "active": user.active,
        "totp": auth.totp_enrolled(user),
        "profession": user.profession,
        "employment": user.employment,
    }


def audit_change(
    session: Session,
    *,
    now: datetime,
    user: User,
    summary: str,
    before: dict[str, Any] | None,
    actor: User | None,
    via: str,
    ip: str | None,
) -> None:
    """One audit row: `summary (via)`, then the fields that changed, before and after."""
    after = snapshot(user)
    detail = f"{summary} ({via})"
    if before is not None and summary in ("created", "edited"):
        keys = [key for key in after if before.get(key) != after[key]]
        changes = {
            "before": {key: before.get(key) for key in keys},
            "after": {key: after[key] for key in keys},
        }
        if not before:  # a new account: nothing before (and the row holds 300 characters)
            del changes["before"]
        detail += ": " + json.dumps(changes, ensure_ascii=False, separators=(",", ":"))
    record(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="user",
        object_id=user.id,
        user=actor,
        detail=detail,
        ip=ip,
    )


def set_staff_record(
    *,
    session: Session,
    user: User,
    profession: str,
    employment: str,
    actor: User,
    now: datetime,
    ip: str | None,
) -> None:
    """Their profession and whether full- or part-time, as the national report counts staff;
    an empty choice clears it (not recorded)."""
    errors: dict[str, str] = {}
    if profession and profession not in Profession.__members__:
        errors["profession"] = "bad_profession"
    if employment and employment not in Employment.__members__:
        errors["employment"] = "bad_employment"
    if errors:
        raise PeopleError("invalid", errors=errors)
    before = snapshot(user)
    user.profession = profession or None
    user.employment = employment or None
    session.add(user)
    session.flush()
    audit_change(
        session, now=now, user=user, summary="edited", before=before, actor=actor, via="page", ip=ip
    )


# --- the guards --------------------------------------------------------------------------------


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                User.role == Role.admin, col(User.active).is_(True), col(User.id) != user.id
            )
        ).one()
    )


def check_may_remove_admin(*, session: Session, user: User, actor: User | None) -> None:
    """Refuse to disable or demote oneself, or the last active admin."""
    if actor is not None and actor.id == user.id:
        raise PeopleError("self", 409)
    if user.role == Role.admin and user.active and _other_active_admins(session, user) == 0:
        raise PeopleError("last_admin", 409)


# --- changes -----------------------------------------------------------------------------------


def create_user(
    *,
    session: Session,
    fields: UserFields,
    password: str | None,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> tuple[User, str | None]:
    """A new account; without a password typed, a temporary one (returned, to show once)."""
    temporary = None if password else temporary_password()
    chosen = password or temporary
    assert chosen is not None
    _check_password(chosen, fields.username)
    user = User(
        username=fields.username,
        display_name=fields.display_name,
        role=fields.role,
        locale=fields.locale,
        endpoint=fields.endpoint,
        line_ids=fields.line_ids,
        languages=fields.languages,
        max_conversations=fields.max_conversations,
        password_hash=auth.hash_password(chosen),
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    audit_change(
        session, now=now, user=user, summary="created", before={}, actor=actor, via=via, ip=ip
    )
    return user, temporary


def update_user(
    *,
    session: Session,
    user: User,
    fields: UserFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> User:
    """Save the form; a change of role ends the user's sessions (hotline.auth.service)."""
    before = snapshot(user)
    if fields.role != user.role and user.role == Role.admin:
        check_may_remove_admin(session=session, user=user, actor=actor)
    user.username = fields.username
    user.display_name = fields.display_name
    user.locale = fields.locale
    if fields.endpoint != user.endpoint:
        user.phone_verified_at = None  # a new number is not proved by the old one's code
    user.endpoint = fields.endpoint
    user.line_ids = fields.line_ids
    user.languages = fields.languages
    user.max_conversations = fields.max_conversations
    session.add(user)
    session.flush()
    auth.set_role(session=session, user=user, role=fields.role, now=now)
    audit_change(
        session, now=now, user=user, summary="edited", before=before, actor=actor, via=via, ip=ip
    )
    return user


def set_role(
    *,
    session: Session,
    user: User,
    role: Role,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> User:
    if role != user.role and user.role == Role.admin:
        check_may_remove_admin(session=session, user=user, actor=actor)
    auth.set_role(session=session, user=user, role=role, now=now)
    summary = f"role set to {role.value}"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )
    return user


def reset_password(
    *,
    session: Session,
    user: User,
    password: str | None,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> str | None:
    """A new password (typed, or a temporary one returned to show once); signed out everywhere."""
    temporary = None if password else temporary_password()
    chosen = password or temporary
    assert chosen is not None
    _check_password(chosen, user.username)
    auth.set_password(session=session, user=user, password=chosen, now=now)
    summary = "temporary password set" if temporary else "password set"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )
    return temporary


def reset_totp(
    *,
    session: Session,
    user: User,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> None:
    auth.reset_totp(session=session, user=user, now=now)
    summary = "two-step sign-in reset"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )


def sign_out_everywhere(
    *,
    session: Session,
    user: User,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> int:
    """End every session of the user (their sockets close at their next check)."""
    assert user.id is not None
    ended = sessions.end_all(
        session=session, user_id=user.id, now=now, reason="signed_out_by_admin"
    )
    summary = f"signed out everywhere ({ended} sessions)"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )
    return ended


def set_active(
    *,
    session: Session,
    user: User,
    active: bool,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> User:
    """Disable (refused for oneself and the last admin; sessions end) or enable an account."""
    if not active:
        check_may_remove_admin(session=session, user=user, actor=actor)
    auth.set_active(session=session, user=user, active=active, now=now)
    summary = "enabled" if active else "disabled"
    audit_change(
        session, now=now, user=user, summary=summary, before=None, actor=actor, via=via, ip=ip
    )
    return user


# --- what disabling leaves without anyone --------------------------------------------------------


def disable_warnings(*, session: Session, user: User, now: datetime) -> DisableWarnings:
    """The rota shifts the user holds in the next 14 days, and the escalation policy steps whose
    only target is them."""
    held: list[HeldShift] = []
    for schedule in rota.list_schedules(session=session):
        assert schedule.id is not None
        for span_start, span_end in rota.joined_spans(
            (s.start, s.end)
            for s in rota.shifts(
                session=session, schedule_id=schedule.id, start=now, end=now + WARN_AHEAD
            )
            if s.user_id == user.id
        ):
            held.append(HeldShift(schedule=schedule.name, start=span_start, end=span_end))
    held.sort(key=lambda s: (s.start, s.schedule))
    lone: list[LonePolicyStep] = []
    for policy in session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.name))):
        for number, step in enumerate(policy.steps or [], start=1):
            targets = step.get("targets") or []
            if targets and all(
                t.get("kind") == "user" and str(t.get("id")) == str(user.id) for t in targets
            ):
                lone.append(LonePolicyStep(policy=policy.name, step=number))
    return DisableWarnings(shifts=held, policy_steps=lone)
