"""The referral figures of the statistics and the reports: referrals MADE in the period (their
`created_at` in [scope.start, scope.end)), on the scope's line, by kind, by resource and by
outcome (the status they have now). Plain columns only: never the caller's words, and a service
a counselor named (encrypted) is counted as "named by the counselor", not by its name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from hotline.notes.models import ReferralResource
from hotline.referrals.models import Referral, ReferralStatus
from hotline.stats.metrics import Scope

NAMED = ""  # the resource key of referrals to a service the counselor named


@dataclass
class ReferralFigures:
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    # resource name (NAMED for the named ones) -> count
    by_resource: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    green_sent: int = 0
    green_confirmed: int = 0

    @property
    def attended_rate(self) -> float | None:
        attended = self.by_outcome.get(ReferralStatus.attended.value, 0)
        return attended / self.total if self.total else None

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "attended_rate": self.attended_rate}


def referral_figures(*, session: Session, scope: Scope) -> ReferralFigures:
    where = [col(Referral.created_at) >= scope.start, col(Referral.created_at) < scope.end]
    if scope.line_id is not None:
        where.append(col(Referral.line_id) == scope.line_id)
    figures = ReferralFigures()
    rows = session.execute(
        select(
            col(Referral.kind),
            col(Referral.status),
            col(ReferralResource.name),
            func.count(),
            func.count(col(Referral.green_sent_at)),
            func.count(col(Referral.green_confirmed_at)),
        )
        .select_from(Referral)
        .join(
            ReferralResource,
            col(ReferralResource.id) == col(Referral.resource_id),
            isouter=True,
        )
        .where(*where)
        .group_by(col(Referral.kind), col(Referral.status), col(ReferralResource.name))
    ).all()
    for kind, status, resource, count, sent, confirmed in rows:
        outcome = status.value if isinstance(status, ReferralStatus) else str(status)
        figures.total += count
        figures.by_kind[kind] = figures.by_kind.get(kind, 0) + count
        key = resource or NAMED
        figures.by_resource[key] = figures.by_resource.get(key, 0) + count
        figures.by_outcome[outcome] = figures.by_outcome.get(outcome, 0) + count
        figures.green_sent += sent
        figures.green_confirmed += confirmed
    return figures
