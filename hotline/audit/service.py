"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import User


def record(
    *,
    session: Session,
    now: datetime,
    action: AuditAction,
    object_type: str,
    object_id: str | int | None = None,
    user: User | None = None,
    username: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add one entry to the caller's unit of work, so it commits (or not) with what it records."""
    event = AuditEvent(
        at=now,
        user_id=user.id if user is not None else None,
        username=(user.username if user is not None else username),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail[:300] if detail else None,
        ip=ip,
    )
    session.add(event)
    return event


def record_request(
    request: Request,
    *,
    action: AuditAction,
    object_type: str,
    object_id: str | int | None = None,
    user: User | None = None,
    username: str | None = None,
    detail: str | None = None,
    session: Session | None = None,
) -> None:
    """Record an access made through an HTTP request, in `session` or in a unit of its own."""

    def write(into: Session) -> None:
        record(
            session=into,
            now=request.app.state.clock.now(),
            action=action,
            object_type=object_type,
            object_id=object_id,
            user=user,
            username=username,
            detail=detail,
            ip=request.client.host if request.client else None,
        )

    if session is not None:
        write(session)
        return
    with request.app.state.db.session() as own:
        write(own)


def entries(
    *,
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
    username: str | None = None,
    action: AuditAction | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> list[AuditEvent]:
    """Entries, newest first; `username` also finds failed sign-ins under a name with no user."""
    query = select(AuditEvent)
    if username:
        query = query.where(AuditEvent.username == username)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    query = query.offset(offset)
    return list(session.exec(query if limit is None else query.limit(limit)))
