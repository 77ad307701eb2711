"""Supervisors and admins: list, add and remove blocked callers (JSON)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, require_role
from hotline.auth.models import Role, User
from hotline.blocklist import service as blocklist
from hotline.blocklist.models import BlockedCaller
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.i18n import gettext_for
from hotline.privacy import caller_hash, is_withheld

router = APIRouter(prefix="/api/blocklist", tags=["blocklist"])
ReviewerUser = Annotated[User, require_role(Role.supervisor, Role.admin)]


class BlockIn(BaseModel):
    """Block the caller of a call (preferred: nobody types the number) or a given number."""

    model_config = ConfigDict(extra="forbid")
    call_id: int | None = None
    number: str | None = Field(
        default=None, min_length=3, max_length=32, pattern=r"^\+?[\d\s()-]+$"
    )
    duration: blocklist.Duration
    reason: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_caller(self) -> BlockIn:
        if (self.call_id is None) == (self.number is None):
            raise ValueError("give either call_id or number")
        return self


def error_message(_: Callable[[str], str], code: str) -> str:
    return {
        "no_call": _("There is no such call."),
        "already_blocked": _("This caller is already blocked."),
        "not_found": _("There is no such block."),
        "bad_duration": _("Choose 24 hours or permanent."),
        "withheld": _(
            "This caller withheld their number; blocking it would block everyone who does."
        ),
    }.get(code, _("Something went wrong. Please try again."))


def _fail(user: User, error: blocklist.BlocklistError) -> JSONResponse:
    _ = gettext_for(user.locale)
    return JSONResponse(
        {"code": error.code, "detail": error_message(_, error.code)}, status_code=error.status
    )


def _deps(request: Request) -> tuple[Database, Clock]:
    return request.app.state.db, request.app.state.clock


def _public(entry: BlockedCaller, set_by: str | None = None) -> dict[str, Any]:
    """Never the number or its hash: the call it was set from identifies the caller to staff."""
    return {
        "id": entry.id,
        "call_id": entry.call_id,
        "permanent": entry.until is None,
        "until": entry.until.isoformat() if entry.until else None,
        "reason": entry.reason,
        "set_by": set_by,
        "set_by_id": entry.set_by_id,
        "set_at": entry.set_at.isoformat(),
        "removed_at": entry.removed_at.isoformat() if entry.removed_at else None,
    }


@router.get("")
def list_blocked(request: Request, user: ReviewerUser) -> dict[str, Any]:
    db, clock = _deps(request)
    with db.session() as session:
        rows = blocklist.active_entries(session=session, now=clock.now())
        record_request(
            request,
            action=AuditAction.view,
            object_type="blocklist",
            user=user,
            detail=f"count={len(rows)}",
            session=session,
        )
        data = [_public(entry, author.display_name) for entry, author in rows]
    return {"data": data, "count": len(data)}


@router.post("", status_code=201, dependencies=[CsrfChecked], response_model=None)
def add_block(body: BlockIn, request: Request, user: ReviewerUser) -> Response | dict[str, Any]:
    db, clock = _deps(request)
    settings: Settings = request.app.state.settings
    try:
        with db.session() as session:
            if body.call_id is not None:
                entry = blocklist.block_caller_of(
                    session=session,
                    call_id=body.call_id,
                    secret=settings.secret_key,
                    duration=body.duration,
                    reason=body.reason,
                    user=user,
                    now=clock.now(),
                )
            else:
                assert body.number is not None
                entry = blocklist.block(
                    session=session,
                    # Stored as incoming calls are: any withheld ID under the one hash.
                    caller_hash=caller_hash(
                        settings.secret_key, "" if is_withheld(body.number) else body.number
                    ),
                    secret=settings.secret_key,
                    duration=body.duration,
                    reason=body.reason,
                    user=user,
                    now=clock.now(),
                )
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
            return _public(entry, user.display_name)
    except blocklist.BlocklistError as error:
        return _fail(user, error)


@router.delete("/{entry_id}", dependencies=[CsrfChecked], response_model=None)
def remove_block(entry_id: int, request: Request, user: ReviewerUser) -> Response | dict[str, Any]:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            entry = blocklist.unblock(
                session=session, entry_id=entry_id, user=user, now=clock.now()
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
            return _public(entry)
    except blocklist.BlocklistError as error:
        return _fail(user, error)
