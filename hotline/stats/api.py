"""Statistics as JSON under /api/stats, for supervisors and admins: the page's whole data set,
the call figures by any grouping, counts by a dimension, escalations.

Every answer is written to the audit log (who, which line and period). Filters the statistics
cannot take are a `StatsError` (404 for an unknown line, else 422), answered by the error
handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequireRole
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.stats import metrics, rollup
from hotline.stats import service as stats
from hotline.stats.metrics import Bucket, Dimension, Scope
from hotline.stats.schemas import CallSeries, Counts, Escalations, Overview
from hotline.stats.service import Filters, StatsError

router = APIRouter(tags=["stats"])
REVIEWERS = (Role.supervisor, Role.admin)
Reviewer = Annotated[User, Depends(RequireRole(*REVIEWERS))]
LineQ = Annotated[str | None, Query(max_length=12)]
DayQ = Annotated[str | None, Query(max_length=10)]
BucketQ = Annotated[str | None, Query(max_length=10)]


def _answer(
    request: Request,
    session: Session,
    user: User,
    what: str,
    params: dict[str, str | None],
    compute: Callable[[Scope, Filters], dict[str, Any]],
) -> dict[str, Any]:
    """The period the query names, its figures, and the view in the audit log."""
    filters = stats.parse_filters(session=session, now=request.app.state.clock.now(), **params)
    scope = stats.scope_of(session=session, filters=filters)
    data = compute(scope, filters)
    record_request(
        request,
        action=AuditAction.view,
        object_type="statistics",
        object_id=what,
        user=user,
        detail=filters.detail(),
        session=session,
    )
    return {
        "line_id": filters.line_id,
        "start": filters.first_day,
        "end": filters.last_day,
        "bucket": filters.bucket.value,
        "timezone": scope.timezone,
        **data,
    }


@router.get("/api/stats/overview", response_model=Overview)
def api_overview(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: BucketQ = None,
) -> Overview:
    """Every figure of the statistics page for one line (or all) and period."""
    answer = _answer(
        request,
        session,
        user,
        "overview",
        {"line": line, "start": start, "end": end, "bucket": bucket},
        lambda scope, filters: stats.overview(session=session, scope=scope, bucket=filters.bucket),
    )
    return Overview.model_validate(answer)


@router.get("/api/stats/calls", response_model=CallSeries)
def api_calls(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
    bucket: BucketQ = None,
) -> CallSeries:
    """Call figures a day, week, month, quarter, hour of day (0-23), ISO weekday (1-7) or
    channel (voice, sms, webchat, wechat)."""
    if bucket is not None and bucket not in {b.value for b in Bucket}:
        raise StatsError("bad_filter")

    def compute(scope: Scope, filters: Filters) -> dict[str, Any]:
        chosen = Bucket(bucket) if bucket else filters.bucket
        figures = rollup.call_figures(session=session, scope=scope, bucket=chosen)
        return {"series": [f.public() for f in figures]}

    params = {"line": line, "start": start, "end": end, "bucket": None}
    return CallSeries.model_validate(_answer(request, session, user, "calls", params, compute))


@router.get("/api/stats/counts/{dimension}", response_model=Counts)
def api_counts(
    dimension: Dimension,
    request: Request,
    user: Reviewer,
    session: SessionDep,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
) -> Counts:
    """Calls by caller area, or submitted notes by crisis level, call type, category or group."""
    answer = _answer(
        request,
        session,
        user,
        f"counts:{dimension.value}",
        {"line": line, "start": start, "end": end, "bucket": None},
        lambda scope, _f: {
            "counts": rollup.counts_by(session=session, scope=scope, dimension=dimension)
        },
    )
    return Counts.model_validate(answer)


@router.get("/api/stats/escalations", response_model=Escalations)
def api_escalations(
    request: Request,
    user: Reviewer,
    session: SessionDep,
    line: LineQ = None,
    start: DayQ = None,
    end: DayQ = None,
) -> Escalations:
    answer = _answer(
        request,
        session,
        user,
        "escalations",
        {"line": line, "start": start, "end": end, "bucket": None},
        lambda scope, _f: {
            "escalations": metrics.escalation_figures(session=session, scope=scope).public()
        },
    )
    return Escalations.model_validate(answer)
