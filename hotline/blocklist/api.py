"""Supervisors and admins: list, add and remove blocked callers (JSON, each in the request's unit
of work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role, User
from hotline.blocklist import service as blocklist
from hotline.blocklist.models import BlockedCaller
from hotline.blocklist.schemas import BlockIn, BlockListOut, BlockOut
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.privacy import caller_hash, is_withheld

router = APIRouter(prefix="/api/blocklist", tags=["blocklist"])
Supervising = Annotated[User, Depends(RequireRole(Role.supervisor, Role.admin))]


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


@router.get("")
def list_blocked(request: Request, user: Supervising, session: SessionDep) -> BlockListOut:
    rows = blocklist.active_entries(session=session, now=_clock(request).now())
    record_request(
        request,
        action=AuditAction.view,
        object_type="blocklist",
        user=user,
        detail=f"count={len(rows)}",
        session=session,
    )
    data = [BlockOut.of(entry, author.display_name) for entry, author in rows]
    return BlockListOut(data=data, count=len(data))


@router.post("", status_code=201, dependencies=[CsrfChecked])
def add_block(body: BlockIn, request: Request, user: Supervising, session: SessionDep) -> BlockOut:
    entry = _block(body, request, user, session)
    record_request(
        request,
        action=AuditAction.edit,
        object_type="blocklist",
        object_id=entry.id,
        user=user,
        detail=f"blocked {body.duration}"
        + (f" from call {body.call_id}" if body.call_id is not None else ""),
        session=session,
    )
    return BlockOut.of(entry, user.display_name)


def _block(body: BlockIn, request: Request, user: User, session: Session) -> BlockedCaller:
    """The caller of a call, or a number, blocked."""
    settings: Settings = request.app.state.settings
    now = _clock(request).now()
    if body.call_id is not None:
        return blocklist.block_caller_of(
            session=session,
            call_id=body.call_id,
            secret=settings.secret_key,
            duration=body.duration,
            reason=body.reason,
            user=user,
            now=now,
        )
    assert body.number is not None
    return blocklist.block(
        session=session,
        # Stored as incoming calls are: any withheld ID under the one hash.
        caller_hash=caller_hash(
            settings.secret_key, "" if is_withheld(body.number) else body.number
        ),
        secret=settings.secret_key,
        duration=body.duration,
        reason=body.reason,
        user=user,
        now=now,
    )


@router.delete("/{entry_id}", dependencies=[CsrfChecked])
def remove_block(
    entry_id: int, request: Request, user: Supervising, session: SessionDep
) -> BlockOut:
    entry = blocklist.unblock(
        session=session, entry_id=entry_id, user=user, now=_clock(request).now()
    )
    record_request(
        request,
        action=AuditAction.edit,
        object_type="blocklist",
        object_id=entry_id,
        user=user,
        detail="unblocked",
        session=session,
    )
    return BlockOut.of(entry)
