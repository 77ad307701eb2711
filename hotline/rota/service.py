"""Who is on call: schedules, rotation layers, overrides and swaps (after Grafana OnCall, GoAlert).

The rules, in the order they apply at an instant `at`:

1. A rotation's shift k starts at its hand-off k: the local date `start_date` plus k periods
   (days for daily and weekly shifts, hours on the naive local clock for custom ones) at
   `handoff_time`, placed on the time line with the schedule's zone, so a 09:00 hand-off stays
   at 09:00 local across daylight-saving changes. A local time that does not exist (in a
   spring-forward gap) means the first valid instant after it, the moment the clocks jump; one
   that exists twice (in a fall-back fold) means the first occurrence. Shift k belongs to member
   k mod len(members). Before hand-off 0 the rotation has nobody.
2. A rotation with a restriction window (`active_from`..`active_until`, local wall clock, may
   cross midnight, end exclusive) only counts while the local time is inside it.
3. Across layers, the highest layer that has someone on call wins; rotations sharing that layer
   add up (in rotation order).
4. Overrides active at `at` (start inclusive, end exclusive) then apply: removals, then
   replacements (a replacement only takes effect while the replaced person is on call), then
   additions.

The result keeps rotation order, a replacement in the place of whom it replaces, additions last.

Editing. The rota answers from its current definition, for the past too: after a rotation is
changed (members, order, hand-off, start, layer, window) "who was on call at T" is what the new
definition says about T. Who was actually paged is in the escalation log (each escalation keeps a
snapshot of its policy, and every page names the person), and every edit is in the audit log
with the values it replaced, so the old answer can be rebuilt. Overrides are the exception that
keeps history: one that is over cannot be cancelled, and cancelling one that has begun ends it
now instead of deleting it. A schedule that an escalation policy (and so a line) names, that an
open escalation is paging, or that is the last of its purpose (the default policy pages every
crisis schedule and every supervisor schedule) cannot be deleted or given another purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from hotline.auth.models import Role, User
from hotline.errors import DomainError
from hotline.escalation.models import OPEN_STATUSES, RESPONDERS, Escalation, EscalationPolicy
from hotline.i18n import N_, Gettext, gettext_for
from hotline.lines.models import Line
from hotline.rota import ical
from hotline.rota.ical import check_feed_token as check_feed_token
from hotline.rota.ical import feed_token as feed_token
from hotline.rota.models import (
    FeedKey,
    OverrideKind,
    Rotation,
    Schedule,
    ScheduleOverride,
    SchedulePurpose,
    ShiftKind,
    SwapRequest,
    SwapStatus,
)
from hotline.rota.schemas import (
    OverrideCreate,
    RotationCreate,
    RotationUpdate,
    ScheduleCreate,
    ScheduleUpdate,
    Shift,
    ShiftSource,
    SwapCreate,
)

MAX_WINDOW = timedelta(days=92)  # the longest time line computed at once
ONE_SECOND = timedelta(seconds=1)


class RotaError(DomainError):
    """`code` says what went wrong; `errors` maps field names to error codes; `params` fill the
    message (e.g. {"names": ...}). The table also names the request validation codes a rota
    form or request can fail with, so those read the same way."""

    fallback = N_("This value is not valid.")
    messages: ClassVar[Mapping[str, str]] = {
        "missing": N_("Required."),
        "string_too_long": N_("This text is too long."),
        "extra_forbidden": N_("Unknown field."),
        "invalid": N_("Some fields need attention."),
        "bad_timezone": N_("Choose a time zone such as Asia/Shanghai."),
        "bad_time": N_("Enter a time as HH:MM, for example 09:00."),
        "window_incomplete": N_("Give both the start and the end of the daily window."),
        "window_empty": N_("The daily window cannot start and end at the same time."),
        "no_members": N_("Add at least one person to the rotation."),
        "too_long": N_("This list is too long."),
        "same_person": N_("Choose two different people."),
        "bad_window": N_("The end must be after the start."),
        "window_too_long": N_("Choose a period of at most %(days)s days."),
        "timezone_aware": N_(
            "Give the time with its UTC offset, for example 2026-11-23T09:00+08:00."
        ),
        "past": N_("This time is already over."),
        "name_taken": N_("A schedule with this name already exists."),
        "unknown_user": N_("Choose people who have an active account."),
        "not_eligible": N_(
            "Not allowed on this rota: %(names)s. A crisis shift needs someone who can "
            "acknowledge escalations (crisis worker, supervisor or admin); a supervisor shift, "
            "a supervisor or admin."
        ),
        "cannot_hold": N_("This person's role cannot hold shifts in this schedule."),
        "not_on_call": N_("You are not on call in this schedule during that time."),
        "no_schedule": N_("There is no such schedule."),
        "no_swap": N_("There is no such swap request."),
        "not_counterpart": N_("Only the person asked can answer this swap request."),
        "not_requester": N_("Only the person who asked can cancel this swap request."),
        "answered": N_("This swap request has already been answered."),
        "no_rotation": N_("There is no such rotation."),
        "requester_off_call": N_(
            "The rota has changed: the person who asked is no longer on call then. "
            "They can send a new request."
        ),
        "no_override": N_("There is no such override."),
        "schedule_in_use": N_(
            "This schedule is still paged by: %(names)s. Change those escalation policies "
            "first, or wait until the open escalations are closed."
        ),
        "last_schedule": N_(
            "This is the only schedule of its kind: lines without their own escalation policy "
            "page its on-call person. Add another schedule first."
        ),
        "int_parsing": N_("Enter a whole number."),
        "int_type": N_("Enter a whole number."),
        "greater_than_equal": N_("This number is too small."),
        "less_than_equal": N_("This number is too large."),
        "date_from_datetime_parsing": N_("Enter a date, for example 2026-11-23."),
        "date_parsing": N_("Enter a date, for example 2026-11-23."),
        "datetime_parsing": N_("Enter a date and time."),
        "datetime_from_date_parsing": N_("Enter a date and time."),
        "enum": N_("Choose one of the options."),
    }

    def text_for(self, code: str, _: Gettext) -> str:
        # Every message may be formatted: `days` is always known, `names` when the code has it.
        params = {"days": MAX_WINDOW.days, "names": "", **self.params}
        return _(self.messages.get(code, self.fallback)) % params

    def body(self, _: Gettext) -> dict[str, Any]:
        """Always with `errors` (empty when no field is to blame), as the rota always answered."""
        return {**super().body(_), "errors": self.field_messages(_)}

    def field_messages(self, _: Gettext) -> dict[str, str]:
        """Each field's message, as the person reads it."""
        return {path: self.text_for(code, _) for path, code in self.errors.items()}


# --- local wall-clock time ---------------------------------------------------------------------


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of an instant."""
    return instant.astimezone(tz).replace(tzinfo=None)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. In a spring-forward gap: the first valid
    instant after it (when the clocks jump); in a fall-back fold: the first occurrence."""
    early = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early == late:
        return early
    first, second = min(early, late), max(early, late)
    if wall(first, tz) == naive:  # it exists twice
        return first
    # A gap: wall(first) < naive <= wall(second); find the second the clocks jump.
    low, high = int(first.timestamp()), int(second.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if wall(datetime.fromtimestamp(middle, UTC), tz) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def transitions(tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The instants in (start, end) where the zone's UTC offset changes."""
    step = timedelta(hours=1)
    here = start
    offset = here.astimezone(tz).utcoffset()
    while here < end:
        there = min(here + step, end)
        next_offset = there.astimezone(tz).utcoffset()
        if next_offset != offset:
            low, high = int(here.timestamp()), int(there.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            yield datetime.fromtimestamp(high, UTC)
            offset = next_offset
        here = there


# --- one rotation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turns:
    """A rotation's hand-offs and restriction window in its schedule's zone."""

    rotation: Rotation
    tz: ZoneInfo

    @property
    def period(self) -> timedelta:
        rotation = self.rotation
        if rotation.shift == ShiftKind.daily:
            return timedelta(days=1)
        if rotation.shift == ShiftKind.weekly:
            return timedelta(days=7)
        return timedelta(hours=rotation.shift_hours or 24)

    @property
    def origin(self) -> datetime:
        return datetime.combine(self.rotation.start_date, parse_hhmm(self.rotation.handoff_time))

    def boundary(self, k: int) -> datetime:
        """Hand-off k (the start of shift k), in UTC."""
        return localize(self.origin + k * self.period, self.tz)

    def index_at(self, at: datetime) -> int | None:
        """The shift covering `at`, or None before the first hand-off."""
        k = max(0, (wall(at, self.tz) - self.origin) // self.period)
        while k > 0 and self.boundary(k) > at:
            k -= 1
        if self.boundary(k) > at:
            return None
        while self.boundary(k + 1) <= at:
            k += 1
        return k

    def member_at(self, at: datetime) -> int | None:
        members = self.rotation.member_ids
        k = self.index_at(at)
        return None if k is None or not members else members[k % len(members)]

    @property
    def window(self) -> tuple[time, time] | None:
        rotation = self.rotation
        if rotation.active_from is None or rotation.active_until is None:
            return None
        return parse_hhmm(rotation.active_from), parse_hhmm(rotation.active_until)

    def active_at(self, at: datetime) -> bool:
        window = self.window
        if window is None:
            return True
        start, until = window
        now = wall(at, self.tz).time()
        if start < until:
            return start <= now < until
        return now >= start or now < until  # crosses midnight

    def user_at(self, at: datetime) -> int | None:
        return self.member_at(at) if self.active_at(at) else None

    def changes(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Instants in (start, end) where this rotation's answer may change (a superset)."""
        k = self.index_at(start) or 0
        while (handoff := self.boundary(k)) < end:
            if handoff > start:
                yield handoff
            k += 1
        window = self.window
        if window is None:
            return
        day = wall(start, self.tz).date() - timedelta(days=1)
        last = wall(end, self.tz).date() + timedelta(days=1)
        while day <= last:
            for edge in window:
                naive = datetime.combine(day, edge)
                # Both readings of a folded time, and the gap rule's instant.
                yield naive.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
                yield naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
                yield localize(naive, self.tz)
            day += timedelta(days=1)
        # The wall clock jumps at a transition and may jump over a window's edge.
        yield from transitions(self.tz, start, end)


# --- one schedule ------------------------------------------------------------------------------

Entry = tuple[int, int | None]  # (user id, winning layer; None when there by an override)


@dataclass
class Roster:
    """A schedule's rotations and the overrides of a time window, resolved in memory."""

    schedule: Schedule
    turns: list[Turns]
    overrides: list[ScheduleOverride] = field(default_factory=list)

    def resolve(self, at: datetime) -> list[Entry]:
        layers: dict[int, list[int]] = {}
        for turns in self.turns:
            user = turns.user_at(at)
            if user is not None:
                found = layers.setdefault(turns.rotation.layer, [])
                if user not in found:
                    found.append(user)
        entries: list[Entry] = []
        if layers:
            top = max(layers)
            entries = [(user, top) for user in layers[top]]
        active = [o for o in self.overrides if o.start_at <= at < o.end_at]
        for override in active:
            if override.kind == OverrideKind.remove:
                entries = [e for e in entries if e[0] != override.replaced_user_id]
        for override in active:
            if override.kind == OverrideKind.replace and override.user_id is not None:
                swapped: Entry = (override.user_id, None)
                entries = _dedupe(
                    [swapped if e[0] == override.replaced_user_id else e for e in entries]
                )
        for override in active:
            if override.kind == OverrideKind.add and override.user_id is not None:
                entries = _dedupe([*entries, (override.user_id, None)])
        return entries

    def changes(self, start: datetime, end: datetime) -> set[datetime]:
        points = {start}
        for turns in self.turns:
            points.update(p for p in turns.changes(start, end) if start < p < end)
        for override in self.overrides:
            points.update(p for p in (override.start_at, override.end_at) if start < p < end)
        return points

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """The resolved shifts in [start, end): one per person and unbroken stretch."""
        points = sorted(self.changes(start, end))
        done: list[Shift] = []
        open_: dict[int, tuple[datetime, int | None]] = {}
        for point in points:
            now_on = dict(self.resolve(point))
            for user, (since, layer) in list(open_.items()):
                if user not in now_on or now_on[user] != layer:
                    done.append(_shift(user, since, point, layer))
                    del open_[user]
            for user, layer in now_on.items():
                open_.setdefault(user, (point, layer))
        done += [_shift(user, since, end, layer) for user, (since, layer) in open_.items()]
        return sorted(done, key=lambda s: (s.start, s.user_id, s.end))


def _dedupe(entries: list[Entry]) -> list[Entry]:
    seen: set[int] = set()
    kept: list[Entry] = []
    for user, layer in entries:
        if user not in seen:
            seen.add(user)
            kept.append((user, layer))
    return kept


def _shift(user: int, start: datetime, end: datetime, layer: int | None) -> Shift:
    source: ShiftSource = "rotation" if layer is not None else "override"
    return Shift(user_id=user, start=start, end=end, layer=layer, source=source)


def _roster(session: Session, schedule: Schedule, start: datetime, end: datetime) -> Roster:
    """The rotations and the overrides overlapping [start, end] (end included, for instants)."""
    tz = zone(schedule.timezone)
    rotations = session.exec(
        select(Rotation).where(Rotation.schedule_id == schedule.id).order_by(col(Rotation.id))
    ).all()
    overrides = session.exec(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule.id,
            col(ScheduleOverride.start_at) <= end,
            col(ScheduleOverride.end_at) > start,
        )
        .order_by(col(ScheduleOverride.start_at), col(ScheduleOverride.id))
    ).all()
    return Roster(schedule, [Turns(r, tz) for r in rotations], list(overrides))


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise RotaError("bad_window", 422, errors={"end": "bad_window"})
    if end - start > MAX_WINDOW:
        raise RotaError("window_too_long", 422, errors={"end": "window_too_long"})


# --- who is on call ----------------------------------------------------------------------------


def on_call(*, session: Session, schedule_id: int, at: datetime) -> list[int]:
    """The user ids on call at the instant `at` (an unknown schedule has nobody)."""
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        return []
    at = at.astimezone(UTC)  # SQLite compares the stored UTC wall clock
    return [user for user, _layer in _roster(session, schedule, at, at).resolve(at)]


def shifts(*, session: Session, schedule_id: int, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call in [start, end), as contiguous segments (ordered by start, then user)."""
    _check_window(start, end)
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return _roster(session, schedule, start, end).timeline(start, end)


def _on_call_for(session: Session, purpose: SchedulePurpose, at: datetime) -> list[int]:
    people: list[int] = []
    for schedule in list_schedules(session=session, purpose=purpose):
        assert schedule.id is not None
        found = on_call(session=session, schedule_id=schedule.id, at=at)
        people += [user for user in found if user not in people]
    return people


def crisis_on_call(*, session: Session, at: datetime) -> list[int]:
    """Everyone on call in the crisis schedules (by schedule id), at `at`."""
    return _on_call_for(session, SchedulePurpose.crisis, at)


def supervisor_on_duty(*, session: Session, at: datetime) -> list[int]:
    """Everyone on call in the supervisor schedules (by schedule id), at `at`."""
    return _on_call_for(session, SchedulePurpose.supervisor, at)


# --- schedules and rotations -------------------------------------------------------------------


def create_schedule(*, session: Session, data: ScheduleCreate) -> Schedule:
    taken = session.exec(select(Schedule).where(Schedule.name == data.name)).first()
    if taken is not None:
        raise RotaError("name_taken", 409, errors={"name": "name_taken"})
    schedule = Schedule.model_validate(data)
    try:
        with session.begin_nested():  # a concurrent create with the same name
            session.add(schedule)
    except IntegrityError:
        raise RotaError("name_taken", 409, errors={"name": "name_taken"}) from None
    return schedule


def get_schedule(*, session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise RotaError("no_schedule", 404)
    return schedule


def list_schedules(*, session: Session, purpose: SchedulePurpose | None = None) -> list[Schedule]:
    query = select(Schedule).order_by(col(Schedule.id))
    if purpose is not None:
        query = query.where(Schedule.purpose == purpose)
    return list(session.exec(query))


def add_rotation(*, session: Session, schedule_id: int, data: RotationCreate) -> Rotation:
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    _check_people(session, data.member_ids, "member_ids", schedule.purpose)
    rotation = Rotation.model_validate(data, update={"schedule_id": schedule_id})
    session.add(rotation)
    session.flush()
    return rotation


def list_rotations(*, session: Session, schedule_id: int) -> list[Rotation]:
    return list(
        session.exec(
            select(Rotation).where(Rotation.schedule_id == schedule_id).order_by(col(Rotation.id))
        )
    )


Change = tuple[str, object, object]  # (field, old value, new value)
M = TypeVar("M", bound=BaseModel)


def error_codes(error: ValidationError, blank: str = "body") -> dict[str, str]:
    """A schema's validation errors as field path -> code (the first per field); `blank` names
    an error of the whole object."""
    errors: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item.get("loc", ())) or blank
        errors.setdefault(path, str(item.get("type", "invalid")))
    return errors


def _validated(model: type[M], values: dict[str, object]) -> M:
    """`values` checked by a create schema, its errors as a RotaError mapping field -> code."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise RotaError("invalid", 422, errors=error_codes(error)) from None


def _changes(before: dict[str, object], after: dict[str, object]) -> list[Change]:
    return [(name, before[name], after[name]) for name in after if before[name] != after[name]]


def describe_changes(changes: list[Change]) -> str:
    """`field: old -> new; ...` for the audit log (rota fields only: never caller data)."""
    return "; ".join(f"{name}: {old} -> {new}" for name, old, new in changes)


def schedule_references(*, session: Session, schedule_id: int) -> list[str]:
    """What pages this schedule by its id: escalation policies (with the lines that use them)
    and open escalations, whose policy snapshot keeps paging it until they close."""

    def names_it(steps: object) -> bool:
        if not isinstance(steps, list):
            return False
        for step in steps:
            targets = step.get("targets", []) if isinstance(step, dict) else []
            for target in targets if isinstance(targets, list) else []:
                if (
                    isinstance(target, dict)
                    and target.get("kind") == "schedule"
                    and str(target.get("id")) == str(schedule_id)
                ):
                    return True
        return False

    found: list[str] = []
    for policy in session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.id))):
        if names_it(policy.steps):
            lines = session.exec(
                select(Line.name).where(Line.escalation_policy_id == policy.id).order_by(Line.name)
            ).all()
            found.append(f"{policy.name} ({', '.join(lines)})" if lines else policy.name)
    open_escalations = session.exec(
        select(Escalation.id)
        .where(col(Escalation.status).in_([s.value for s in OPEN_STATUSES]))
        .order_by(col(Escalation.id))
    ).all()
    for escalation_id in open_escalations:
        escalation = session.get(Escalation, escalation_id)
        if escalation is not None and names_it(escalation.policy.get("steps")):
            found.append(f"#{escalation_id}")
    return found


def _check_not_needed(session: Session, schedule: Schedule) -> None:
    """Refuse to take a schedule out of service while something pages it."""
    assert schedule.id is not None
    using = schedule_references(session=session, schedule_id=schedule.id)
    if using:
        raise RotaError("schedule_in_use", 409, params={"names": ", ".join(using)})
    others = [
        s for s in list_schedules(session=session, purpose=schedule.purpose) if s.id != schedule.id
    ]
    if not others:
        raise RotaError("last_schedule", 409)


def update_schedule(
    *, session: Session, schedule_id: int, data: ScheduleUpdate
) -> tuple[Schedule, list[Change]]:
    """Change a schedule's name, purpose, time zone or description; what changed, for the log."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    before = schedule.model_dump(include=set(ScheduleCreate.model_fields))
    merged = _validated(ScheduleCreate, {**before, **data.model_dump(exclude_unset=True)})
    after = merged.model_dump()
    if after["name"] != before["name"]:
        taken = session.exec(
            select(Schedule).where(Schedule.name == merged.name, Schedule.id != schedule_id)
        ).first()
        if taken is not None:
            raise RotaError("name_taken", 409, errors={"name": "name_taken"})
    if merged.purpose != schedule.purpose:
        _check_not_needed(session, schedule)
        members = [
            m
            for r in list_rotations(session=session, schedule_id=schedule_id)
            for m in r.member_ids
        ]
        _check_people(session, members, "purpose", merged.purpose)
    changes = _changes(before, after)
    schedule.sqlmodel_update(after)
    try:
        with session.begin_nested():  # a concurrent rename to the same name
            session.add(schedule)
    except IntegrityError:
        raise RotaError("name_taken", 409, errors={"name": "name_taken"}) from None
    return schedule, changes


def check_deletable(*, session: Session, schedule_id: int) -> None:
    """Refuse (`RotaError`) as `delete_schedule` would, without deleting: for a confirmation."""
    _check_not_needed(session, get_schedule(session=session, schedule_id=schedule_id))


def delete_schedule(*, session: Session, schedule_id: int) -> Schedule:
    """Delete a schedule with its rotations, overrides and swap requests, unless it is needed."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    _check_not_needed(session, schedule)
    session.exec(delete(SwapRequest).where(col(SwapRequest.schedule_id) == schedule_id))
    session.exec(delete(ScheduleOverride).where(col(ScheduleOverride.schedule_id) == schedule_id))
    session.exec(delete(Rotation).where(col(Rotation.schedule_id) == schedule_id))
    session.delete(schedule)
    session.flush()
    return schedule


def get_rotation(*, session: Session, rotation_id: int) -> Rotation:
    rotation = session.get(Rotation, rotation_id)
    if rotation is None:
        raise RotaError("no_rotation", 404)
    return rotation


def update_rotation(
    *, session: Session, rotation_id: int, data: RotationUpdate
) -> tuple[Rotation, list[Change]]:
    """Change a rotation; the result is checked as a whole, like a new one. The rota then
    answers from the new definition, for the past too (see the module's docstring)."""
    rotation = get_rotation(session=session, rotation_id=rotation_id)
    before = rotation.model_dump(include=set(RotationCreate.model_fields))
    merged = _validated(RotationCreate, {**before, **data.model_dump(exclude_unset=True)})
    if "member_ids" in data.model_fields_set:
        schedule = get_schedule(session=session, schedule_id=rotation.schedule_id)
        _check_people(session, merged.member_ids, "member_ids", schedule.purpose)
    after = merged.model_dump()
    changes = _changes(before, after)
    rotation.sqlmodel_update(after)
    session.add(rotation)
    session.flush()
    return rotation, changes


def move_layer(
    *, session: Session, rotation_id: int, up: bool
) -> list[tuple[Rotation, list[Change]]]:
    """Move a rotation one place up (it wins over more) or down in its schedule's layer order,
    highest layer first: it trades layers with the next rotation that way, or, when that one
    shares its layer, goes one layer past it. The rotations changed, with what changed."""
    rotation = get_rotation(session=session, rotation_id=rotation_id)
    order = sorted(
        list_rotations(session=session, schedule_id=rotation.schedule_id),
        key=lambda r: (-r.layer, r.id or 0),
    )
    place = next(i for i, r in enumerate(order) if r.id == rotation.id)
    other_place = place - 1 if up else place + 1
    if not 0 <= other_place < len(order):
        return []
    other = order[other_place]
    if other.layer != rotation.layer:
        wanted = {rotation.id: other.layer, other.id: rotation.layer}
    else:
        wanted = {rotation.id: min(100, max(0, rotation.layer + (1 if up else -1)))}
    moved: list[tuple[Rotation, list[Change]]] = []
    for changed_id, layer in wanted.items():
        assert changed_id is not None
        moved.append(
            update_rotation(
                session=session, rotation_id=changed_id, data=RotationUpdate(layer=layer)
            )
        )
    return moved


def delete_rotation(*, session: Session, rotation_id: int) -> Rotation:
    rotation = get_rotation(session=session, rotation_id=rotation_id)
    session.delete(rotation)
    session.flush()
    return rotation


def eligible_roles(purpose: SchedulePurpose) -> tuple[Role, ...]:
    """Who may hold a shift: in a crisis schedule only those who can acknowledge an escalation
    (anyone else paged for an imminent risk would be refused); supervisors in theirs."""
    return RESPONDERS if purpose == SchedulePurpose.crisis else (Role.supervisor, Role.admin)


def may_hold(user: User | None, purpose: SchedulePurpose) -> bool:
    return user is not None and user.active and user.role in eligible_roles(purpose)


def candidates(*, session: Session, purpose: SchedulePurpose) -> list[User]:
    """Active people who may be put on call in a schedule of this purpose."""
    roles = eligible_roles(purpose)
    return list(
        session.exec(
            select(User)
            .where(col(User.active), col(User.role).in_([r.value for r in roles]))
            .order_by(col(User.display_name), col(User.id))
        )
    )


def _check_people(
    session: Session,
    user_ids: Iterable[int],
    field_name: str,
    purpose: SchedulePurpose | None = None,
) -> None:
    """The people exist and are active; with a purpose, they may also hold its shifts."""
    wanted = set(user_ids)
    if not wanted:
        return
    found = session.exec(select(User).where(col(User.id).in_(wanted), col(User.active))).all()
    if {user.id for user in found} != wanted:
        raise RotaError("unknown_user", 422, errors={field_name: "unknown_user"})
    barred = [user for user in found if purpose is not None and not may_hold(user, purpose)]
    if barred:
        names = ", ".join(sorted(user.display_name for user in barred))
        raise RotaError(
            "not_eligible", 422, errors={field_name: "cannot_hold"}, params={"names": names}
        )


@dataclass(frozen=True)
class Unfit:
    """Someone on this schedule who may not hold its shifts (e.g. their role changed later)."""

    user: User
    next_shift: datetime | None  # their first shift in the window looked at, if any


def unfit_holders(
    *, session: Session, schedule_id: int, start: datetime, end: datetime
) -> list[Unfit]:
    """The rotation members and shift holders in [start, end) who may not hold its shifts."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    first: dict[int, datetime | None] = {}
    for shift in shifts(session=session, schedule_id=schedule_id, start=start, end=end):
        first.setdefault(shift.user_id, shift.start)
    for rotation in list_rotations(session=session, schedule_id=schedule_id):
        for member in rotation.member_ids:
            first.setdefault(member, None)
    if not first:
        return []
    users = session.exec(select(User).where(col(User.id).in_(set(first)))).all()
    unfit = [
        Unfit(user=user, next_shift=first[user.id])
        for user in users
        if user.id is not None and not may_hold(user, schedule.purpose)
    ]
    return sorted(unfit, key=lambda u: (u.next_shift is None, u.next_shift or start))


def display_names(*, session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    wanted = set(user_ids)
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {user.id: user.display_name for user in users if user.id is not None}


# --- overrides ---------------------------------------------------------------------------------


def add_override(
    *, session: Session, schedule_id: int, data: OverrideCreate, created_by: int, now: datetime
) -> ScheduleOverride:
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    if data.end_at <= now:
        raise RotaError("past", 422, errors={"end_at": "past"})
    if data.user_id is not None:  # who goes on call (the replaced one need not qualify)
        _check_people(session, [data.user_id], "user_id", schedule.purpose)
    if data.replaced_user_id is not None:
        _check_people(session, [data.replaced_user_id], "replaced_user_id")
    override = ScheduleOverride(
        schedule_id=schedule_id,
        kind=data.kind,
        user_id=data.user_id,
        replaced_user_id=data.replaced_user_id,
        start_at=data.start_at.astimezone(UTC),
        end_at=data.end_at.astimezone(UTC),
        reason=data.reason,
        created_by=created_by,
        created_at=now,
    )
    session.add(override)
    session.flush()
    return override


def list_overrides(
    *, session: Session, schedule_id: int, start: datetime, end: datetime
) -> list[ScheduleOverride]:
    """The overrides of a schedule that overlap [start, end)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return list(
        session.exec(
            select(ScheduleOverride)
            .where(
                ScheduleOverride.schedule_id == schedule_id,
                col(ScheduleOverride.start_at) < end,
                col(ScheduleOverride.end_at) > start,
            )
            .order_by(col(ScheduleOverride.start_at), col(ScheduleOverride.id))
        )
    )


def get_override(*, session: Session, override_id: int) -> ScheduleOverride:
    override = session.get(ScheduleOverride, override_id, with_for_update=True)
    if override is None:
        raise RotaError("no_override", 404)
    return override


def cancel_override(
    *, session: Session, override_id: int, now: datetime
) -> tuple[ScheduleOverride, bool]:
    """Cancel an override without rewriting the past: one that has not begun is deleted (and a
    swap it came from is marked cancelled); one under way ends now; one that is over stays.
    Returns the override and whether it was deleted."""
    override = get_override(session=session, override_id=override_id)
    if override.end_at <= now:
        raise RotaError("past", 409)
    if override.start_at < now:
        override.end_at = now
        session.add(override)
        session.flush()
        return override, False
    for swap in session.exec(select(SwapRequest).where(SwapRequest.override_id == override_id)):
        swap.override_id = None
        swap.status = SwapStatus.cancelled
        session.add(swap)
    session.flush()
    session.delete(override)
    session.flush()
    return override, True


def override_detail(what: str, override: ScheduleOverride) -> str:
    """An override's audit detail: what happened to it, and the override itself."""
    return (
        f"{what}; schedule {override.schedule_id}; {override.kind.value}; "
        f"user: {override.user_id}; replaced: {override.replaced_user_id}; "
        f"{override.start_at.isoformat()} - {override.end_at.isoformat()}"
    )


# --- swaps -------------------------------------------------------------------------------------


def request_swap(
    *, session: Session, requester_id: int, data: SwapCreate, now: datetime
) -> SwapRequest:
    """Ask a colleague to take (part of) one's shifts; the requester must be on call in it."""
    schedule = get_schedule(session=session, schedule_id=data.schedule_id)
    if data.counterpart_id == requester_id:
        raise RotaError("same_person", 422, errors={"counterpart_id": "same_person"})
    _check_people(session, [data.counterpart_id], "counterpart_id", schedule.purpose)
    if data.end_at <= now:
        raise RotaError("past", 422, errors={"end_at": "past"})
    if data.end_at - data.start_at > MAX_WINDOW:
        raise RotaError("window_too_long", 422, errors={"end_at": "window_too_long"})
    timeline = shifts(
        session=session, schedule_id=data.schedule_id, start=data.start_at, end=data.end_at
    )
    if not any(shift.user_id == requester_id for shift in timeline):
        raise RotaError("not_on_call", 422, errors={"start_at": "not_on_call"})
    swap = SwapRequest(
        schedule_id=data.schedule_id,
        requester_id=requester_id,
        counterpart_id=data.counterpart_id,
        start_at=data.start_at.astimezone(UTC),
        end_at=data.end_at.astimezone(UTC),
        created_at=now,
    )
    session.add(swap)
    session.flush()
    return swap


def get_swap(*, session: Session, swap_id: int) -> SwapRequest:
    swap = session.get(SwapRequest, swap_id)
    if swap is None:
        raise RotaError("no_swap", 404)
    return swap


def _pending_swap(session: Session, swap_id: int) -> SwapRequest:
    swap = session.get(SwapRequest, swap_id, with_for_update=True)
    if swap is None:
        raise RotaError("no_swap", 404)
    return swap


def answer_swap(
    *, session: Session, swap_id: int, user_id: int, accept: bool, now: datetime
) -> SwapRequest:
    """Only the counterpart answers; accepting makes them replace the requester for the window."""
    swap = _pending_swap(session, swap_id)
    if swap.counterpart_id != user_id:
        raise RotaError("not_counterpart", 403)
    if swap.status != SwapStatus.pending:
        raise RotaError("answered", 409)
    if accept:
        if swap.end_at <= now:
            raise RotaError("past", 409)
        # The rota may have been edited since the request: a swap of a shift the requester no
        # longer holds would change nothing, so it is refused rather than silently accepted.
        timeline = shifts(
            session=session, schedule_id=swap.schedule_id, start=swap.start_at, end=swap.end_at
        )
        if not any(shift.user_id == swap.requester_id for shift in timeline):
            raise RotaError("requester_off_call", 409)
        # Checked again: the counterpart's role may have changed since the request.
        purpose = get_schedule(session=session, schedule_id=swap.schedule_id).purpose
        counterpart = session.get(User, swap.counterpart_id)
        if counterpart is None or not may_hold(counterpart, purpose):
            names = counterpart.display_name if counterpart else ""
            raise RotaError("not_eligible", 409, params={"names": names})
        override = ScheduleOverride(
            schedule_id=swap.schedule_id,
            kind=OverrideKind.replace,
            user_id=swap.counterpart_id,
            replaced_user_id=swap.requester_id,
            start_at=swap.start_at,
            end_at=swap.end_at,
            reason=f"swap #{swap.id}",
            created_by=user_id,
            created_at=now,
        )
        session.add(override)
        session.flush()
        swap.override_id = override.id
    swap.status = SwapStatus.accepted if accept else SwapStatus.declined
    swap.answered_at = now
    session.add(swap)
    session.flush()
    return swap


def cancel_swap(*, session: Session, swap_id: int, user_id: int, now: datetime) -> SwapRequest:
    """The requester withdraws a request nobody has answered yet."""
    swap = _pending_swap(session, swap_id)
    if swap.requester_id != user_id:
        raise RotaError("not_requester", 403)
    if swap.status != SwapStatus.pending:
        raise RotaError("answered", 409)
    swap.status = SwapStatus.cancelled
    swap.answered_at = now
    session.add(swap)
    session.flush()
    return swap


def swap_detail(what: str, swap: SwapRequest) -> str:
    """A swap request's audit detail: what happened to it, and the request itself."""
    detail = (
        f"{what}; schedule {swap.schedule_id}; requester: {swap.requester_id}; "
        f"counterpart: {swap.counterpart_id}; "
        f"{swap.start_at.isoformat()} - {swap.end_at.isoformat()}"
    )
    return detail + (f"; override {swap.override_id}" if swap.override_id else "")


def list_swaps(
    *,
    session: Session,
    user_id: int | None = None,
    schedule_id: int | None = None,
    status: SwapStatus | None = None,
) -> list[SwapRequest]:
    """Swap requests, newest first; with `user_id`, those the person asked or was asked."""
    query = select(SwapRequest).order_by(col(SwapRequest.created_at).desc(), col(SwapRequest.id))
    if user_id is not None:
        query = query.where(
            (col(SwapRequest.requester_id) == user_id)
            | (col(SwapRequest.counterpart_id) == user_id)
        )
    if schedule_id is not None:
        query = query.where(SwapRequest.schedule_id == schedule_id)
    if status is not None:
        query = query.where(SwapRequest.status == status)
    return list(session.exec(query))


# --- calendar views ----------------------------------------------------------------------------


def feed_version(*, session: Session, user_id: int) -> int:
    """The version of the person's feed link that is valid now."""
    key = session.get(FeedKey, user_id)
    return key.version if key is not None else 0


def feed_path(*, session: Session, secret: str, user_id: int) -> str:
    """The path of the person's calendar feed link that is valid now (the token is its key)."""
    version = feed_version(session=session, user_id=user_id)
    return f"/rota/ical/{user_id}.ics?token={feed_token(secret, user_id, version)}"


def renew_feed(*, session: Session, user_id: int, now: datetime) -> int:
    """Revoke the person's feed link and give them a new one; the new version."""
    if session.get(User, user_id) is None:
        raise RotaError("no_user", 404)
    key = session.get(FeedKey, user_id) or FeedKey(user_id=user_id, renewed_at=now)
    key.version += 1
    key.renewed_at = now
    session.add(key)
    session.flush()
    return key.version


def ical_feed(
    *, session: Session, user_id: int, start: datetime, end: datetime, now: datetime
) -> str:
    """A person's on-call time in every schedule over [start, end), as iCalendar text."""
    user = session.get(User, user_id)
    _ = gettext_for(user.locale if user is not None else "")
    events: list[ical.Event] = []
    for schedule in list_schedules(session=session):
        assert schedule.id is not None
        mine = [
            s
            for s in shifts(session=session, schedule_id=schedule.id, start=start, end=end)
            if s.user_id == user_id
        ]
        summary = _("On call: %(schedule)s") % {"schedule": schedule.name}
        for span_start, span_end in joined_spans((s.start, s.end) for s in mine):
            events.append(
                ical.Event(
                    uid=ical.event_uid(schedule.id, user_id, span_start),
                    start=span_start,
                    end=span_end,
                    summary=summary,
                )
            )
    events.sort(key=lambda e: (e.start, e.uid))
    return ical.calendar(events=events, now=now, name=_("Hotline on-call shifts"))


def joined_spans(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Spans that touch become one (a change of layer or source is no break for a person)."""
    joined: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if joined and joined[-1][1] >= start:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _by_person(timeline: list[Shift]) -> list[Shift]:
    """Touching shifts of one person and source become one (a change of layer is no break)."""
    joined: list[Shift] = []
    for shift in sorted(timeline, key=lambda s: (s.user_id, s.source, s.start)):
        last = joined[-1] if joined else None
        if last and (last.user_id, last.source, last.end) == (
            shift.user_id,
            shift.source,
            shift.start,
        ):
            joined[-1] = last.model_copy(update={"end": shift.end})
        else:
            joined.append(shift)
    return sorted(joined, key=lambda s: (s.start, s.user_id, s.end))


@dataclass(frozen=True)
class DayEntry:
    """A piece of a shift within one local day, with its local start and end as HH:MM."""

    user_id: int
    start: datetime
    end: datetime
    start_label: str
    end_label: str  # "24:00" when it runs to the end of the day
    source: ShiftSource
    now: bool  # this person is on call now, in this piece
    swap: bool = False  # there by an override that an accepted swap made


@dataclass(frozen=True)
class Day:
    day: date
    start: datetime
    end: datetime
    today: bool
    entries: list[DayEntry]


def calendar_days(
    *, session: Session, schedule_id: int, first_day: date, days: int, now: datetime
) -> list[Day]:
    """`days` local days from `first_day`: each day's shifts, cut at local midnight."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    tz = zone(schedule.timezone)
    edges = [
        localize(datetime.combine(first_day + timedelta(days=n), time()), tz)
        for n in range(days + 1)
    ]
    timeline = _by_person(
        shifts(session=session, schedule_id=schedule_id, start=edges[0], end=edges[-1])
    )
    overrides = list_overrides(
        session=session, schedule_id=schedule_id, start=edges[0], end=edges[-1]
    )
    from_swaps = set(
        session.exec(
            select(SwapRequest.override_id).where(
                SwapRequest.schedule_id == schedule_id, col(SwapRequest.override_id).is_not(None)
            )
        ).all()
    )

    def by_swap(user_id: int, start: datetime, end: datetime) -> bool:
        return any(
            o.id in from_swaps and o.user_id == user_id and o.start_at < end and o.end_at > start
            for o in overrides
        )

    today = wall(now, tz).date()
    result: list[Day] = []
    for n in range(days):
        day_start, day_end = edges[n], edges[n + 1]
        entries: list[DayEntry] = []
        for shift in timeline:
            start, end = max(shift.start, day_start), min(shift.end, day_end)
            if start >= end:
                continue
            entries.append(
                DayEntry(
                    user_id=shift.user_id,
                    start=start,
                    end=end,
                    start_label=wall(start, tz).strftime("%H:%M"),
                    end_label="24:00" if end == day_end else wall(end, tz).strftime("%H:%M"),
                    source=shift.source,
                    now=start <= now < end,
                    swap=shift.source == "override" and by_swap(shift.user_id, start, end),
                )
            )
        day = first_day + timedelta(days=n)
        result.append(
            Day(day=day, start=day_start, end=day_end, today=day == today, entries=entries)
        )
    return result


# --- gaps in cover -----------------------------------------------------------------------------

GAP_HORIZON = timedelta(days=14)  # how far ahead the rota pages warn of gaps


@dataclass(frozen=True)
class Gap:
    """A stretch [start, end) in which paging this schedule reaches nobody who can answer.

    `holders` are the people the rota puts on call then anyway (empty: nobody at all): paging
    resolves them like anyone else (`on_call` does not skip them), but a disabled account or a
    role that cannot acknowledge answers no page."""

    start: datetime
    end: datetime
    holders: tuple[int, ...] = ()


def coverage_gaps(
    *, session: Session, schedule_id: int, start: datetime, end: datetime
) -> list[Gap]:
    """The gaps in a schedule's cover over [start, end), from its resolved time line (layers,
    windows and overrides included): where nobody is on call, or only people who may not hold
    its shifts (a disabled account, a role that cannot acknowledge)."""
    schedule = get_schedule(session=session, schedule_id=schedule_id)
    timeline = shifts(session=session, schedule_id=schedule_id, start=start, end=end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    wanted = {shift.user_id for shift in timeline}
    users = {
        user.id: user
        for user in session.exec(select(User).where(col(User.id).in_(wanted or {0})))
        if user.id is not None
    }
    able = [
        (shift.start, shift.end)
        for shift in timeline
        if may_hold(users.get(shift.user_id), schedule.purpose)
    ]
    gaps: list[Gap] = []
    cursor = start
    for covered_from, covered_until in [*joined_spans(able), (end, end)]:
        if covered_from > cursor:
            holders = sorted(
                {s.user_id for s in timeline if s.start < covered_from and s.end > cursor}
            )
            gaps.append(Gap(cursor, covered_from, tuple(holders)))
        cursor = max(cursor, covered_until)
    return gaps
