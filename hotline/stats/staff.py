"""The staff part of the national report: who was on duty in the period, by profession and by
full- or part-time, their service hours, and the training held (`hotline.training.figures`).

Service hours are the time spent available, offered, on a call, in text conversations or in
wrap-up inside the period, read from the presence history (a state held when the period began
counts from its start).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.clock import as_utc
from hotline.routing.models import PresenceEvent
from hotline.stats.metrics import ON_DUTY_STATES, Scope, staff_on_duty_ids
from hotline.training.figures import training_in_period

NOT_RECORDED = ""


@dataclass
class StaffFigures:
    on_duty: int = 0
    by_profession: Counter[str] = field(default_factory=Counter)  # "" when not recorded
    by_employment: Counter[str] = field(default_factory=Counter)
    service_s: float = 0.0
    training_sessions: int = 0
    training_attendances: int = 0
    training_minutes: int = 0

    @property
    def service_hours(self) -> float:
        return round(self.service_s / 3600, 1)


def _service_seconds(session: Session, scope: Scope, user_ids: set[int]) -> float:
    """Seconds on duty inside [start, end) of these people, from their presence changes."""
    if not user_ids:
        return 0.0
    total = 0.0
    for user_id in sorted(user_ids):
        before = session.exec(
            select(PresenceEvent.state)
            .where(PresenceEvent.user_id == user_id, col(PresenceEvent.at) < scope.start)
            .order_by(col(PresenceEvent.at).desc(), col(PresenceEvent.id).desc())
            .limit(1)
        ).first()
        changes = session.exec(
            select(PresenceEvent.at, PresenceEvent.state)
            .where(
                PresenceEvent.user_id == user_id,
                col(PresenceEvent.at) >= scope.start,
                col(PresenceEvent.at) < scope.end,
            )
            .order_by(col(PresenceEvent.at), col(PresenceEvent.id))
        ).all()
        since: datetime | None = scope.start if before in ON_DUTY_STATES else None
        for at, state in changes:
            at = as_utc(at)
            if state in ON_DUTY_STATES:
                since = since or at
            elif since is not None:
                total += (at - since).total_seconds()
                since = None
        if since is not None:
            total += (scope.end - since).total_seconds()
    return total


def staff_figures(*, session: Session, scope: Scope) -> StaffFigures:
    ids = staff_on_duty_ids(session=session, scope=scope)
    figures = StaffFigures(on_duty=len(ids))
    if ids:
        for profession, employment in session.exec(
            select(User.profession, User.employment).where(col(User.id).in_(ids))
        ).all():
            figures.by_profession[profession or NOT_RECORDED] += 1
            figures.by_employment[employment or NOT_RECORDED] += 1
    figures.service_s = _service_seconds(session, scope, ids)
    zone = ZoneInfo(scope.timezone)
    training = training_in_period(
        session=session,
        start=scope.start.astimezone(zone).date(),
        end=scope.end.astimezone(zone).date(),
    )
    figures.training_sessions = len(training.sessions)
    figures.training_attendances = training.attendances
    figures.training_minutes = training.credited_minutes
    return figures
