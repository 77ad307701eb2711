"""Users, passwords, sign-in rate limiting and the TOTP second factor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, func, select

from hotline.auth import sessions
from hotline.auth.models import (
    AttemptOutcome,
    Role,
    SignInAttempt,
    TotpRecoveryCode,
    User,
    UserCreate,
)
from hotline.auth.passwords import check_password
from hotline.clock import as_utc

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps sign-in timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")
TOTP_STEP_S = 30
TOTP_DRIFT_STEPS = 1  # accept the previous and next 30-second code too (clock drift)
RECOVERY_CODES = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(*, session: Session, data: UserCreate, now: datetime) -> User:
    user = User.model_validate(
        data,
        update={
            "password_hash": hash_password(data.password),
            "created_at": now,
            "password_changed_at": now,
        },
    )
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str, now: datetime) -> User:
    """Replace a user's password, after checking it against the rules; whoever was signed in
    with the old one is signed out everywhere."""
    check_password(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.add(user)
    session.flush()
    _end_sessions(session, user, now, "password_changed")
    return user


def _end_sessions(session: Session, user: User, now: datetime, reason: str) -> None:
    assert user.id is not None
    sessions.end_all(session=session, user_id=user.id, now=now, reason=reason)


def set_role(*, session: Session, user: User, role: Role, now: datetime) -> User:
    """Change what a user may do; their sessions end (a session never outlives its role)."""
    if user.role != role:
        user.role = role
        session.add(user)
        session.flush()
        _end_sessions(session, user, now, "role_changed")
    return user


def set_active(*, session: Session, user: User, active: bool, now: datetime) -> User:
    """Disable (signed out everywhere, cannot sign in) or enable an account."""
    user.active = active
    session.add(user)
    session.flush()
    if not active:
        _end_sessions(session, user, now, "disabled")
    return user


def get_by_username(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    user = get_by_username(session=session, username=username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


# Rate limiting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    max_failures: int
    max_failures_per_ip: int
    window: timedelta
    lockout: timedelta


def _locked_until(
    session: Session, *, where: object, limit: int, limits: Limits, now: datetime
) -> datetime | None:
    """When the lock on these attempts ends, if `limit` failures since the last success fall in
    the window and the lock-out after the latest has not passed."""
    since = now - limits.window
    last_success = session.exec(
        select(func.max(SignInAttempt.at)).where(
            where,  # type: ignore[arg-type]
            SignInAttempt.outcome == AttemptOutcome.success,
        )
    ).one()
    if last_success is not None and as_utc(last_success) > since:
        since = as_utc(last_success)
    failures = session.exec(
        select(SignInAttempt.at)
        .where(
            where,  # type: ignore[arg-type]
            SignInAttempt.outcome == AttemptOutcome.failed,
            col(SignInAttempt.at) > since,
        )
        .order_by(col(SignInAttempt.at).desc())
        .limit(limit)
    ).all()
    if len(failures) < limit:
        return None
    until = as_utc(failures[0]) + limits.lockout
    return until if until > now else None


def locked_until(
    *, session: Session, username: str, ip: str | None, limits: Limits, now: datetime
) -> datetime | None:
    """If sign-in for this username or from this address is locked now, until when."""
    ends = [
        _locked_until(
            session,
            where=SignInAttempt.username == username,
            limit=limits.max_failures,
            limits=limits,
            now=now,
        )
    ]
    if ip is not None:
        ends.append(
            _locked_until(
                session,
                where=SignInAttempt.ip == ip,
                limit=limits.max_failures_per_ip,
                limits=limits,
                now=now,
            )
        )
    found = [end for end in ends if end is not None]
    return max(found) if found else None


def record_attempt(
    *,
    session: Session,
    username: str,
    ip: str | None,
    step: str,
    outcome: AttemptOutcome,
    now: datetime,
) -> None:
    session.add(SignInAttempt(at=now, username=username[:64], ip=ip, step=step, outcome=outcome))


# TOTP -----------------------------------------------------------------------------------------


def needs_totp(user: User, roles: list[str]) -> bool:
    return user.role.value in roles


def totp_enrolled(user: User) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def start_totp_enrolment(*, session: Session, user: User) -> str:
    """The user's new (unconfirmed) secret; an unconfirmed one already made is kept, so that
    reloading the enrolment page does not invalidate what the app has just scanned."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed_at = None
        user.totp_last_step = None
        session.add(user)
        session.flush()
    assert user.totp_secret is not None
    return user.totp_secret


def provisioning_uri(*, user: User, issuer: str) -> str:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    current = int(now.timestamp()) // TOTP_STEP_S
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def verify_totp(*, session: Session, user: User, code: str, now: datetime) -> bool:
    """Check a code against the user's secret at `now`; each time step is accepted once.

    The step is claimed with a compare-and-set on the row, so the same code sent twice at once,
    to two instances, still succeeds only once.
    """
    if user.totp_secret is None or user.id is None:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    claimed = session.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            or_(col(User.totp_last_step).is_(None), col(User.totp_last_step) < step),
        )
        .values(totp_last_step=step)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


def confirm_totp(*, session: Session, user: User, code: str, now: datetime) -> bool:
    """Finish enrolment with a first valid code from the authenticator app."""
    if user.totp_secret is None or not verify_totp(session=session, user=user, code=code, now=now):
        return False
    user.totp_confirmed_at = now
    session.add(user)
    session.flush()
    return True


def _recovery_digest(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def new_recovery_codes(*, session: Session, user: User, now: datetime) -> list[str]:
    """A fresh set of one-time recovery codes, shown once; the previous set stops working."""
    assert user.id is not None
    session.execute(delete(TotpRecoveryCode).where(col(TotpRecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(
            TotpRecoveryCode(user_id=user.id, code_hash=_recovery_digest(raw), created_at=now)
        )
    session.flush()
    return codes


def recovery_codes_left(*, session: Session, user: User) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                col(TotpRecoveryCode.user_id) == user.id, col(TotpRecoveryCode.used_at).is_(None)
            )
        ).one()
    )


def use_recovery_code(*, session: Session, user: User, code: str, now: datetime) -> bool:
    """Accept an unused recovery code once (compare-and-set: never twice, even at once)."""
    if user.id is None or not totp_enrolled(user):
        return False
    used = session.execute(
        update(TotpRecoveryCode)
        .where(
            col(TotpRecoveryCode.user_id) == user.id,
            col(TotpRecoveryCode.code_hash) == _recovery_digest(code),
            col(TotpRecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def reset_totp(*, session: Session, user: User, now: datetime) -> None:
    """Forget the second factor: the user is signed out and enrols again at the next sign-in
    (whoever holds the lost phone and a session loses the session)."""
    session.execute(delete(TotpRecoveryCode).where(col(TotpRecoveryCode.user_id) == user.id))
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    session.flush()
    _end_sessions(session, user, now, "totp_reset")
