"""The reporting periods of the health commission's forms: a month, a quarter, a half-year.

A period is written as `2026-03`, `2026-Q1` or `2026-H1`; its days are local days of the line.
Pure functions of dates, so the schedule and the figures' comparisons are easy to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    month = "month"
    quarter = "quarter"
    half = "half"


MONTHS_IN = {PeriodKind.month: 1, PeriodKind.quarter: 3, PeriodKind.half: 6}
_PATTERN = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12]))$")


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    first_day: date

    @property
    def months(self) -> int:
        return MONTHS_IN[self.kind]

    @property
    def last_day(self) -> date:
        return _add_months(self.first_day, self.months) - timedelta(days=1)

    @property
    def label(self) -> str:
        year, month = self.first_day.year, self.first_day.month
        if self.kind == PeriodKind.month:
            return f"{year}-{month:02d}"
        if self.kind == PeriodKind.quarter:
            return f"{year}-Q{(month - 1) // 3 + 1}"
        return f"{year}-H{(month - 1) // 6 + 1}"

    def previous(self) -> Period:
        return Period(self.kind, _add_months(self.first_day, -self.months))

    def following(self) -> Period:
        return Period(self.kind, _add_months(self.first_day, self.months))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period | None:
    """`2026-03`, `2026-Q1`, `2026-H2`; None for anything else."""
    match = _PATTERN.match(text.strip())
    if match is None:
        return None
    year = int(match.group(1))
    month, quarter, half = match.group(2), match.group(3), match.group(4)
    if month is not None:
        return Period(PeriodKind.month, date(year, int(month), 1))
    if quarter is not None:
        return Period(PeriodKind.quarter, date(year, (int(quarter) - 1) * 3 + 1, 1))
    return Period(PeriodKind.half, date(year, (int(half) - 1) * 6 + 1, 1))


def containing(kind: PeriodKind, day: date) -> Period:
    months = MONTHS_IN[kind]
    return Period(kind, date(day.year, (day.month - 1) // months * months + 1, 1))


def last_ended(kind: PeriodKind, today: date) -> Period:
    """The latest period of this kind that is over on `today` (a local date)."""
    return containing(kind, today).previous()
