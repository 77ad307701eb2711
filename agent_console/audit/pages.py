"""The audit log for admins: a filtered, paged page and its CSV export (itself audited).

The export is this page's download (its filters, its labels), so it lives here with the page; like
the page, it sends a browser without a session to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction, AuditEvent
from hotline.audit.service import entries, record_request
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import Role, User
from hotline.csv_export import csv_response
from hotline.db import SessionDep
from hotline.i18n import Gettext

router = APIRouter(tags=["audit"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Filters:
    since: date | None
    until: date | None  # inclusive: the whole day
    username: str | None
    action: AuditAction | None

    @property
    def since_at(self) -> datetime | None:
        return None if self.since is None else datetime.combine(self.since, time(), UTC)

    @property
    def until_at(self) -> datetime | None:
        if self.until is None:
            return None
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)

    def query(self, **extra: str | int) -> str:
        values: dict[str, str | int] = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "user": self.username or "",
            "action": self.action.value if self.action else "",
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def describe(self) -> str:
        """For the audit entry of this view or export: the filter, nothing else."""
        return self.query() or "all"


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise HTTPException(status_code=422, detail="dates look like 2026-11-23") from None


def filters(
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
) -> Filters:
    chosen: AuditAction | None = None
    if action:
        try:
            chosen = AuditAction(action)
        except ValueError:
            raise HTTPException(status_code=422, detail="unknown action") from None
    return Filters(
        since=_parse_date(since),
        until=_parse_date(until),
        username=(user or "").strip() or None,
        action=chosen,
    )


FiltersDep = Annotated[Filters, Depends(filters)]


def action_labels(_: Gettext) -> dict[str, str]:
    return {
        AuditAction.view: _("View"),
        AuditAction.export: _("Export"),
        AuditAction.edit: _("Edit"),
        AuditAction.sign_in: _("Sign-in"),
        AuditAction.sign_in_failed: _("Failed sign-in"),
        AuditAction.sign_out: _("Sign-out"),
    }


def _rows(session: Session, chosen: Filters, *, limit: int | None, offset: int) -> list[AuditEvent]:
    return entries(
        session=session,
        since=chosen.since_at,
        until=chosen.until_at,
        username=chosen.username,
        action=chosen.action,
        limit=limit,
        offset=offset,
    )


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request,
    user: Admin,
    chosen: FiltersDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    remember_locale(request)
    rows = _rows(session, chosen, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    has_next = len(rows) > PAGE_SIZE
    record_request(
        request,
        action=AuditAction.view,
        object_type="audit_log",
        user=user,
        detail=f"{chosen.describe()} page={page}",
        session=session,
    )
    _ = translator(request, user)
    return render(
        request,
        "audit.html",
        user=user,
        rows=rows[:PAGE_SIZE],
        filters=chosen,
        page=page,
        prev_url=f"/admin/audit?{chosen.query(page=page - 1)}" if page > 1 else None,
        next_url=f"/admin/audit?{chosen.query(page=page + 1)}" if has_next else None,
        export_url=f"/admin/audit.csv?{chosen.query()}",
        actions=action_labels(_),
    )


@router.get("/admin/audit.csv", include_in_schema=False)
def audit_export(
    request: Request, user: Admin, chosen: FiltersDep, session: SessionDep
) -> Response:
    rows = _rows(session, chosen, limit=EXPORT_LIMIT, offset=0)
    _ = translator(request, user)
    labels = action_labels(_)
    header = [
        _("Time (UTC)"),
        _("User"),
        _("Action"),
        _("Action code"),
        _("Object"),
        _("Object id"),
        _("Detail"),
        _("Address"),
    ]
    lines = [
        [
            row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            row.username,
            labels.get(row.action, row.action),
            row.action.value,
            row.object_type,
            row.object_id,
            row.detail,
            row.ip,
        ]
        for row in rows
    ]
    record_request(
        request,
        action=AuditAction.export,
        object_type="audit_log",
        user=user,
        detail=f"csv {chosen.describe()} rows={len(rows)}",
        session=session,
    )
    return csv_response("audit-log", header, lines, now=request.app.state.clock.now())
