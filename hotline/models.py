"""Import every table so metadata (Alembic, tests) sees them all."""

from hotline.audit.models import AuditEvent
from hotline.auth.models import User
from hotline.blocklist.models import BlockedCaller
from hotline.calls.models import Call, CallEvent
from hotline.db import metadata
from hotline.escalation.models import Escalation, EscalationLog, EscalationPolicy, Page
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory, NoteAddendum, ReferralResource
from hotline.retention.models import LegalHold, RetentionRun
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
    "BlockedCaller",
    "Call",
    "CallEvent",
    "CallNote",
    "IssueCategory",
    "LegalHold",
    "Line",
    "NoteAddendum",
    "PresenceEvent",
    "ReferralResource",
    "RetentionRun",
    "Rotation",
    "Schedule",
    "ScheduleOverride",
    "SwapRequest",
    "User",
    "WebhookReceipt",
    "metadata",
]
