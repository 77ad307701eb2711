"""Escalations of high-risk calls to the crisis team: policies, the escalation itself, the pages
it sends (an outbox, so a crash loses no page), and its log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint
from sqlmodel import JSON, Field, SQLModel

from hotline.auth.models import Role
from hotline.crypto import EncryptedText
from hotline.models_base import StrEnumType, UTCDateTime


class EscalationStatus(StrEnum):
    paging = "paging"  # steps are running until someone acknowledges
    acknowledged = "acknowledged"
    joined = "joined"  # the responder is in the caller's conference
    took_over = "took_over"  # the responder has the caller; the counselor has left the call
    called_back = "called_back"  # the caller was gone; the responder called them back
    unacknowledged = "unacknowledged"  # every step and repeat ran; the supervisor is alarmed
    resolved = "resolved"


# Who may acknowledge (and so answer) an escalation; the crisis rota holds only these.
RESPONDERS = (Role.crisis, Role.supervisor, Role.admin)

OPEN_STATUSES = frozenset(
    {
        EscalationStatus.paging,
        EscalationStatus.acknowledged,
        EscalationStatus.joined,
        EscalationStatus.took_over,
        EscalationStatus.called_back,
        EscalationStatus.unacknowledged,
    }
)


class Channel(StrEnum):
    console = "console"
    sms = "sms"
    voice = "voice"
    push = "push"  # web push to the devices the person allowed (hotline.push)


class PageStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    answered = "answered"


class EscalationPolicy(SQLModel, table=True):
    """Ordered steps, run `repeat` times until someone acknowledges.

    A step: {"targets": [{"kind": "schedule", "id": 1} | {"kind": "user", "id": 5} |
    {"kind": "supervisor_on_duty"}], "channels": ["console", "sms", "voice"], "wait_minutes": 5}
    """

    __tablename__ = "escalation_policies"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    repeat: int = Field(default=3, ge=1, le=10)
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class Escalation(SQLModel, table=True):
    __tablename__ = "escalations"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", unique=True)
    line_id: int = Field(foreign_key="lines.id")
    level: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    triggered_by: int | None = Field(default=None, foreign_key="users.id")
    status: EscalationStatus = Field(
        default=EscalationStatus.paging, sa_type=StrEnumType(EscalationStatus), index=True
    )
    # The policy as it was when the escalation started: later edits don't change it.
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Position in the whole run: round * len(steps) + step; == repeat * len(steps) -> alarm.
    attempt: int = 0
    next_step_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="users.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    alarm_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: int | None = Field(default=None, foreign_key="users.id")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=32)
    # Imminent risk: where the emergency-services rescue stands (see RescueStep).
    rescue_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Page(SQLModel, table=True):
    """One message to one person on one channel; sent from here by the dispatcher (outbox).

    A page belongs to exactly one of an escalation (a real caller) or a drill (a test of a
    policy, no caller): the database refuses a page with both or neither, so a drill page can
    never be read as a real alert, nor a real one as a drill."""

    __tablename__ = "escalation_pages"
    __table_args__ = (
        CheckConstraint(
            "(escalation_id IS NULL) <> (drill_id IS NULL)", name="escalation_or_drill"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id", index=True)
    drill_id: int | None = Field(default=None, foreign_key="policy_drills.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    channel: Channel = Field(sa_type=StrEnumType(Channel))
    status: PageStatus = Field(
        default=PageStatus.queued, sa_type=StrEnumType(PageStatus), index=True
    )
    attempts: int = 0
    provider_sid: str | None = Field(default=None, max_length=64, index=True)
    error: str | None = Field(default=None, max_length=300)
    alarm: bool = False  # sent because nobody acknowledged
    created_at: datetime = Field(sa_type=UTCDateTime)
    sending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EscalationLog(SQLModel, table=True):
    """Every trigger, page (with channel and delivery status), acknowledgement, join, resolution."""

    __tablename__ = "escalation_log"
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=32)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    channel: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, max_length=300)


class RescueStage(StrEnum):
    """Emergency services for imminent risk: requested -> dispatched -> contact confirmed, or
    failed (with what was done next), after which they may be requested again."""

    requested = "requested"
    dispatched = "dispatched"
    confirmed = "confirmed"
    failed = "failed"


# The emergency numbers a rescue step may record as called (the 12356 notice's linkage).
EMERGENCY_SERVICES = ("110", "120", "119")


class RescueStep(SQLModel, table=True):
    __tablename__ = "rescue_steps"
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)
    stage: RescueStage = Field(sa_type=StrEnumType(RescueStage))
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int = Field(foreign_key="users.id")
    # Which emergency service the person (user_id) called at `at`: 110 police, 120 ambulance,
    # 119 fire; None when the step was not a call to one of them.
    service: str | None = Field(default=None, max_length=8)
    # Who was called and what they said, or what was done next: may identify the caller.
    note: str | None = Field(default=None, sa_type=EncryptedText)


class DrillStatus(StrEnum):
    paging = "paging"  # steps are running until someone acknowledges
    acknowledged = "acknowledged"
    unacknowledged = "unacknowledged"  # every step and repeat ran without an acknowledgement
    stopped = "stopped"  # stopped by a supervisor or admin


class PolicyDrill(SQLModel, table=True):
    """ "Test this policy": its real people are paged step by step, as the engine would, with a
    message that says it is a drill. No call, no escalation: its pages point here instead."""

    __tablename__ = "policy_drills"
    id: int | None = Field(default=None, primary_key=True)
    # None once the policy is deleted; the name and the steps as run are kept below.
    policy_id: int | None = Field(default=None, foreign_key="escalation_policies.id", index=True)
    policy_name: str = Field(max_length=100)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The line whose number the SMS and paging calls come from (replies reach the webhooks).
    line_id: int = Field(foreign_key="lines.id")
    started_by: int = Field(foreign_key="users.id")
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: DrillStatus = Field(
        default=DrillStatus.paging, sa_type=StrEnumType(DrillStatus), index=True
    )
    attempt: int = 0
    next_step_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="users.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_channel: str | None = Field(default=None, max_length=16)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DrillLog(SQLModel, table=True):
    """Every step, page (sent or failed), acknowledgement and stop of a drill, with its time."""

    __tablename__ = "policy_drill_log"
    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="policy_drills.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=32)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    channel: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, max_length=300)
