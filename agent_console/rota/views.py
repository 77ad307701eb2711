"""What the rota page shows: two weeks of a schedule as local days, who is on call now, the
overrides and swap requests ahead, and the choices of its forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from babel.dates import format_date
from sqlmodel import Session

from hotline.auth.models import Role, User
from hotline.rota import service as rota
from hotline.rota.models import Rotation, Schedule, SwapStatus

CALENDAR_DAYS = 14
MAX_PAGE_DISTANCE_DAYS = 3660  # how far ?start= may page from today
FORM_AHEAD = timedelta(days=28)  # overrides, swaps and one's own shifts listed on the page


def done_messages(_: Callable[[str], str]) -> dict[str, str]:
    """What the page says after one of its forms went through (?done=...)."""
    return {
        "override_added": _("The override is saved."),
        "override_cancelled": _("The override is cancelled."),
        "swap_requested": _("Your swap request is sent."),
        "swap_accepted": _("You accepted the swap: the shift is yours."),
        "swap_declined": _("You declined the swap."),
        "swap_withdrawn": _("Your swap request is withdrawn."),
        "feed_renewed": _("Your old calendar link no longer works: subscribe to the new one."),
        "schedule_created": _("The schedule is created. Add its rotations."),
        "schedule_saved": _("The schedule is saved."),
        "schedule_deleted": _("The schedule is deleted."),
        "rotation_added": _("The rotation is added."),
        "rotation_saved": _("The rotation is saved."),
        "rotation_removed": _("The rotation is removed."),
        "rotation_moved": _("The layer order is saved."),
    }


def first_day(start: str | None, today: date) -> date:
    """The page's first day: ?start= if it is a date not too far from today, else today."""
    try:
        day = date.fromisoformat(start) if start else today
    except ValueError:
        return today
    return today if abs((day - today).days) > MAX_PAGE_DISTANCE_DAYS else day


def calendar(
    session: Session,
    *,
    user: User,
    schedule: Schedule,
    start: str | None,
    now: datetime,
    lang: str,
) -> dict[str, Any]:
    """The page's view of `schedule` for `user`, from the day `start` (the template's context)."""
    assert schedule.id is not None and user.id is not None
    schedule_id = schedule.id
    tz = rota.zone(schedule.timezone)
    today = rota.wall(now, tz).date()
    first = first_day(start, today)
    days = rota.calendar_days(
        session=session, schedule_id=schedule_id, first_day=first, days=CALENDAR_DAYS, now=now
    )
    rotations = rota.list_rotations(session=session, schedule_id=schedule_id)
    on_call_now = rota.on_call(session=session, schedule_id=schedule_id, at=now)
    overrides = rota.list_overrides(
        session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
    )
    pending = rota.list_swaps(session=session, schedule_id=schedule_id, status=SwapStatus.pending)
    pending = [s for s in pending if s.end_at > now]
    people = rota.candidates(session=session, purpose=schedule.purpose)
    unfit = rota.unfit_holders(
        session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
    )
    mine = [
        s
        for s in rota.shifts(
            session=session, schedule_id=schedule_id, start=now, end=now + FORM_AHEAD
        )
        if s.user_id == user.id
    ]
    shown = {e.user_id for d in days for e in d.entries} | set(on_call_now)
    shown |= {m for r in rotations for m in r.member_ids}
    shown |= {o.user_id for o in overrides if o.user_id is not None}
    shown |= {o.replaced_user_id for o in overrides if o.replaced_user_id is not None}
    shown |= {s.requester_id for s in pending} | {s.counterpart_id for s in pending}
    names = rota.display_names(session=session, user_ids=shown)
    names.update({p.id: p.display_name for p in people if p.id is not None})
    members = {m for r in rotations for m in r.member_ids}
    colleagues = [
        p for p in people if p.id != user.id and (p.role == Role.crisis or p.id in members)
    ]

    def when(instant: datetime) -> str:
        return local_label(instant, schedule, lang)

    unfit_rows = [
        {
            "user_id": item.user.id,
            "name": item.user.display_name,
            "role": item.user.role.value,
            "active": item.user.active,
            "next": when(item.next_shift) if item.next_shift else None,
        }
        for item in unfit
    ]
    my_shifts = [
        {"value": f"{begin.isoformat()}/{end.isoformat()}", "label": f"{when(begin)} – {when(end)}"}
        for begin, end in rota.joined_spans((s.start, s.end) for s in mine)
    ]
    return {
        "days": days,
        "day_labels": [format_date(d.day, "full", locale=lang) for d in days],
        "rotations": rotations,
        "names": names,
        "on_call_now": on_call_now,
        "unfit": unfit_rows,
        "now_label": rota.wall(now, tz).strftime("%H:%M"),
        "today": today,
        "page_start": first.isoformat(),
        "previous_start": (first - timedelta(days=CALENDAR_DAYS)).isoformat(),
        "next_start": (first + timedelta(days=CALENDAR_DAYS)).isoformat(),
        "can_override": user.role in (Role.supervisor, Role.admin),
        "can_swap": user.role in (Role.crisis, Role.supervisor),
        "people": people,
        "colleagues": colleagues,
        "my_shifts": my_shifts,
        "overrides": [(o, when(o.start_at), when(o.end_at), o.start_at <= now) for o in overrides],
        "swaps": [(s, when(s.start_at), when(s.end_at)) for s in pending],
        "gaps": gap_rows(session, schedule=schedule, now=now, lang=lang),
    }


def local_label(instant: datetime, schedule: Schedule, lang: str) -> str:
    """An instant as the schedule's local date and time, e.g. "2026年11月3日 21:00"."""
    local = rota.wall(instant, rota.zone(schedule.timezone))
    return f"{format_date(local.date(), 'medium', locale=lang)} {local:%H:%M}"


def gap_rows(
    session: Session, *, schedule: Schedule, now: datetime, lang: str
) -> list[dict[str, Any]]:
    """The gaps in the schedule's cover over the next two weeks, as the pages list them."""
    assert schedule.id is not None
    gaps = rota.coverage_gaps(
        session=session, schedule_id=schedule.id, start=now, end=now + rota.GAP_HORIZON
    )
    names = rota.display_names(session=session, user_ids={h for g in gaps for h in g.holders})
    return [
        {
            "start": gap.start,
            "end": gap.end,
            "start_label": local_label(gap.start, schedule, lang),
            "end_label": local_label(gap.end, schedule, lang),
            "holders": [names.get(h, f"#{h}") for h in gap.holders],
        }
        for gap in gaps
    ]


def gap_counts(session: Session, *, schedules: list[Schedule], now: datetime) -> dict[int, int]:
    """How many gaps each schedule has in the next two weeks (for the list of schedules)."""
    return {
        schedule.id: len(
            rota.coverage_gaps(
                session=session, schedule_id=schedule.id, start=now, end=now + rota.GAP_HORIZON
            )
        )
        for schedule in schedules
        if schedule.id is not None
    }


@cache
def timezones() -> list[str]:
    """The IANA zones a schedule may use (suggested by the time zone field)."""
    return sorted(available_timezones())


def rotation_values(rotation: Rotation | None) -> dict[str, str]:
    """A rotation's form inputs as text (a new rotation: daily, hand-off at 09:00)."""
    if rotation is None:
        return {"name": "", "layer": "1", "shift": "daily", "handoff_time": "09:00"}
    return {
        "name": rotation.name,
        "layer": str(rotation.layer),
        "shift": rotation.shift.value,
        "shift_hours": str(rotation.shift_hours or ""),
        "handoff_time": rotation.handoff_time,
        "start_date": rotation.start_date.isoformat(),
        "active_from": rotation.active_from or "",
        "active_until": rotation.active_until or "",
    }


def member_rows(session: Session, *, schedule: Schedule, member_ids: list[str]) -> dict[str, Any]:
    """The rotation form's people: its members in turn order (marking who may not hold its
    shifts) and the active people of the right roles who can still be added."""
    people = rota.candidates(session=session, purpose=schedule.purpose)
    fit = {p.id for p in people}
    ids = [int(m) for m in member_ids if m.isdigit()]
    names = rota.display_names(session=session, user_ids=ids)
    return {
        "members": [{"id": m, "name": names.get(m, f"#{m}"), "fit": m in fit} for m in ids],
        "addable": [p for p in people if p.id not in ids],
    }
