"""Lines: lookup by any of their numbers, opening hours (across midnight, holidays)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from hotline.lines.models import Line, LineCreate, LineNumber

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Spans = list[list[str]]


def get_by_number(*, session: Session, number: str) -> Line | None:
    """The active line any of whose numbers is `number`."""
    query = (
        select(Line)
        .outerjoin(LineNumber, col(LineNumber.line_id) == col(Line.id))
        .where(or_(col(Line.number) == number, col(LineNumber.number) == number))
        .where(col(Line.active))
    )
    return session.exec(query).first()


def active(*, session: Session, line_id: int) -> Line | None:
    """The line if it exists and is active (a deactivated line takes no one's contact)."""
    line = session.get(Line, line_id)
    return line if line is not None and line.active else None


def list_lines(*, session: Session) -> list[Line]:
    return list(session.exec(select(Line).order_by(Line.number)))


def numbers_by_line(*, session: Session) -> dict[int, list[str]]:
    """Line id -> its numbers, the main one first."""
    found: dict[int, list[str]] = {}
    for line in session.exec(select(Line)):
        assert line.id is not None
        found[line.id] = [line.number]
    rows = session.exec(select(LineNumber).order_by(col(LineNumber.id)))
    for row in rows:
        numbers = found.setdefault(row.line_id, [])
        if row.number not in numbers:
            numbers.append(row.number)
    return found


def numbers_of(*, session: Session, line: Line) -> list[str]:
    assert line.id is not None
    return numbers_by_line(session=session).get(line.id, [line.number])


def active_numbers(*, session: Session) -> list[str]:
    """Every number of every active line (what `lines sync` points here)."""
    by_line = numbers_by_line(session=session)
    return [
        number
        for line in list_lines(session=session)
        if line.active and line.id is not None
        for number in by_line.get(line.id, [line.number])
    ]


def inactive_numbers(*, session: Session) -> list[str]:
    """Every number of every inactive line (what `lines sync` releases: "not in service")."""
    by_line = numbers_by_line(session=session)
    return [
        number
        for line in list_lines(session=session)
        if not line.active and line.id is not None
        for number in by_line.get(line.id, [line.number])
    ]


def set_numbers(*, session: Session, line: Line, numbers: list[str]) -> None:
    """The line's numbers become `numbers` (the first is its main number)."""
    assert line.id is not None and numbers
    line.number = numbers[0]
    session.add(line)
    existing = list(session.exec(select(LineNumber).where(LineNumber.line_id == line.id)))
    for row in existing:
        if row.number not in numbers:
            session.delete(row)
    session.flush()
    kept = {row.number for row in existing}
    for number in numbers:
        if number not in kept:
            session.add(LineNumber(number=number, line_id=line.id))
    session.flush()


def create_line(*, session: Session, data: LineCreate) -> Line:
    line = Line.model_validate(data)
    session.add(line)
    session.flush()
    numbers = [data.number, *(n for n in data.other_numbers if n != data.number)]
    set_numbers(session=session, line=line, numbers=list(dict.fromkeys(numbers)))
    return line


# --- opening hours -----------------------------------------------------------------------------


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def day_spans(
    opening_hours: Mapping[str, Spans], special_days: Mapping[str, Spans] | None, day: date
) -> Spans:
    """The spans that start on `day`: its special day's if it is one, else its weekday's."""
    special = (special_days or {}).get(day.isoformat())
    if special is not None:
        return special
    return list(opening_hours.get(WEEKDAYS[day.weekday()], []))


def open_intervals(span: list[str]) -> list[tuple[int, int]]:
    """A span as minute intervals from the start of its day: past midnight into the next."""
    start, end = _minutes(span[0]), _minutes(span[1])
    if end <= start:
        end += 24 * 60
    return [(start, end)]


def open_at(
    opening_hours: Mapping[str, Spans] | None,
    special_days: Mapping[str, Spans] | None,
    local: datetime,
) -> bool:
    """Open at the local wall-clock time `local`? No hours at all: open around the clock.

    A span belongs to the day it starts: Monday 20:00-08:00 covers Tuesday 00:00-08:00, and a
    holiday (a special day) replaces the spans that start on that date."""
    if not opening_hours and not special_days:
        return True
    hours = opening_hours or {}
    minute = local.hour * 60 + local.minute
    today = local.date()
    for day, offset in ((today, 0), (today - timedelta(days=1), 24 * 60)):
        for span in day_spans(hours, special_days, day):
            for start, end in open_intervals(span):
                if start <= minute + offset < end:
                    return True
    return False


@dataclass(frozen=True)
class HoursDecision:
    """Is the line open at a moment, and is that moment on a special day (holiday)?"""

    open: bool
    local: datetime
    special_day: bool


def decide(line: Line, now: datetime) -> HoursDecision:
    local = now.astimezone(ZoneInfo(line.timezone))
    special = local.date().isoformat() in (line.special_days or {})
    return HoursDecision(
        open=open_at(line.opening_hours, line.special_days, local),
        local=local,
        special_day=special,
    )


def is_open(line: Line, now: datetime) -> bool:
    """24 h unless hours are set; spans are local wall-clock times in the line's zone."""
    return decide(line, now).open


def local_time(line: Line, day: date, at: time) -> datetime:
    """A wall-clock time in the line's zone (for "what a caller hears at 03:00 on Saturday")."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(line.timezone))


def caller_area(line: Line, number: str | None) -> str:
    """local | out_of_area | unknown, from the caller number's prefix against the line's list.

    Only this class is stored; the number itself never is. Withheld or unusable numbers, and a
    line without a list of local prefixes, give "unknown".
    """
    digits = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
    if len(digits.lstrip("+")) < 5 or not line.local_prefixes:
        return "unknown"
    return "local" if any(digits.startswith(p) for p in line.local_prefixes) else "out_of_area"
