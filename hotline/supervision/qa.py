"""QA over time: each line's sampling rule, the contacts it marks for review, what is overdue,
and each counselor's review scores by month (from `hotline.review`'s QA reviews).

A contact is sampled when it was high risk (and the rule says every high-risk one), or when the
hash of the rule's seed and the call id falls in the rule's share: the same calls stay marked
however often the page is read, and a test can say which ones they are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.clock import as_utc
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.models import CallNote
from hotline.review.models import QA_CRITERIA, CallReview
from hotline.supervision.models import QaSamplingRule

HIGH_RISK = ("high", "imminent")
BUCKETS = 10_000  # the share is chosen to 0.01 %
LOOK_BACK_DAYS = 90  # contacts older than this are not listed as sampled or overdue
TREND_MONTHS = 6


class QaError(DomainError):
    status = 422
    messages = {
        "invalid": N_("Please correct the fields marked below."),
        "bad_percent": N_("The share is a number from 0 to 100."),
        "bad_days": N_("The days to review are a whole number from 1 to 90."),
        "no_line": N_("There is no such line."),
    }
    fallback = N_("Something went wrong. Please try again.")


def bucket(seed: str, call_id: int) -> int:
    """Where a call falls in [0, BUCKETS): a hash, so it is spread evenly and never changes."""
    digest = hashlib.sha256(f"{seed}:{call_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def is_sampled(rule: QaSamplingRule, call_id: int, level: str | None) -> bool:
    if rule.every_high_risk and level in HIGH_RISK:
        return True
    return bucket(rule.seed, call_id) < round(rule.percent * BUCKETS / 100)


def rules(*, session: Session) -> list[tuple[Line, QaSamplingRule | None]]:
    found = {r.line_id: r for r in session.exec(select(QaSamplingRule))}
    lines = session.exec(select(Line).order_by(col(Line.name)))
    return [(line, found.get(line.id or 0)) for line in lines]


def set_rule(
    *,
    session: Session,
    line_id: int,
    percent: str,
    every_high_risk: bool,
    review_within_days: str,
    actor: User,
    now: datetime,
) -> tuple[str, QaSamplingRule]:
    """Save a line's rule from the form's text; returns what it was and the rule."""
    if session.get(Line, line_id) is None:
        raise QaError("no_line", status=404)
    errors: dict[str, str] = {}
    try:
        share = float(percent.strip().rstrip("%"))
        if not 0 <= share <= 100:
            raise ValueError
    except ValueError:
        errors["percent"] = "bad_percent"
        share = 0.0
    days_text = review_within_days.strip()
    days = int(days_text) if days_text.isdigit() and len(days_text) < 4 else 0
    if not 1 <= days <= 90:
        errors["days"] = "bad_days"
    if errors:
        raise QaError("invalid", errors=errors)
    rule = session.exec(select(QaSamplingRule).where(QaSamplingRule.line_id == line_id)).first()
    before = describe(rule)
    if rule is None:
        rule = QaSamplingRule(line_id=line_id, updated_at=now)
    rule.percent = share
    rule.every_high_risk = every_high_risk
    rule.review_within_days = days
    rule.updated_by_id = actor.id
    rule.updated_at = now
    session.add(rule)
    session.flush()
    return before, rule


def describe(rule: QaSamplingRule | None) -> str:
    if rule is None:
        return "none"
    return (
        f"percent={rule.percent:g} every_high_risk={rule.every_high_risk} "
        f"within_days={rule.review_within_days}"
    )


@dataclass
class Sampled:
    call_id: int
    line_name: str
    counselor: str
    ended_at: datetime
    level: str | None
    high_risk: bool
    reviewed: bool
    due_at: datetime
    overdue: bool


def sampled(*, session: Session, now: datetime) -> list[Sampled]:
    """The contacts of the last `LOOK_BACK_DAYS` each line's rule marks, oldest due first."""
    found = {r.line_id: r for r in session.exec(select(QaSamplingRule))}
    if not found:
        return []
    # Five columns: more than sqlmodel's typed select takes, so SQLAlchemy's.
    rows = session.execute(
        sa_select(
            Call, col(CallNote.crisis_level), CallReview, col(Line.name), col(User.display_name)
        )
        .join(Line, col(Line.id) == col(Call.line_id))
        .outerjoin(CallNote, col(CallNote.call_id) == col(Call.id))
        .outerjoin(CallReview, col(CallReview.call_id) == col(Call.id))
        .outerjoin(User, col(User.id) == col(Call.counselor_id))
        .where(
            col(Call.line_id).in_(list(found)),
            col(Call.connected_at).is_not(None),
            col(Call.ended_at).is_not(None),
            col(Call.ended_at) >= now - timedelta(days=LOOK_BACK_DAYS),
        )
    )
    marked: list[Sampled] = []
    for call, level, review, line_name, counselor in rows:
        rule = found[call.line_id]
        if not is_sampled(rule, call.id or 0, level):
            continue
        ended = as_utc(call.ended_at)
        due = ended + timedelta(days=rule.review_within_days)
        reviewed = review is not None and any(
            getattr(review, f"score_{c}") is not None for c in QA_CRITERIA
        )
        marked.append(
            Sampled(
                call_id=call.id or 0,
                line_name=line_name,
                counselor=counselor or "—",
                ended_at=ended,
                level=level,
                high_risk=level in HIGH_RISK,
                reviewed=reviewed,
                due_at=due,
                overdue=not reviewed and due < now,
            )
        )
    return sorted(marked, key=lambda s: (s.reviewed, s.due_at, s.call_id))


# --- scores by month --------------------------------------------------------------------------


@dataclass
class Trend:
    user_id: int
    name: str
    # (first day of the month, mean score or None, reviews that month), oldest first.
    months: list[tuple[date, float | None, int]] = field(default_factory=list)

    @property
    def direction(self) -> str:
        """ "up", "down" or "flat" between the last two months that have scores; "" without."""
        scored = [m[1] for m in self.months if m[1] is not None]
        if len(scored) < 2:
            return ""
        if scored[-1] > scored[-2]:
            return "up"
        return "down" if scored[-1] < scored[-2] else "flat"


def _month_starts(now: datetime, tz: ZoneInfo, count: int) -> list[date]:
    first = now.astimezone(tz).date().replace(day=1)
    months = [first]
    for _ in range(count - 1):
        prev = months[-1] - timedelta(days=1)
        months.append(prev.replace(day=1))
    return list(reversed(months))


def review_mean(review: CallReview) -> float | None:
    """One review's score: the mean of its scored criteria."""
    scores = [getattr(review, f"score_{c}") for c in QA_CRITERIA]
    given = [s for s in scores if s is not None]
    return sum(given) / len(given) if given else None


def trends(
    *, session: Session, now: datetime, tz: ZoneInfo, counselor_id: int | None = None
) -> list[Trend]:
    """Each counselor's mean review score per local month (by when the review was last saved),
    the last `TREND_MONTHS` months: the mean of each review's mean, rounded to 2 places."""
    months = _month_starts(now, tz, TREND_MONTHS)
    start = datetime.combine(months[0], datetime.min.time(), tzinfo=tz)
    query = select(CallReview).where(
        col(CallReview.counselor_id).is_not(None), col(CallReview.updated_at) >= start
    )
    if counselor_id is not None:
        query = query.where(CallReview.counselor_id == counselor_id)
    per: dict[int, dict[date, list[float]]] = {}
    for review in session.exec(query):
        mean = review_mean(review)
        if mean is None or review.counselor_id is None:
            continue
        month = as_utc(review.updated_at).astimezone(tz).date().replace(day=1)
        per.setdefault(review.counselor_id, {}).setdefault(month, []).append(mean)
    people = {
        u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(list(per))))
    }
    result = []
    for user_id, by_month in per.items():
        trend = Trend(user_id=user_id, name=people.get(user_id, f"#{user_id}"))
        for month in months:
            values = by_month.get(month, [])
            mean = round(sum(values) / len(values), 2) if values else None
            trend.months.append((month, mean, len(values)))
        result.append(trend)
    return sorted(result, key=lambda t: t.name)


def month_labels(now: datetime, tz: ZoneInfo) -> list[date]:
    return _month_starts(now, tz, TREND_MONTHS)
