"""Lines: lookup by dialled number, opening hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from hotline.lines.models import Line, LineCreate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def get_by_number(*, session: Session, number: str) -> Line | None:
    return session.exec(select(Line).where(Line.number == number, Line.active)).first()


def list_lines(*, session: Session) -> list[Line]:
    return list(session.exec(select(Line).order_by(Line.number)))


def create_line(*, session: Session, data: LineCreate) -> Line:
    line = Line.model_validate(data)
    session.add(line)
    session.flush()
    return line


def is_open(line: Line, now: datetime) -> bool:
    """24 h unless opening hours are set; spans are local wall-clock times in the line's zone."""
    if not line.opening_hours:
        return True
    local = now.astimezone(ZoneInfo(line.timezone))
    hhmm = local.strftime("%H:%M")
    spans = line.opening_hours.get(WEEKDAYS[local.weekday()], [])
    return any(start <= hhmm < end for start, end in spans)


def caller_area(line: Line, number: str | None) -> str:
    """local | out_of_area | unknown, from the caller number's prefix against the line's list.

    Only this class is stored; the number itself never is. Withheld or unusable numbers, and a
    line without a list of local prefixes, give "unknown".
    """
    digits = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
    if len(digits.lstrip("+")) < 5 or not line.local_prefixes:
        return "unknown"
    return "local" if any(digits.startswith(p) for p in line.local_prefixes) else "out_of_area"
