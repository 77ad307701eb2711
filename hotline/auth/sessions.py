"""Server-side sign-in sessions: started at sign-in, checked on every request and socket message,
ended at sign-out, by an account change, or when idle or too old."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.auth.models import User, UserSession
from hotline.clock import as_utc

# The last-seen time is written at most this often: a busy console does not write per request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta  # ended after this long without a request or an open socket
    absolute: timedelta  # ended this long after sign-in, however active


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(*, session: Session, user: User, now: datetime) -> str:
    """A new session for `user`; the token (only in the cookie) names it."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            role=user.role,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def _ending(row: UserSession, user: User | None, now: datetime, lifetime: Lifetime) -> str | None:
    """Why this open session may no longer be used, or None."""
    if user is None or not user.active:
        return "disabled"
    if user.role != row.role:
        return "role_changed"
    if now - as_utc(row.created_at) >= lifetime.absolute:
        return "expired"
    if now - as_utc(row.last_seen_at) >= lifetime.idle:
        return "idle"
    return None


def resolve(*, session: Session, token: str, now: datetime, lifetime: Lifetime) -> User | None:
    """The user of a live session (marking it seen), or None; a session found expired is ended."""
    # One statement for both (it runs on every request and every socket's check).
    found = session.exec(
        select(UserSession, User)
        .outerjoin(User, col(User.id) == col(UserSession.user_id))
        .where(UserSession.token_hash == _digest(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None:
        return None
    reason = _ending(row, user, now, lifetime)
    if reason is not None:
        row.ended_at = now
        row.ended_reason = reason
        session.add(row)
        return None
    if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return user


def end(*, session: Session, token: str, now: datetime, reason: str = "signed_out") -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.token_hash) == _digest(token), col(UserSession.ended_at).is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


def end_all(*, session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every open session of a user (their open sockets close at their next check)."""
    ended = session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=now, ended_reason=reason)
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]
