"""Reading a posted supervision-session form into `SessionData`, every field checked.

Dates and times are typed in local time (`tz`); a refusal names each field's problem so the
page can show it next to the field (422, nothing written)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hotline.supervision.models import SessionKind
from hotline.supervision.service import (
    MAX_ACTION,
    MAX_DURATION_MIN,
    NewAction,
    SessionData,
    SupervisionError,
)

ACTION_ROWS = 3  # blank action rows each form offers
_CALL = re.compile(r"#?(\d{1,9})")


@dataclass
class SessionForm:
    """What was posted, as text, to show again after a refusal."""

    kind: str = "group"
    supervisor: str = ""
    day: str = ""
    at: str = ""
    duration: str = "60"
    counselors: list[str] = field(default_factory=list)
    calls: str = ""
    themes: str = ""
    actions: list[dict[str, str]] = field(
        default_factory=lambda: [{"text": "", "owner": "", "due": ""} for _ in range(ACTION_ROWS)]
    )
    debrief: str = ""

    @classmethod
    def read(cls, values: Mapping[str, str], lists: Mapping[str, Sequence[str]]) -> SessionForm:
        return cls(
            kind=values.get("kind", ""),
            supervisor=values.get("supervisor", ""),
            day=values.get("day", "").strip(),
            at=values.get("at", "").strip(),
            duration=values.get("duration", "").strip(),
            counselors=[v for v in lists.get("counselors", []) if v],
            calls=values.get("calls", "").strip(),
            themes=values.get("themes", "").strip(),
            actions=[
                {
                    "text": values.get(f"action_text_{i}", "").strip(),
                    "owner": values.get(f"action_owner_{i}", ""),
                    "due": values.get(f"action_due_{i}", "").strip(),
                }
                for i in range(ACTION_ROWS)
            ],
            debrief=values.get("debrief", ""),
        )

    def data(self, tz: ZoneInfo) -> SessionData:
        """The checked values; `SupervisionError("invalid")` with each field's reason if not."""
        errors: dict[str, str] = {}
        kind = SessionKind.group
        try:
            kind = SessionKind(self.kind)
        except ValueError:
            errors["kind"] = "bad_kind"
        held_at = None
        try:
            local = datetime.combine(date.fromisoformat(self.day), time.fromisoformat(self.at))
            held_at = local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))
        except ValueError:
            errors["when"] = "bad_when"
        duration = _int(self.duration)
        if duration is None or not 1 <= duration <= MAX_DURATION_MIN:
            errors["duration"] = "bad_duration"
        supervisor = _int(self.supervisor)
        if supervisor is None:
            errors["supervisor"] = "bad_supervisor"
        counselors = [_int(v) for v in self.counselors]
        if not counselors or None in counselors:
            errors["counselors"] = "no_counselors"
        calls: list[int] = []
        for part in filter(None, re.split(r"[\s,，;]+", self.calls)):
            match = _CALL.fullmatch(part)
            if match is None:
                errors["calls"] = "bad_calls"
                break
            calls.append(int(match.group(1)))
        actions: list[NewAction] = []
        for row in self.actions:
            if not any(row.values()):
                continue
            owner = _int(row["owner"])
            try:
                due = date.fromisoformat(row["due"])
            except ValueError:
                due = None
            if not row["text"] or len(row["text"]) > MAX_ACTION or owner is None or due is None:
                errors["actions"] = "bad_action"
                continue
            actions.append(NewAction(text=row["text"], owner_id=owner, due_on=due))
        if errors:
            raise SupervisionError("invalid", errors=errors)
        assert held_at is not None and duration is not None and supervisor is not None
        return SessionData(
            kind=kind,
            supervisor_id=supervisor,
            held_at=held_at,
            duration_min=duration,
            counselor_ids=[c for c in counselors if c is not None],
            call_ids=calls,
            themes=self.themes or None,
            actions=actions,
            debrief_id=_int(self.debrief),
        )


def _int(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return int(text)
