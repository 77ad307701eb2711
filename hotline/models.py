"""Import every table so metadata (Alembic, tests) sees them all."""

from hotline.auth.models import User
from hotline.calls.models import Call, CallEvent
from hotline.db import metadata
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory, NoteAddendum, ReferralResource
from hotline.routing.models import AgentStatus, PresenceEvent
from hotline.telephony.models import WebhookReceipt

__all__ = [
    "AgentStatus",
    "Call",
    "CallEvent",
    "CallNote",
    "IssueCategory",
    "Line",
    "NoteAddendum",
    "PresenceEvent",
    "ReferralResource",
    "User",
    "WebhookReceipt",
    "metadata",
]
