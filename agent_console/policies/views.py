"""What the policies pages show: the form's values, who each step reaches now, a drill's log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from hotline.escalation import drills
from hotline.escalation import policies as policy_service
from hotline.escalation.models import EscalationPolicy, PolicyDrill
from hotline.escalation.policies import CHANNEL_LABELS, StepReach
from hotline.i18n import N_

Translate = Callable[[str], str]
DEFAULT_WAIT = "5"
STATUS_LABELS = {
    "paging": N_("Paging"),
    "acknowledged": N_("Acknowledged"),
    "unacknowledged": N_("Nobody acknowledged"),
    "stopped": N_("Stopped"),
}
PAGE_STATUS_LABELS = {
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "answered": N_("Acknowledged"),
}
LOG_LABELS = {
    "started": N_("Drill started"),
    "step": N_("Step paged"),
    "page": N_("Page queued"),
    "page_sent": N_("Page delivered to the provider"),
    "page_retry": N_("Page retried"),
    "page_failed": N_("Page failed"),
    "page_unanswered": N_("Paging call not answered"),
    "nobody_on_call": N_("Nobody to page at this step"),
    "acknowledged": N_("Acknowledged"),
    "acknowledged_late": N_("Acknowledged after the drill ended"),
    "unacknowledged": N_("Every step ran: nobody acknowledged"),
    "stopped": N_("Drill stopped"),
}


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def token(target: dict[str, Any]) -> str:
    """A stored target as the form's checkbox value."""
    kind = str(target.get("kind", ""))
    return f"{kind}:{target['id']}" if "id" in target else kind


def form_values(policy: EscalationPolicy | None, line_ids: Sequence[int]) -> dict[str, Any]:
    if policy is None:
        return {
            "name": "",
            "repeat": "3",
            "steps": [{"targets": [], "channels": ["console", "sms", "voice"], "wait": "5"}],
            "line_ids": [],
        }
    return {
        "name": policy.name,
        "repeat": str(policy.repeat),
        "steps": [
            {
                "targets": [token(t) for t in step.get("targets") or []],
                "channels": list(step.get("channels") or []),
                "wait": str(step.get("wait_minutes", DEFAULT_WAIT)),
            }
            for step in policy.steps or []
        ],
        "line_ids": list(line_ids),
    }


def parse_steps(
    step: list[str], targets: list[str], channels: list[str], wait: list[str]
) -> list[dict[str, Any]]:
    """The form's fields back into steps: checkbox values are "<step index>|<value>"."""

    def of(values: list[str], index: str) -> list[str]:
        return [v.split("|", 1)[1] for v in values if v.split("|", 1)[0] == index and "|" in v]

    return [
        {
            "targets": of(targets, index),
            "channels": of(channels, index),
            "wait": wait[position] if position < len(wait) else "",
        }
        for position, index in enumerate(step[: policy_service.MAX_STEPS + 1])
    ]


def move(steps: list[dict[str, Any]], action: str) -> tuple[list[dict[str, Any]], str | None]:
    """Apply a form button that edits the steps (add, remove-N, up-N, down-N); the button to
    focus after the page comes back, so a keyboard user stays where they were."""
    verb, _sep, raw = action.partition("-")
    index = int(raw) if raw.isdigit() else -1
    steps = list(steps)
    if verb == "add" and len(steps) < policy_service.MAX_STEPS:
        steps.append({"targets": [], "channels": ["console", "sms", "voice"], "wait": DEFAULT_WAIT})
        return steps, f"remove-{len(steps) - 1}"
    if not 0 <= index < len(steps):
        return steps, None
    if verb == "remove" and len(steps) > 1:
        del steps[index]
        return steps, "add"
    if verb == "up" and index > 0:
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
        return steps, f"up-{index - 1}" if index - 1 > 0 else f"down-{index - 1}"
    if verb == "down" and index < len(steps) - 1:
        steps[index + 1], steps[index] = steps[index], steps[index + 1]
        last = len(steps) - 1
        return steps, f"down-{index + 1}" if index + 1 < last else f"up-{index + 1}"
    return steps, None


def preview(session: Session, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The submitted steps in the stored shape, keeping only targets that parse, for the reach."""
    out = []
    for raw in steps:
        parsed = [policy_service.parse_target(session, str(t)) for t in raw.get("targets") or []]
        out.append(
            {
                "targets": [t for t in parsed if t is not None],
                "channels": [c for c in raw.get("channels") or [] if c in CHANNEL_LABELS],
            }
        )
    return out


def reach_rows(reach: list[StepReach], _: Translate) -> list[dict[str, Any]]:
    return [
        {
            "number": step.number,
            "nobody": step.nobody,
            "people": [
                {
                    "name": person.name,
                    "channels": ", ".join(_(CHANNEL_LABELS[c]) for c in person.channels),
                }
                for person in step.people
            ],
            "problems": [policy_service.problem_text(p, _) for p in step.problems],
        }
        for step in reach
    ]


def step_rows(session: Session, steps: list[dict[str, Any]], _: Translate) -> list[dict[str, Any]]:
    return [
        {
            "number": number,
            "targets": [
                policy_service.target_text(t, session, _) for t in step.get("targets") or []
            ],
            "channels": [_(CHANNEL_LABELS.get(c, c)) for c in step.get("channels") or []],
            "wait": step.get("wait_minutes", ""),
        }
        for number, step in enumerate(steps, start=1)
    ]


def drill_row(drill: PolicyDrill, names: dict[int, str], _: Translate) -> dict[str, Any]:
    seconds = (
        int((drill.acknowledged_at - drill.started_at).total_seconds())
        if drill.acknowledged_at
        else None
    )
    return {
        "id": drill.id,
        "policy_id": drill.policy_id,
        "policy_name": drill.policy_name,
        "status": drill.status.value,
        "status_label": _(STATUS_LABELS.get(drill.status.value, drill.status.value)),
        "started_at": when(drill.started_at),
        "started_by": names.get(drill.started_by, f"#{drill.started_by}"),
        "acknowledged_by": names.get(drill.acknowledged_by or 0, ""),
        "acknowledged_at": when(drill.acknowledged_at),
        "channel": _(CHANNEL_LABELS.get(drill.acknowledged_channel or "", ""))
        if drill.acknowledged_channel
        else "",
        "seconds": seconds,
    }


def drill_detail(session: Session, drill: PolicyDrill, _: Translate) -> dict[str, Any]:
    assert drill.id is not None
    pages = drills.pages_of(session=session, drill_id=drill.id)
    entries = drills.drill_log(session=session, drill_id=drill.id)
    ids = {drill.started_by, drill.acknowledged_by or 0}
    ids |= {p.user_id for p in pages} | {e.user_id for e in entries if e.user_id}
    names = drills.names(session=session, user_ids=ids)
    return {
        "drill": drill_row(drill, names, _),
        "pages": [
            {
                "person": names.get(p.user_id, f"#{p.user_id}"),
                "channel": _(CHANNEL_LABELS.get(p.channel.value, p.channel.value)),
                "status": p.status.value,
                "status_label": _(PAGE_STATUS_LABELS.get(p.status.value, p.status.value)),
                "created_at": when(p.created_at),
                "sent_at": when(p.sent_at),
                "error": p.error or "",
            }
            for p in pages
        ],
        "log": [
            {
                "at": when(e.at),
                "kind": e.kind,
                "label": _(LOG_LABELS.get(e.kind, e.kind)),
                "person": names.get(e.user_id or 0, ""),
                "channel": _(CHANNEL_LABELS.get(e.channel or "", "")) if e.channel else "",
                "detail": e.detail or "",
            }
            for e in entries
        ],
    }
