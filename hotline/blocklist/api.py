"""Supervisors and admins: list, add and remove blocked callers (JSON, each in the request's unit
of work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, RequireRole
from hotline.auth.models import Role, User
from hotline.blocklist import service as blocklist
from hotline.blocklist.schemas import BlockIn, BlockListOut, BlockOut
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import SessionDep

router = APIRouter(prefix="/api/blocklist", tags=["blocklist"])
VIA = "api"
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


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("", status_code=201, dependencies=[CsrfChecked])
def add_block(body: BlockIn, request: Request, user: Supervising, session: SessionDep) -> BlockOut:
    """The caller of a call, or a number (in E.164, as incoming calls are hashed), blocked."""
    settings: Settings = request.app.state.settings
    entry = blocklist.add(
        session=session,
        secret=settings.secret_key,
        duration=body.duration,
        reason=body.reason,
        actor=user,
        now=_clock(request).now(),
        via=VIA,
        call_id=body.call_id,
        number=body.number,
        ip=_ip(request),
    )
    return BlockOut.of(entry, user.display_name)


@router.delete("/{entry_id}", dependencies=[CsrfChecked])
def remove_block(
    entry_id: int, request: Request, user: Supervising, session: SessionDep
) -> BlockOut:
    entry = blocklist.remove(
        session=session,
        entry_id=entry_id,
        actor=user,
        now=_clock(request).now(),
        via=VIA,
        ip=_ip(request),
    )
    return BlockOut.of(entry)
