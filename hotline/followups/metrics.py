"""The follow-up figures of the statistics (docs/domain.md section 9: follow-up completion rate)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import Session, col

from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.stats.metrics import Scope


@dataclass
class FollowUpFigures:
    due: int = 0  # due in the period, not cancelled
    completed: int = 0
    completed_on_time: int = 0
    failed: int = 0
    open: int = 0  # still scheduled (overdue if the period is over)
    cancelled: int = 0  # due in the period but cancelled: not counted in `due`

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.completed_on_time / self.due if self.due else None

    def public(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "completion_rate": self.completion_rate,
            "on_time_rate": self.on_time_rate,
        }


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def follow_up_figures(*, session: Session, scope: Scope) -> FollowUpFigures:
    """Follow-ups DUE in the period: `due_at` in [scope.start, scope.end), on the scope's line.

    - due: those not cancelled (a supervisor cancels one that should not be made, e.g. consent
      withdrawn; it is neither a success nor a failure of the service, and is counted apart);
    - completed: the caller was reached (reached, referred or declined), whenever that was;
    - completed on time: of those, reached at or before the due time;
    - failed: three unsuccessful attempts, a wrong number, or more than 48 h past due;
    - open: still scheduled when the figures are read;
    - completion rate = completed / due; on-time rate = completed on time / due.

    A follow-up counts in the period it fell due in, not the one it was created or closed in, so
    a month's rate keeps changing until its last follow-ups are closed (at most 48 h after the
    month ends). One aggregate query.
    """
    status = col(FollowUp.status)
    completed = status == FollowUpStatus.completed.value
    where = [col(FollowUp.due_at) >= scope.start, col(FollowUp.due_at) < scope.end]
    if scope.line_id is not None:
        where.append(col(FollowUp.line_id) == scope.line_id)
    row = session.execute(
        select(
            func.count().label("all"),
            _count_if(completed).label("completed"),
            _count_if(completed & (col(FollowUp.closed_at) <= col(FollowUp.due_at))).label(
                "completed_on_time"
            ),
            _count_if(status == FollowUpStatus.failed.value).label("failed"),
            _count_if(status == FollowUpStatus.scheduled.value).label("open"),
            _count_if(status == FollowUpStatus.cancelled.value).label("cancelled"),
        )
        .select_from(FollowUp)
        .where(*where)
    ).one()
    data = {key: int(value or 0) for key, value in row._mapping.items()}
    return FollowUpFigures(
        due=data["all"] - data["cancelled"],
        completed=data["completed"],
        completed_on_time=data["completed_on_time"],
        failed=data["failed"],
        open=data["open"],
        cancelled=data["cancelled"],
    )
