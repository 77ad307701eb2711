"""Import every table so metadata (Alembic, tests) sees them all."""

from hotline.audit.models import AuditEvent
from hotline.auth.models import PhoneVerification, TotpRecoveryCode, User, UserSession
from hotline.blocklist.models import BlockedCaller
from hotline.board.models import CallMonitor, HelpRequest
from hotline.callcontrol.models import CallControl, CallParty, CallTransfer
from hotline.calls.models import Call, CallEvent
from hotline.cases.models import Case, SafetyPlan, TierChange, TierMap
from hotline.conversations.models import Conversation, ConversationMessage
from hotline.db import metadata
from hotline.dialback.models import DialBack, DialPacer
from hotline.escalation.models import (
    DrillLog,
    Escalation,
    EscalationLog,
    EscalationPolicy,
    Page,
    PolicyDrill,
    RescueStep,
)
from hotline.followups.models import FollowUp, FollowUpAttempt
from hotline.lines.models import Line, LineNumber
from hotline.lines.prompt_models import PromptAudio
from hotline.linkage.models import RescueNumber
from hotline.notes.models import (
    CallNote,
    IssueCategory,
    NoteAddendum,
    NoteChoice,
    ReferralResource,
)
from hotline.push.models import PushAckUse, PushSubscription
from hotline.quickreplies.models import QuickReply
from hotline.referrals.models import Referral, ReferralStatusChange
from hotline.retention.models import LegalHold, RecordingDeletion, RetentionRun
from hotline.review.models import CallRecording, CallReview
from hotline.rota.models import Rotation, Schedule, ScheduleOverride, SwapRequest
from hotline.routing.models import AgentStatus, ConsoleSocket, PresenceEvent
from hotline.stats.models import FiledReport, StatsCount, StatsHour, StatsRollup, StatsStale
from hotline.supervision.models import (
    DebriefRequest,
    QaSamplingRule,
    SupervisionAction,
    SupervisionAttendee,
    SupervisionCall,
    SupervisionSession,
)
from hotline.telephony.models import WebhookReceipt
from hotline.training.models import (
    Attendance,
    Course,
    EthicsSignoff,
    LineQualification,
    PersonQualification,
    Qualification,
    TrainingSession,
)
from hotline.voicemail.models import Voicemail

__all__ = [
    "Conversation",
    "ConversationMessage",
    "DialBack",
    "DialPacer",
    "CallControl",
    "CallParty",
    "CallTransfer",
    "PushAckUse",
    "PushSubscription",
    "QuickReply",
    "RescueNumber",
    "AuditEvent",
    "PhoneVerification",
    "ConsoleSocket",
    "TotpRecoveryCode",
    "UserSession",
    "StatsCount",
    "StatsHour",
    "StatsRollup",
    "StatsStale",
    "FiledReport",
    "Escalation",
    "EscalationLog",
    "EscalationPolicy",
    "FollowUp",
    "FollowUpAttempt",
    "Page",
    "PolicyDrill",
    "DrillLog",
    "AgentStatus",
    "BlockedCaller",
    "Call",
    "Case",
    "SafetyPlan",
    "TierChange",
    "TierMap",
    "CallMonitor",
    "HelpRequest",
    "CallEvent",
    "CallNote",
    "CallRecording",
    "CallReview",
    "IssueCategory",
    "LegalHold",
    "RecordingDeletion",
    "Line",
    "LineNumber",
    "NoteAddendum",
    "PresenceEvent",
    "PromptAudio",
    "NoteChoice",
    "Referral",
    "ReferralResource",
    "ReferralStatusChange",
    "RescueStep",
    "RetentionRun",
    "Rotation",
    "Schedule",
    "ScheduleOverride",
    "SwapRequest",
    "User",
    "Voicemail",
    "WebhookReceipt",
    "DebriefRequest",
    "QaSamplingRule",
    "SupervisionAction",
    "SupervisionAttendee",
    "SupervisionCall",
    "SupervisionSession",
    "Attendance",
    "Course",
    "EthicsSignoff",
    "LineQualification",
    "PersonQualification",
    "Qualification",
    "TrainingSession",
    "metadata",
]
