"""Import every table so metadata (Alembic, tests) sees them all."""

from hotline.audit.models import AuditEvent
from hotline.auth.models import User
from hotline.calls.models import Call, CallEvent
from hotline.db import metadata
from hotline.escalation.models import (
    Escalation,
    EscalationLog,
    EscalationPolicy,
    Page,
    RescueStep,
)
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory, NoteAddendum, ReferralResource
from hotline.review.models import CallRecording, CallReview
from hotline.rota.models import Rotation, Schedule, ScheduleOverride, SwapRequest
from hotline.routing.models import AgentStatus, PresenceEvent
from hotline.telephony.models import WebhookReceipt

__all__ = [
    "AuditEvent",
    "Escalation",
    "EscalationLog",
    "EscalationPolicy",
    "Page",
    "AgentStatus",
    "Call",
    "CallEvent",
    "CallNote",
    "CallRecording",
    "CallReview",
    "IssueCategory",
    "Line",
    "NoteAddendum",
    "PresenceEvent",
    "ReferralResource",
    "RescueStep",
    "Rotation",
    "Schedule",
    "ScheduleOverride",
    "SwapRequest",
    "User",
    "WebhookReceipt",
    "metadata",
]
