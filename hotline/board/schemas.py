"""The live board's websocket messages (docs/board-protocol.md): the snapshot the server sends
and the commands a supervisor's board sends (errors and pongs: hotline/realtime/schemas.py).
Times are ISO strings, as sent. Every model forbids fields it does not name, so a field added to
the board without its description here fails the tests instead of vanishing from the page."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from hotline.calls.models import Channel


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineQueue(Shape):
    """An active line: callers waiting (queued, or offered and not yet accepted), follow-ups
    past due, voicemails nobody has handled yet."""

    line_id: int
    name: str
    number: str
    queue_length: int
    waiting_by_channel: dict[str, int]  # of queue_length, by channel (those with any)
    longest_wait_since: str | None
    in_danger_waiting: int
    followups_overdue: int
    followups_overdue_priority: int
    voicemails_waiting: int
    oldest_voicemail_at: str | None


class Counselor(Shape):
    user_id: int
    name: str
    state: str
    reason: str | None
    since: str | None
    call_id: int | None
    conversations: int  # text conversations held (live or in wrap-up); state `chatting`


class ChannelCount(Shape):
    """Contacts on one channel (every channel listed): waiting, and live with a counselor."""

    channel: Channel
    waiting: int
    live: int


class Monitor(Shape):
    monitor_id: int
    user_id: int
    name: str
    mode: Literal["listen", "whisper", "barge"]
    status: str
    mine: bool


class LiveCall(Shape):
    call_id: int
    channel: Channel
    state: Literal["connecting", "connected"]
    line_id: int
    line_name: str
    line_number: str
    counselor_id: int | None
    counselor_name: str | None
    connected_at: str | None
    in_danger: bool
    repeat_caller: bool
    crisis_level: str | None
    colour: str | None
    flashing: bool
    escalated: bool
    monitorable: bool
    monitors: list[Monitor]


class OpenEscalation(Shape):
    escalation_id: int
    call_id: int
    line_name: str
    level: str
    colour: str | None
    status: str
    created_at: str | None
    attempt: int
    step: int
    round: int
    steps: int
    next_step_at: str | None
    acknowledged_by: str | None
    call_ended_at: str | None
    call_ended_time: str | None


class HelpRequest(Shape):
    help_id: int
    call_id: int
    counselor_id: int
    counselor_name: str
    line_name: str
    created_at: str | None
    for_me: bool


class InstanceStatus(Shape):
    """This instance's own state: whether it sheds load or fails webhooks now, and how often."""

    shedding_load: bool
    calls_shed: int
    webhooks_failing: bool
    fallback_answers: int


class BoardSnapshot(Shape):
    """The whole truth for one supervisor; `instance` is added by the socket that sends it."""

    type: Literal["board"] = "board"
    server_time: str
    lines: list[LineQueue]
    channels: list[ChannelCount]
    counselors: list[Counselor]
    counselors_by_state: dict[str, int]
    calls: list[LiveCall]
    escalations: list[OpenEscalation]
    help_requests: list[HelpRequest]
    instance: InstanceStatus | None = None


# --- from the board -----------------------------------------------------------------------------


class Command(BaseModel):
    """Ids must be JSON integers (not "5"); other keys a client adds are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)


class MonitorCommand(Command):
    """Join the call's conference from your phone, or switch mode if you are in it."""

    type: Literal["monitor"]
    call_id: int
    mode: Literal["listen", "whisper", "barge"]


class LeaveCommand(Command):
    type: Literal["leave"]
    monitor_id: int


class AckHelpCommand(Command):
    """Take a counselor's help request (the first supervisor wins)."""

    type: Literal["ack_help"]
    help_id: int


BoardCommand = MonitorCommand | LeaveCommand | AckHelpCommand
