"""The counselor console's websocket snapshot (docs/console-protocol.md): the whole truth one
console renders from. Times are ISO strings, as sent. Every model forbids fields it does not
name, so a field added to the snapshot without its description here fails the tests instead of
reaching the page undocumented. The optional parts are sent only to those they concern."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hotline.board.schemas import HelpRequest
from hotline.callcontrol.schemas import CallControlState, TransferView
from hotline.cases.schemas import CaseCard


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Agent(Shape):
    """offline, available, offered, on_call, wrap_up, break or away; since when; why."""

    state: str
    reason: str | None
    since: str | None
    # Where their calls ring this shift: "phone" (their own) or "browser" (the console's).
    phone_mode: str = "phone"
    # Offered voice calls too while holding text conversations (chosen per shift).
    calls_while_chatting: bool = False


class Offer(Shape):
    """A caller offered to this counselor, to accept before `expires_at`."""

    call_id: int
    line_name: str
    line_number: str
    language: str | None
    priority: int
    in_danger: bool
    repeat_caller: bool
    high_risk_history: bool
    queued_at: str | None
    expires_at: str | None
    # voice, sms, webchat or wechat: the offer says how the person is reaching out.
    channel: str = "voice"


class CallEscalation(Shape):
    escalation_id: int
    level: str
    status: str
    rescue_status: str | None


class Help(Shape):
    """The latest help request on the call; `acknowledged_by` is the supervisor's name."""

    help_id: int
    status: Literal["open", "acknowledged", "closed"]
    created_at: str | None
    acknowledged_by: str | None


class LiveCall(Shape):
    """The counselor's call; `crisis_level`: the higher of the note's suggested and confirmed
    level; `escalated`: an escalation was raised for it."""

    call_id: int
    state: Literal["connecting", "connected", "wrap_up"]
    line_name: str
    line_number: str
    language: str | None
    in_danger: bool
    repeat_caller: bool
    high_risk_history: bool
    crisis_level: str | None
    escalated: bool
    escalation: CallEscalation | None
    connected_at: str | None
    ended_at: str | None
    help: Help | None = None
    # Connected calls: mute, hold and the parties added (hotline/callcontrol).
    control: CallControlState | None = None


class Alert(Shape):
    """An open escalation this person was paged for. Once the caller's call has ended
    (`call_ended_at`, `call_ended_time` on the line's clock) joining is refused and `call_back`
    says how they can be called back, never the number: "followup", "callback_number" or null."""

    escalation_id: int
    call_id: int
    level: str
    status: str
    line_name: str
    created_at: str
    acknowledged: bool
    acknowledged_by_me: bool
    rescue_status: str | None
    call_ended_at: str | None
    call_ended_time: str | None
    call_back: str | None = None
    # The escalated contact's channel: voice, or sms / webchat / wechat (joined in the console).
    channel: str = "voice"


class UnfinishedNote(Shape):
    """A note still to submit (GET /api/notes/unfinished); never its text."""

    call_id: int
    at: str
    line_name: str
    level: str | None
    connected: bool
    overdue: bool


class FollowUpsDue(Shape):
    """Call-backs due now on the counselor's lines, theirs or nobody's yet."""

    count: int
    priority: int


class InDangerWaiting(Shape):
    call_id: int
    line_name: str
    queued_at: str | None


class ConversationCard(Shape):
    """A text conversation the counselor holds (connected, or its note being written)."""

    call_id: int
    channel: str
    # "ended": a conversation a crisis worker joined, once the person is gone (role responder).
    state: Literal["connected", "wrap_up", "ended"]
    line_name: str
    language: str | None
    in_danger: bool
    repeat_caller: bool
    high_risk_history: bool
    crisis_level: str | None
    escalated: bool
    connected_at: str | None
    ended_at: str | None
    # The person's messages since the counselor last wrote.
    unread: int = 0
    last_message_id: int | None = None
    # "responder": a crisis worker who joined it on an escalation (they write as the crisis
    # worker; its note stays the counselor's). `counselor_left`: the counselor's part is over,
    # the conversation is the crisis worker's alone (they may end it).
    role: Literal["counselor", "responder"] = "counselor"
    escalation_id: int | None = None
    counselor_left: bool = False


class OwnMonitor(Shape):
    """A call this supervisor listens to, whispers on or barges into from the live board: their
    leg is dialling or in the call (their browser phone, if they chose it, expects it)."""

    monitor_id: int
    call_id: int
    mode: Literal["listen", "whisper", "barge"]
    status: Literal["dialing", "joined"]


class ConsoleSnapshot(Shape):
    type: Literal["snapshot"] = "snapshot"
    server_time: str
    agent: Agent
    offer: Offer | None
    call: LiveCall | None
    alerts: list[Alert]
    conversations: list[ConversationCard] = []
    unfinished_notes: list[UnfinishedNote] | None = None
    followups_due: FollowUpsDue | None = None
    # Supervisors and admins only: help requests they were alerted to, callers in danger still
    # waiting, priority follow-ups past due, voicemails nobody has handled.
    help_alerts: list[HelpRequest] | None = None
    in_danger_waiting: list[InDangerWaiting] | None = None
    priority_followups_overdue: int | None = None
    voicemails_waiting: int | None = None
    # Supervisors and admins only: their live monitor of a call, if any (hotline/board).
    monitor: OwnMonitor | None = None
    # The caller's case (tier, flags, safety plan) for the call offered to or held by them.
    case: CaseCard | None = None
    # An open transfer they started, or one a colleague asks them to take (hotline/callcontrol).
    transfer: TransferView | None = None

    def message(self) -> dict[str, Any]:
        """As sent: only the parts this snapshot carries."""
        return self.model_dump(mode="json", exclude_unset=True)
