"""Looking after lines: what the Lines page (`/admin/lines`) and `hotline lines` share.

Plain functions taking `session` and `now`. The form's fields arrive as text (`LineForm`, the
same from a browser and the command line), are checked together (`check_form`: every problem at
once, by field) and saved with an audit entry holding the fields before and after. After a save,
`sync_numbers` points the changed numbers at this deployment at the phone network, and
`release_numbers` un-points those no active line has any more (taken off a line, or of a line
deactivated): they answer "not in service". Re-activating a line points its numbers here again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from zoneinfo import available_timezones

from sqlmodel import Session, col, func, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.calls.models import WAITING_STATES, Call
from hotline.errors import DomainError
from hotline.escalation.models import EscalationPolicy
from hotline.i18n import N_, TWILIO_SAY_LANGUAGE
from hotline.lines import service as lines
from hotline.lines.models import AFTER_HOURS_ACTIONS, Line, LineNumber
from hotline.lines.service import WEEKDAYS
from hotline.retention.models import MIN_RETENTION_DAYS

# callback: the caller may press a key to be called back (hotline/telephony/prompts.py overflow).
OVERFLOW_ACTIONS = ("forward", "voicemail", "callback")
MAX_RETENTION_DAYS = 36500
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
_PREFIX = re.compile(r"\+?\d{1,15}")
_SPLIT = re.compile(r"[\s,;，；]+")


class LinesError(DomainError):
    """A change to a line that is refused; `errors` names the form fields at fault."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "not_found": N_("There is no such line."),
        "invalid": N_("Some fields need correcting."),
        "name_required": N_("Enter the line's name."),
        "number_required": N_("Enter at least one number for the line."),
        "bad_number": N_(
            "This is not a phone number. Enter it with its country code, e.g. +86 577 9652 5."
        ),
        "number_taken": N_("The number %(number)s already reaches another line."),
        "bad_language": N_("Choose languages callers can hear: zh_CN, en."),
        "no_language": N_("Enter at least one language, in the order callers hear them."),
        "bad_timezone": N_("Enter a time zone such as Asia/Shanghai."),
        "bad_hours": N_(
            "Write the spans as 09:00-17:00, separated by commas; 20:00-08:00 runs past midnight."
        ),
        "never_open": N_(
            "With these hours the line is never open. Add spans, or choose open around the clock."
        ),
        "bad_special_days": N_(
            "One line per day: 2026-10-01 closed, or 2026-10-01 09:00-12:00, 14:00-17:00."
        ),
        "bad_after_hours": N_("Choose what callers hear outside the opening hours."),
        "bad_wait": N_("Enter a wait between 10 and 3600 seconds."),
        "bad_overflow": N_("Choose what happens when the wait is too long."),
        "bad_prefixes": N_("Enter prefixes of digits, such as +86577, 0577."),
        "bad_retention": N_(
            "Keep records at least 1095 days (the guideline's 3 years) and at most 36500."
        ),
        "bad_policy": N_("Choose an escalation policy from the list."),
        "last_line": N_(
            "This is the only active line: deactivated, every caller would hear that the number "
            "is not in service. Add or activate another line first."
        ),
        "inactive": N_("This line is not active."),
    }


@dataclass(frozen=True)
class LineForm:
    """A line's settings as typed: the page's fields and the command line's options."""

    name: str = ""
    numbers: str = ""  # one or more, separated by spaces, commas or lines; the first is the main
    languages: str = "zh_CN"  # in the order callers hear them
    timezone: str = "Asia/Shanghai"
    always_open: bool = True
    hours: dict[str, str] = field(default_factory=dict)  # weekday -> "20:00-08:00, 09:00-12:00"
    special_days: str = ""  # one per line: "2026-10-01 closed" / "2026-10-01 09:00-12:00"
    after_hours_action: str = "forward"
    max_queue_wait_s: str = "180"
    overflow_action: str = "forward"
    partner_number: str = ""
    recording: bool = False
    local_prefixes: str = ""
    retention_days: str = str(MIN_RETENTION_DAYS)
    escalation_policy_id: str = ""  # "" = the default policy


@dataclass(frozen=True)
class LineFields:
    """What the form edits, checked."""

    name: str
    numbers: list[str]
    languages: list[str]
    timezone: str
    opening_hours: dict[str, list[list[str]]] | None
    special_days: dict[str, list[list[str]]] | None
    after_hours_action: str
    max_queue_wait_s: int
    overflow_action: str
    partner_number: str | None
    recording: bool
    local_prefixes: list[str]
    retention_days: int
    escalation_policy_id: int | None


# --- reading -----------------------------------------------------------------------------------


def get_line(*, session: Session, line_id: int) -> Line:
    line = session.get(Line, line_id)
    if line is None:
        raise LinesError("not_found", 404)
    return line


def list_lines(*, session: Session) -> list[Line]:
    return list(
        session.exec(select(Line).order_by(col(Line.active).desc(), col(Line.name), col(Line.id)))
    )


def policy_choices(*, session: Session) -> list[EscalationPolicy]:
    return list(session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.name))))


def format_spans(spans: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans)


def form_of(line: Line, numbers: list[str]) -> LineForm:
    """The form filled with a line's settings."""
    hours = line.opening_hours or {}
    days = line.special_days or {}
    return LineForm(
        name=line.name,
        numbers="\n".join(numbers),
        languages=", ".join(line.languages),
        timezone=line.timezone,
        always_open=line.opening_hours is None,
        hours={day: format_spans(hours.get(day, [])) for day in WEEKDAYS},
        special_days="\n".join(
            f"{day} {format_spans(spans) if spans else 'closed'}" for day, spans in days.items()
        ),
        after_hours_action=line.after_hours_action,
        max_queue_wait_s=str(line.max_queue_wait_s),
        overflow_action=line.overflow_action,
        partner_number=line.partner_number or "",
        recording=line.recording,
        local_prefixes=", ".join(line.local_prefixes),
        retention_days=str(line.retention_days),
        escalation_policy_id=str(line.escalation_policy_id or ""),
    )


# --- checking a form ---------------------------------------------------------------------------


def parse_spans(text: str) -> list[list[str]]:
    """ "09:00-12:00, 20:00-08:00" -> [["09:00", "12:00"], ["20:00", "08:00"]]; ValueError."""
    spans: list[list[str]] = []
    for part in _SPLIT.split(text.strip()):
        if not part:
            continue
        start, sep, end = part.replace("–", "-").partition("-")
        if not sep or not _HHMM.fullmatch(start) or not _HHMM.fullmatch(end):
            raise ValueError(part)
        if start == end or start == "24:00":
            raise ValueError(part)
        spans.append([start, end])
    return spans


def parse_special_days(text: str) -> dict[str, list[list[str]]]:
    """One day per line: "2026-12-25 closed" or "2026-10-01 09:00-12:00, 14:00-17:00"."""
    days: dict[str, list[list[str]]] = {}
    for raw in text.splitlines():
        row = raw.strip()
        if not row:
            continue
        day, _, rest = row.partition(" ")
        when = date.fromisoformat(day.strip().rstrip(":：").strip())  # ValueError: no date
        rest = rest.strip()
        days[when.isoformat()] = [] if rest.lower() in ("closed", "关闭", "") else parse_spans(rest)
    return dict(sorted(days.items()))


def _split(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text.strip()) if part]


def _numbers(
    session: Session, text: str, line_id: int | None, errors: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    numbers: list[str] = []
    for raw in re.split(r"[\n,;，；]+", text):
        if not raw.strip():
            continue
        number = phone.to_e164(raw)
        if number is None:
            errors["numbers"] = "bad_number"
            return [], {}
        numbers.append(number)
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        errors["numbers"] = "number_required"
        return [], {}
    for number in numbers:
        owner = _owner(session, number)
        if owner is not None and owner != line_id:
            errors["numbers"] = "number_taken"
            return numbers, {"number": number}
    return numbers, {}


def _owner(session: Session, number: str) -> int | None:
    """The line a number reaches (active or not), if any."""
    found = session.exec(select(LineNumber.line_id).where(LineNumber.number == number)).first()
    if found is None:
        found = session.exec(select(Line.id).where(Line.number == number)).first()
    return found


def _int(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def check_form(*, session: Session, form: LineForm, line_id: int | None = None) -> LineFields:
    """The form's fields checked together: every problem at once, by field (422)."""
    errors: dict[str, str] = {}
    name = form.name.strip()
    if not name or len(name) > 200:
        errors["name"] = "name_required"
    numbers, params = _numbers(session, form.numbers, line_id, errors)
    languages = list(dict.fromkeys(_split(form.languages)))
    if not languages:
        errors["languages"] = "no_language"
    elif set(languages) - set(TWILIO_SAY_LANGUAGE):
        errors["languages"] = "bad_language"
    zone = form.timezone.strip()
    if zone not in available_timezones():
        errors["timezone"] = "bad_timezone"
    hours: dict[str, list[list[str]]] | None = None
    if not form.always_open:
        hours = {}
        for day in WEEKDAYS:
            try:
                hours[day] = parse_spans(form.hours.get(day, ""))
            except ValueError:
                errors[f"hours_{day}"] = "bad_hours"
    try:
        special = parse_special_days(form.special_days) or None
    except ValueError:
        special, errors["special_days"] = None, "bad_special_days"
    if hours is not None and not any(hours.values()) and "hours_mon" not in errors:
        if not any(special.values() if special else []):
            errors["hours_mon"] = "never_open"
    if form.after_hours_action not in AFTER_HOURS_ACTIONS:
        errors["after_hours_action"] = "bad_after_hours"
    wait = _int(form.max_queue_wait_s, 10, 3600)
    if wait is None:
        errors["max_queue_wait_s"] = "bad_wait"
    if form.overflow_action not in OVERFLOW_ACTIONS:
        errors["overflow_action"] = "bad_overflow"
    partner = None
    if form.partner_number.strip():
        partner = phone.to_e164(form.partner_number)
        if partner is None:
            errors["partner_number"] = "bad_number"
    prefixes = _split(form.local_prefixes)
    if any(not _PREFIX.fullmatch(p) for p in prefixes):
        errors["local_prefixes"] = "bad_prefixes"
    retention = _int(form.retention_days, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS)
    if retention is None:
        errors["retention_days"] = "bad_retention"
    policy_id = _policy(session, form.escalation_policy_id, errors)
    if errors:
        raise LinesError("invalid", errors=errors, params=params)
    assert wait is not None and retention is not None
    return LineFields(
        name=name,
        numbers=numbers,
        languages=languages,
        timezone=zone,
        opening_hours=hours,
        special_days=special,
        after_hours_action=form.after_hours_action,
        max_queue_wait_s=wait,
        overflow_action=form.overflow_action,
        partner_number=partner,
        recording=form.recording,
        local_prefixes=prefixes,
        retention_days=retention,
        escalation_policy_id=policy_id,
    )


def _policy(session: Session, raw: str, errors: dict[str, str]) -> int | None:
    if not raw.strip():
        return None
    policy_id = _int(raw, 1, 2**31 - 1)
    if policy_id is None or session.get(EscalationPolicy, policy_id) is None:
        errors["escalation_policy_id"] = "bad_policy"
        return None
    return policy_id


# --- the audit log -----------------------------------------------------------------------------


def hours_text(hours: Mapping[str, list[list[str]]] | None) -> str:
    """Opening hours in a few words for the audit log: "mon-sun 20:00-08:00"."""
    if hours is None:
        return "24h"
    days = [(day, format_spans(hours.get(day, [])) or "closed") for day in WEEKDAYS]
    runs: list[tuple[str, str, str]] = []
    for day, text in days:
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    return "; ".join(f"{a}-{b} {t}" if a != b else f"{a} {t}" for a, b, t in runs)


def special_days_text(days: Mapping[str, list[list[str]]] | None) -> str:
    return "; ".join(
        f"{day} {format_spans(spans) or 'closed'}" for day, spans in (days or {}).items()
    )


def snapshot(line: Line, numbers: list[str]) -> dict[str, Any]:
    """What the audit log keeps of a line (the hours in words: an entry holds 300 characters)."""
    return {
        "name": line.name,
        "numbers": list(numbers),
        "languages": list(line.languages),
        "timezone": line.timezone,
        "opening_hours": hours_text(line.opening_hours),
        "special_days": special_days_text(line.special_days),
        "after_hours_action": line.after_hours_action,
        "max_queue_wait_s": line.max_queue_wait_s,
        "overflow_action": line.overflow_action,
        "partner_number": line.partner_number,
        "recording": line.recording,
        "local_prefixes": list(line.local_prefixes),
        "retention_days": line.retention_days,
        "escalation_policy_id": line.escalation_policy_id,
        "active": line.active,
    }


AUDIT_DETAIL_MAX = 300  # hotline.audit.models.AuditEvent.detail


def _audit(
    session: Session,
    *,
    now: datetime,
    line: Line,
    summary: str,
    before: Mapping[str, Any],
    actor: User | None,
    via: str,
    ip: str | None,
) -> None:
    """Audit rows `summary (via): {"before": ..., "after": ...}` with the fields that changed,
    as many fields to a row as fit in one entry."""
    after = snapshot(line, lines.numbers_of(session=session, line=line))
    keys = [key for key in after if before.get(key) != after[key]]
    prefix = f"{summary} ({via}): "
    chunks: list[list[str]] = [[]]
    for key in keys:
        trial = chunks[-1] + [key]
        if chunks[-1] and len(prefix + _changes(trial, before, after)) > AUDIT_DETAIL_MAX:
            chunks.append([key])
        else:
            chunks[-1] = trial
    for chunk in chunks:
        record(
            session=session,
            now=now,
            action=AuditAction.edit,
            object_type="line",
            object_id=line.id,
            user=actor,
            detail=prefix + _changes(chunk, before, after),
            ip=ip,
        )


def _changes(keys: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    changes = {"after": {key: after[key] for key in keys}}
    if before:  # a new line has no before
        changes = {"before": {key: before.get(key) for key in keys}, **changes}
    return json.dumps(changes, ensure_ascii=False, separators=(",", ":"))


# --- changes -----------------------------------------------------------------------------------


def _apply(line: Line, fields: LineFields) -> None:
    values = asdict(fields)
    del values["numbers"]
    for key, value in values.items():
        setattr(line, key, value)


def create_line(
    *,
    session: Session,
    fields: LineFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> Line:
    line = Line(number=fields.numbers[0], name=fields.name)
    _apply(line, fields)
    session.add(line)
    session.flush()
    lines.set_numbers(session=session, line=line, numbers=fields.numbers)
    _audit(session, now=now, line=line, summary="created", before={}, actor=actor, via=via, ip=ip)
    return line


@dataclass(frozen=True)
class Renumbered:
    """What a save asks of the phone network."""

    point: list[str]  # to point at this deployment (added ones, or all if the fallback changed)
    release: list[str]  # taken off the line: to answer "not in service"


def update_line(
    *,
    session: Session,
    line: Line,
    fields: LineFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> Renumbered:
    """Save the form; the numbers to point at this deployment and those to release."""
    old_numbers = lines.numbers_of(session=session, line=line)
    before = snapshot(line, old_numbers)
    _apply(line, fields)
    session.add(line)
    session.flush()
    lines.set_numbers(session=session, line=line, numbers=fields.numbers)
    _audit(
        session, now=now, line=line, summary="edited", before=before, actor=actor, via=via, ip=ip
    )
    removed = [n for n in old_numbers if n not in fields.numbers]
    if before["partner_number"] != line.partner_number or before["languages"] != line.languages:
        return Renumbered(list(fields.numbers), removed)  # the static fallback answer changed
    return Renumbered([n for n in fields.numbers if n not in old_numbers], removed)


@dataclass(frozen=True)
class Deactivation:
    """What deactivating a line means now, shown before confirming."""

    waiting: int  # calls of the line waiting now (they stay queued and are still answered)
    numbers: list[str]  # they answer "not in service" to new callers


def waiting_calls(*, session: Session, line: Line) -> int:
    states = [s.value for s in WAITING_STATES]
    query = select(func.count()).where(Call.line_id == line.id, col(Call.state).in_(states))
    return int(session.exec(query).one())


def check_may_deactivate(*, session: Session, line: Line) -> Deactivation:
    """Refuse to deactivate the only active line (every caller would reach nobody)."""
    if not line.active:
        raise LinesError("inactive", 409)
    others = session.exec(
        select(func.count()).where(col(Line.active).is_(True), col(Line.id) != line.id)
    ).one()
    if int(others) == 0:
        raise LinesError("last_line", 409)
    return Deactivation(
        waiting=waiting_calls(session=session, line=line),
        numbers=lines.numbers_of(session=session, line=line),
    )


def set_active(
    *,
    session: Session,
    line: Line,
    active: bool,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> Line:
    if not active:
        check_may_deactivate(session=session, line=line)
    before = snapshot(line, lines.numbers_of(session=session, line=line))
    line.active = active
    session.add(line)
    session.flush()
    summary = "activated" if active else "deactivated"
    _audit(session, now=now, line=line, summary=summary, before=before, actor=actor, via=via, ip=ip)
    return line


# --- the phone network -------------------------------------------------------------------------


class NumberSyncer(Protocol):
    """Points a number's webhooks at this deployment (`TelephonyPort` is one)."""

    def sync_number(self, number: str, *, fallback_url: str | None = None) -> None: ...

    def release_number(self, number: str) -> bool: ...


@dataclass(frozen=True)
class SyncAnswer:
    number: str
    ok: bool
    error: str = ""
    fallback_url: str | None = None
    released: bool = False  # un-pointed: the number now answers "not in service"
    absent: bool = False  # released, but the account does not have the number: nothing to do


def fallback_name(number: str) -> str:
    return "".join(ch for ch in number if ch.isascii() and ch.isdigit())


def fallback_url_for(template: str | None, number: str) -> str | None:
    return template.replace("{number}", fallback_name(number)) if template else None


def sync_numbers(
    port: NumberSyncer, numbers: list[str], fallback_template: str | None
) -> list[SyncAnswer]:
    """Point each number's voice and SMS URLs (and its fallback URL) here; the provider's answer
    for each, an error as its text (never raised: the save is already done)."""
    answers: list[SyncAnswer] = []
    for number in numbers:
        fallback_url = fallback_url_for(fallback_template, number)
        try:
            port.sync_number(number, fallback_url=fallback_url)
        except Exception as error:  # noqa: BLE001 - any failure is the provider's answer to show
            answers.append(SyncAnswer(number, False, str(error)[:300] or type(error).__name__))
            continue
        answers.append(SyncAnswer(number, True, fallback_url=fallback_url))
    return answers


def release_numbers(port: NumberSyncer, numbers: list[str]) -> list[SyncAnswer]:
    """Un-point each number (it answers "not in service"); the provider's answer for each, an
    error as its text (never raised: the save is already done)."""
    answers: list[SyncAnswer] = []
    for number in numbers:
        try:
            found = port.release_number(number)
        except Exception as error:  # noqa: BLE001 - any failure is the provider's answer to show
            answers.append(
                SyncAnswer(number, False, str(error)[:300] or type(error).__name__, released=True)
            )
            continue
        answers.append(SyncAnswer(number, True, released=True, absent=not found))
    return answers


def with_changes(form: LineForm, **changes: Any) -> LineForm:
    """The form with some fields replaced (the command line's `edit`)."""
    return replace(form, **changes)
