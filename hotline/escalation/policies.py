"""Escalation policies as staff keep them: who each step reaches now, checks, create, edit,
delete, and which lines use a policy. Shared by `/admin/policies`, `hotline policies` and the
readiness report (`hotline check`).

Who a step reaches is the engine's own resolution (`service.target_people`, `skip_reason`)
plus whether the step's channels can reach each person (`paging.has_phone` for SMS and voice),
so the page, the CLI and the readiness report say what a real escalation would do. Every change
goes to the audit log with the fields before and after, in the caller's unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.escalation import paging
from hotline.escalation.models import RESPONDERS, Channel, EscalationPolicy, PolicyDrill
from hotline.escalation.service import SKIP_DISABLED, TARGET_KINDS, skip_reason, target_people
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.push.models import PushSubscription
from hotline.rota import service as rota
from hotline.rota.models import Schedule

MAX_STEPS = 10
MAX_WAIT_MINUTES = 60
PHONE_CHANNELS = (Channel.sms.value, Channel.voice.value)
CHANNELS = tuple(c.value for c in Channel)
KIND_LABELS = {
    "schedule": N_("On call in schedule %(name)s"),
    "user": N_("%(name)s"),
    "crisis_on_call": N_("Crisis on-call"),
    "supervisor_on_duty": N_("Supervisor on duty"),
}
CHANNEL_LABELS = {
    "console": N_("Console"),
    "sms": N_("SMS"),
    "voice": N_("Voice call"),
    "push": N_("Push notification"),
}
# Why a target reaches nobody, or a person not on every channel of the step.
PROBLEMS = {
    "empty": N_("%(target)s: nobody is on call now."),
    "gone": N_("%(target)s: it no longer exists."),
    "disabled": N_("%(name)s: the account is disabled."),
    "role": N_("%(name)s: their role cannot acknowledge an escalation."),
    "no_phone": N_("%(name)s: no phone number, so SMS and voice pages cannot reach them."),
    "no_push_device": N_(
        "%(name)s: no device allows notifications, so push pages cannot reach them."
    ),
}


class PolicyError(DomainError):
    """A change to a policy that is refused; `errors` names the form fields at fault."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "not_found": N_("There is no such escalation policy."),
        "invalid": N_("Some fields need correcting."),
        "name_required": N_("Enter a name for the policy (at most 100 characters)."),
        "name_taken": N_("Another policy already has this name."),
        "bad_repeat": N_("Run the steps 1 to 10 times."),
        "no_steps": N_("Add at least one step (at most 10)."),
        "no_targets": N_("Choose who this step pages."),
        "bad_target": N_(
            "Choose from the list: a schedule, a person of the crisis team, the crisis on-call "
            "or the supervisor on duty."
        ),
        "no_channels": N_("Choose at least one way to page them."),
        "bad_wait": N_("Wait a whole number of minutes, from 1 to 60."),
        "bad_line": N_("Choose lines that exist."),
        "pages_nobody": N_(
            "This policy would page nobody right now: not saved. Who is missing is shown under "
            "each step."
        ),
        "in_use": N_("Lines use this policy: %(lines)s. Give them another policy first."),
    }


# --- who a policy reaches now --------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    channels: list[str]  # the step's channels that reach them


@dataclass(frozen=True)
class Problem:
    code: str  # a key of PROBLEMS
    target: str = ""  # the target's label parameters: kind and name
    kind: str = ""
    name: str = ""


@dataclass
class StepReach:
    number: int  # from 1
    step: dict[str, Any]
    people: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def nobody(self) -> bool:
        return not self.people


def _target_name(session: Session, target: dict[str, Any]) -> str | None:
    """The name in a target's label; None when what it names is gone."""
    kind = target.get("kind")
    if kind == "schedule":
        schedule = session.get(Schedule, int(target.get("id") or 0))
        return schedule.name if schedule else None
    if kind == "user":
        user = session.get(User, int(target.get("id") or 0))
        return user.display_name if user else None
    return "" if kind in TARGET_KINDS else None


def step_reach(*, session: Session, step: dict[str, Any], number: int, now: datetime) -> StepReach:
    """Who this step would page now, on which of its channels, and who is missing and why."""
    reach = StepReach(number=number, step=step)
    channels = [str(c) for c in step.get("channels") or []]
    seen: set[int] = set()
    for target in step.get("targets") or []:
        kind = str(target.get("kind", ""))
        name = _target_name(session, target)
        if name is None:
            reach.problems.append(Problem("gone", kind=kind, name=str(target.get("id", ""))))
            continue
        found = [p for p in target_people(session=session, target=target, now=now) if p not in seen]
        if not found and kind != "user":
            reach.problems.append(Problem("empty", kind=kind, name=name))
        for user_id in found:
            seen.add(user_id)
            _add_person(session, reach, session.get(User, user_id), channels)
    return reach


def _add_person(session: Session, reach: StepReach, user: User | None, channels: list[str]) -> None:
    if user is None or user.id is None:
        return
    skipped = skip_reason(user)
    if skipped is not None:  # the engine skips them too (and logs it)
        code = "disabled" if skipped == SKIP_DISABLED else "role"
        reach.problems.append(Problem(code, name=user.display_name))
        return
    phone = paging.has_phone(user)
    usable = [c for c in channels if phone or c not in PHONE_CHANNELS]
    if not phone and any(c in PHONE_CHANNELS for c in channels):
        reach.problems.append(Problem("no_phone", name=user.display_name))
    if Channel.push.value in usable and not _has_push_device(session, user.id):
        usable.remove(Channel.push.value)
        reach.problems.append(Problem("no_push_device", name=user.display_name))
    if usable:
        reach.people.append(Person(user_id=user.id, name=user.display_name, channels=usable))


def _has_push_device(session: Session, user_id: int) -> bool:
    found = session.exec(
        select(PushSubscription.id).where(PushSubscription.user_id == user_id)
    ).first()
    return found is not None


def reach_now(
    *, session: Session, steps: Sequence[dict[str, Any]], now: datetime
) -> list[StepReach]:
    return [
        step_reach(session=session, step=step, number=number, now=now)
        for number, step in enumerate(steps, start=1)
    ]


def reaches_nobody(reach: Iterable[StepReach]) -> bool:
    return all(step.nobody for step in reach)


def problem_text(problem: Problem, _: Any) -> str:
    """A problem in words (`_` translates)."""
    target = ""
    if problem.kind:
        target = _(KIND_LABELS.get(problem.kind, "%(name)s")) % {"name": problem.name}
    return str(_(PROBLEMS[problem.code]) % {"target": target, "name": problem.name})


def target_text(target: dict[str, Any], session: Session, _: Any) -> str:
    kind = str(target.get("kind", ""))
    name = _target_name(session, target)
    return str(_(KIND_LABELS.get(kind, "%(name)s")) % {"name": name or f"#{target.get('id')}"})


# --- reading ------------------------------------------------------------------------------------


def list_policies(*, session: Session) -> list[EscalationPolicy]:
    return list(session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.name))))


def get_policy(*, session: Session, policy_id: int) -> EscalationPolicy:
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise PolicyError("not_found", 404)
    return policy


def find_policy(*, session: Session, name_or_id: str) -> EscalationPolicy | None:
    """By exact name, else by id (for `hotline policies show`)."""
    found = session.exec(
        select(EscalationPolicy).where(EscalationPolicy.name == name_or_id)
    ).first()
    if found is None and name_or_id.isdigit():
        found = session.get(EscalationPolicy, int(name_or_id))
    return found


def lines_using(*, session: Session, policy_id: int) -> list[Line]:
    return list(
        session.exec(
            select(Line).where(Line.escalation_policy_id == policy_id).order_by(col(Line.name))
        )
    )


def line_choices(*, session: Session) -> list[Line]:
    return list(session.exec(select(Line).order_by(col(Line.name))))


def schedule_choices(*, session: Session) -> list[Schedule]:
    return rota.list_schedules(session=session)


def people_choices(*, session: Session) -> list[User]:
    """Who a step may name: the crisis team (only they can acknowledge and answer)."""
    return list(
        session.exec(
            select(User)
            .where(col(User.role).in_([r.value for r in RESPONDERS]))
            .order_by(col(User.display_name))
        )
    )


# --- checking a submitted policy ----------------------------------------------------------------


@dataclass(frozen=True)
class PolicyFields:
    name: str
    repeat: int
    steps: list[dict[str, Any]]
    line_ids: list[int]


def parse_target(session: Session, token: str) -> dict[str, Any] | None:
    """ "schedule:3", "user:5", "crisis_on_call", "supervisor_on_duty" -> a stored target."""
    kind, _sep, ident = token.partition(":")
    if kind in ("crisis_on_call", "supervisor_on_duty") and not ident:
        return {"kind": kind}
    if not ident.isdigit() or len(ident) > 9:
        return None
    if kind == "schedule" and session.get(Schedule, int(ident)) is not None:
        return {"kind": "schedule", "id": int(ident)}
    user = session.get(User, int(ident)) if kind == "user" else None
    if user is not None and user.role in RESPONDERS:
        return {"kind": "user", "id": int(ident)}
    return None


def _check_step(
    session: Session, index: int, raw: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    targets = [parse_target(session, str(t)) for t in raw.get("targets") or []]
    if not targets:
        errors[f"step-{index}-targets"] = "no_targets"
    elif any(t is None for t in targets):
        errors[f"step-{index}-targets"] = "bad_target"
    channels = [str(c) for c in raw.get("channels") or []]
    if not channels or any(c not in CHANNELS for c in channels):
        errors[f"step-{index}-channels"] = "no_channels"
    wait = str(raw.get("wait", "")).strip()
    if not wait.isdigit() or not 1 <= int(wait) <= MAX_WAIT_MINUTES:
        errors[f"step-{index}-wait"] = "bad_wait"
    return {
        "targets": [t for t in targets if t is not None],
        "channels": [c for c in CHANNELS if c in channels],  # in the engine's usual order
        "wait_minutes": int(wait) if wait.isdigit() else 0,
    }


def check_policy(
    *,
    session: Session,
    name: str,
    repeat: str,
    steps: Sequence[dict[str, Any]],
    line_ids: Iterable[str],
    policy_id: int | None = None,
) -> PolicyFields:
    """The submitted form, checked field by field; raises with every field at fault at once."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = "name_required"
    else:
        other = session.exec(select(EscalationPolicy).where(EscalationPolicy.name == name)).first()
        if other is not None and other.id != policy_id:
            errors["name"] = "name_taken"
    repeat = repeat.strip()
    if not repeat.isdigit() or not 1 <= int(repeat) <= 10:
        errors["repeat"] = "bad_repeat"
    if not steps or len(steps) > MAX_STEPS:
        errors["steps"] = "no_steps"
    checked = [_check_step(session, i, raw, errors) for i, raw in enumerate(steps[:MAX_STEPS])]
    lines: list[int] = []
    for raw_id in line_ids:
        line = session.get(Line, int(raw_id)) if raw_id.isdigit() and len(raw_id) < 10 else None
        if line is None or line.id is None:
            errors["lines"] = "bad_line"
        elif line.id not in lines:
            lines.append(line.id)
    if errors:
        raise PolicyError("invalid", errors=errors)
    return PolicyFields(name=name, repeat=int(repeat), steps=checked, line_ids=lines)


# --- changes ------------------------------------------------------------------------------------


def _step_summary(step: dict[str, Any]) -> str:
    targets = ",".join(
        f"{t.get('kind')}#{t['id']}" if "id" in t else str(t.get("kind"))
        for t in step.get("targets") or []
    )
    return f"{targets}/{','.join(step.get('channels') or [])}/{step.get('wait_minutes')}m"


def snapshot(session: Session, policy: EscalationPolicy) -> dict[str, Any]:
    """What the audit log keeps of a policy: compact, so before and after fit."""
    lines = lines_using(session=session, policy_id=policy.id) if policy.id is not None else []
    return {
        "name": policy.name,
        "repeat": policy.repeat,
        "steps": [_step_summary(step) for step in policy.steps or []],
        "lines": [line.name for line in lines],
    }


def _audit(
    session: Session,
    *,
    now: datetime,
    actor: User | None,
    policy_id: int | None,
    summary: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    via: str,
    ip: str | None,
) -> None:
    keys = [k for k in (after or before or {}) if (before or {}).get(k) != (after or {}).get(k)]
    changes = {
        "before": {k: (before or {}).get(k) for k in keys} if before is not None else None,
        "after": {k: (after or {}).get(k) for k in keys} if after is not None else None,
    }
    record(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="escalation_policy",
        object_id=policy_id,
        user=actor,
        username=None if actor else via,
        detail=f"{summary} ({via}): "
        + json.dumps(changes, ensure_ascii=False, separators=(",", ":")),
        ip=ip,
    )


def _assign_lines(session: Session, policy_id: int, line_ids: list[int]) -> None:
    """The chosen lines use this policy; a line no longer chosen falls back to the default."""
    for line in session.exec(select(Line)):
        chosen = line.id in line_ids
        if chosen and line.escalation_policy_id != policy_id:
            line.escalation_policy_id = policy_id
            session.add(line)
        elif not chosen and line.escalation_policy_id == policy_id:
            line.escalation_policy_id = None
            session.add(line)


def _check_reaches(session: Session, steps: list[dict[str, Any]], now: datetime) -> None:
    if reaches_nobody(reach_now(session=session, steps=steps, now=now)):
        raise PolicyError("pages_nobody", 409)


def save_policy(
    *,
    session: Session,
    fields: PolicyFields,
    policy: EscalationPolicy | None,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> EscalationPolicy:
    """Create (`policy` None) or edit a policy and the lines that use it. A policy that would
    page nobody now is refused before anything changes."""
    _check_reaches(session, fields.steps, now)
    before = snapshot(session, policy) if policy is not None else None
    if policy is None:
        policy = EscalationPolicy(name=fields.name)
    policy.name = fields.name
    policy.repeat = fields.repeat
    policy.steps = fields.steps
    session.add(policy)
    session.flush()
    assert policy.id is not None
    _assign_lines(session, policy.id, fields.line_ids)
    session.flush()
    _audit(
        session,
        now=now,
        actor=actor,
        policy_id=policy.id,
        summary="created" if before is None else "edited",
        before=before,
        after=snapshot(session, policy),
        via=via,
        ip=ip,
    )
    return policy


def delete_policy(
    *,
    session: Session,
    policy: EscalationPolicy,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> None:
    """Refused while a line uses it (the line would silently fall back to the default). Its
    drills stay in the log, with the policy's name and steps as they ran."""
    assert policy.id is not None
    using = lines_using(session=session, policy_id=policy.id)
    if using:
        raise PolicyError("in_use", 409, params={"lines": ", ".join(line.name for line in using)})
    before = snapshot(session, policy)
    for drill in session.exec(select(PolicyDrill).where(PolicyDrill.policy_id == policy.id)):
        drill.policy_id = None
        session.add(drill)
    session.flush()
    session.delete(policy)
    _audit(
        session,
        now=now,
        actor=actor,
        policy_id=policy.id,
        summary="deleted",
        before=before,
        after=None,
        via=via,
        ip=ip,
    )
