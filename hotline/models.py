"""Import every table so metadata (Alembic, tests) sees them all."""

from hotline.audit.models import AuditEvent
from hotline.auth.models import User
from hotline.board.models import CallMonitor, HelpRequest
from hotline.calls.models import Call, CallEvent
from hotline.db import metadata
from hotline.escalation.models import Escalation, EscalationLog, EscalationPolicy, Page
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory, NoteAddendum, ReferralResource
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
    "CallMonitor",
    "HelpRequest",
    "CallEvent",
    "CallNote",
    "IssueCategory",
    "Line",
    "NoteAddendum",
    "PresenceEvent",
    "ReferralResource",
    "Rotation",
    "Schedule",
    "ScheduleOverride",
    "SwapRequest",
    "User",
    "WebhookReceipt",
    "metadata",
]
