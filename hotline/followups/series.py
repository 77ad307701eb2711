"""Follow-up series: a moderate-or-higher caller who consented is called back at each window
of the line's schedule (`lines.follow_up_schedule`, e.g. "24h,72h,7d"), counted from the note's
submission. One follow-up row carries the series: when a step ends with the caller reached (or
after its unsuccessful attempts) it moves on to the next window, each attempt logged with its
step; the caller declining, a wrong number, or the last step ends it (hotline/followups/service.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

SERIES_LEVELS = frozenset({"moderate", "high", "imminent"})
DEFAULT_SCHEDULE = "24h,72h,7d"
MAX_STEPS = 6
_WINDOW = re.compile(r"^([1-9][0-9]{0,2})([hd])$")


def window(token: str) -> timedelta | None:
    """ "24h" -> 24 hours, "7d" -> 7 days; anything else None."""
    found = _WINDOW.match(token.strip())
    if found is None:
        return None
    amount, unit = int(found.group(1)), found.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


def parse(schedule: str) -> list[str] | None:
    """The schedule's windows, in order; None when it is not a valid schedule (1 to 6 windows,
    each later than the one before)."""
    tokens = [token.strip() for token in schedule.split(",") if token.strip()]
    deltas = [window(token) for token in tokens]
    if not tokens or len(tokens) > MAX_STEPS or any(delta is None for delta in deltas):
        return None
    if any(b <= a for a, b in zip(deltas, deltas[1:], strict=False)):  # type: ignore[operator]
        return None
    return tokens


def due_after(schedule: str, step: int) -> tuple[str, timedelta] | None:
    """The window of `step` (1-based) of the schedule and its delay; None past the last."""
    tokens = parse(schedule) or []
    if not 1 <= step <= len(tokens):
        return None
    delta = window(tokens[step - 1])
    assert delta is not None
    return tokens[step - 1], delta
