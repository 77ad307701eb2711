"""API shapes of an escalation: what the console sends (escalate, rescue, resolve) and the
escalation it gets back, with its rescue steps and its log. Times are ISO 8601 text in UTC, as
`datetime.isoformat()` writes them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hotline.escalation.models import Escalation, EscalationLog, RescueStage, RescueStep


class EscalateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    level: str = "high"


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str


class RescueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: RescueStage
    note: str | None = Field(default=None, max_length=2000)
    # The emergency service the person recording the step called (110, 120 or 119), if any.
    service: Literal["110", "120", "119"] | None = None


class RescueStepOut(BaseModel):
    stage: str
    at: str
    user_id: int
    service: str | None = None


class LogEntryOut(BaseModel):
    """One line of the escalation log: a page sent or unanswered, an acknowledgement, a join."""

    at: str
    kind: str
    user_id: int | None
    channel: str | None
    detail: str | None


class EscalationOut(BaseModel):
    id: int
    call_id: int
    level: str
    status: str
    attempt: int
    next_step_at: str | None
    acknowledged_by: int | None
    outcome: str | None
    rescue_status: str | None
    rescue: list[RescueStepOut]
    timeline: list[LogEntryOut]

    @classmethod
    def of(
        cls,
        escalation: Escalation,
        *,
        rescue: Iterable[RescueStep],
        timeline: Iterable[EscalationLog],
    ) -> EscalationOut:
        return cls(
            id=escalation.id or 0,
            call_id=escalation.call_id,
            level=escalation.level,
            status=escalation.status.value,
            attempt=escalation.attempt,
            next_step_at=escalation.next_step_at.isoformat() if escalation.next_step_at else None,
            acknowledged_by=escalation.acknowledged_by,
            outcome=escalation.outcome,
            rescue_status=escalation.rescue_status,
            rescue=[
                RescueStepOut(
                    stage=step.stage.value,
                    at=step.at.isoformat(),
                    user_id=step.user_id,
                    service=step.service,
                )
                for step in rescue
            ],
            timeline=[
                LogEntryOut(
                    at=entry.at.isoformat(),
                    kind=entry.kind,
                    user_id=entry.user_id,
                    channel=entry.channel,
                    detail=entry.detail,
                )
                for entry in timeline
            ],
        )
