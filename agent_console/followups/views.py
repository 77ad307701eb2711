"""What the follow-up pages show beyond the rows themselves: local times, and the supervisors'
list as a CSV table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hotline.followups import labels


def when(value: datetime | None, timezone: str) -> str:
    """A time as the line's clock shows it (the templates' `when`)."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if value else ""


def csv_header(_: Callable[[str], str]) -> list[str]:
    return [
        _("Follow-up"),
        _("Call"),
        _("Line"),
        _("Priority"),
        _("Window"),
        _("Due"),
        _("Status"),
        _("Assigned to"),
        _("Attempts"),
        _("Closed at"),
        _("Why it closed"),
    ]


def csv_rows(rows: list[dict[str, Any]], _: Callable[[str], str]) -> Iterator[list[Any]]:
    """The list's rows as the CSV has them: no caller data."""
    names = labels.all_labels(_)
    for r in rows:
        yield [
            r["id"],
            r["call_id"],
            r["line_name"],
            _("Yes") if r["priority"] else _("No"),
            names["windows"].get(r["within"], r["within"]),
            when(r["due_at"], r["timezone"]),
            names["statuses"]["overdue" if r["overdue"] else r["status"]],
            r["assigned_to"],
            r["attempts"],
            when(r["closed_at"], r["timezone"]),
            names["close_reasons"].get(r["close_reason"] or "", r["close_reason"]),
        ]
