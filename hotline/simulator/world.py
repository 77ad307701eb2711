"""The simulator's in-memory world: numbers, phones, calls, conferences, participants, messages.

Everything here is plain data. It is only touched from the serving event loop, so it needs no
locks; the behaviour lives in ``engine`` (calls, phones), ``conferences`` and ``twiml``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

CALL_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
PhoneMode = Literal["auto", "manual", "busy", "fail", "no-answer"]
PHONE_MODES: tuple[str, ...] = ("auto", "manual", "busy", "fail", "no-answer")
CALL_PROGRESS_EVENTS = ("initiated", "ringing", "answered", "completed")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format: 'Mon, 23 Nov 2026 12:00:00 +0000'."""
    return format_datetime(moment) if moment is not None else None


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass
class TranscriptEntry:
    at: datetime
    kind: str
    text: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "kind": self.kind, "text": self.text, "detail": self.detail}


@dataclass
class Callback:
    """Where and when to report a resource's progress."""

    url: str
    method: str = "POST"
    events: frozenset[str] = frozenset({"completed"})


@dataclass
class Number:
    sid: str
    phone_number: str
    friendly_name: str
    voice_url: str | None = None
    voice_method: str = "POST"
    # Stored and shown as Twilio does; the simulator itself does not fetch it.
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sms_method: str = "POST"
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class Phone:
    """A simulated endpoint that the simulator dials: a counselor's phone or a browser client."""

    number: str
    mode: PhoneMode = "auto"
    answer_delay_s: float = 0.0


@dataclass
class Fetch:
    """Where the next TwiML document comes from: a URL, or inline TwiML (REST ``Twiml``)."""

    url: str | None
    method: str = "POST"
    extra: dict[str, str] = field(default_factory=dict)
    twiml: str | None = None
    purpose: str = "voice"


@dataclass
class Call:
    sid: str
    account_sid: str
    from_: str
    to: str
    # inbound | outbound-api | outbound-dial
    direction: str
    status: str
    parent_call_sid: str | None = None
    phone_number_sid: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    end_time: datetime | None = None
    status_callback: Callback | None = None
    callback_sequence: int = 0
    # What an outbound-api call runs once answered.
    first: Fetch | None = None
    ring_timeout_s: float = 60.0
    # Key presses not yet consumed by a Gather or Record.
    digits: str = ""
    transcript: list[TranscriptEntry] = field(default_factory=list)
    conference_name: str | None = None
    conference_sid: str | None = None
    children: list[str] = field(default_factory=list)
    # Transient, runtime-only state. answer_event: someone picked up a manual phone;
    # answered_event: the call is connected; ended: it is over.
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    input_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    answer_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    answered_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def answered(self) -> bool:
        return self.start_time is not None

    @property
    def is_over(self) -> bool:
        return self.status in CALL_ENDED

    @property
    def duration(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None if self.end_time is None else 0
        return max(0, round((self.end_time - self.start_time).total_seconds()))

    def touch(self) -> None:
        self.updated_at = utcnow()


@dataclass
class Participant:
    call_sid: str
    conference_sid: str
    account_sid: str
    label: str | None = None
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    beep: str = "true"
    # queued | connecting | ringing | connected | complete | failed
    status: str = "queued"
    wait_url: str | None = None
    wait_method: str = "POST"
    # What a participant on hold hears (REST HoldUrl, HoldMethod): None is Twilio's default
    # hold music; the task playing it while they are on hold.
    hold_url: str | None = None
    hold_method: str = "GET"
    hold_task: asyncio.Task[Any] | None = field(default=None, repr=False)
    # Added over REST: the leg hangs up when it leaves, as there is no TwiML after it.
    via_rest: bool = False
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    left: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def present(self) -> bool:
        return self.status == "connected"


@dataclass
class Conference:
    sid: str
    friendly_name: str
    account_sid: str
    # init | in-progress | completed
    status: str = "init"
    status_callback: Callback | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    participants: dict[str, Participant] = field(default_factory=dict)
    sequence: int = 0
    reason_ended: str | None = None
    call_sid_ending: str | None = None
    # REST participants being dialled: the conference is not empty while they ring.
    pending_legs: set[str] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)
    # record="record-from-start": recorded from its start to its end; where to report it.
    record: bool = False
    recording_callback: Callback | None = None
    recording_started_at: datetime | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def present(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.present]

    def touch(self) -> None:
        self.updated_at = utcnow()


# GSM 03.38's basic set (and its extension, two septets each): a body written only in it goes
# as 7-bit text; anything else (Chinese, most emoji) as UCS-2.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Twilio refuses a longer body (error 21617) and joins or splits the rest itself.
MAX_MESSAGE_CHARS = 1600


def segments(body: str) -> int:
    """How many SMS parts carry `body`, as Twilio counts them: GSM-7 fits 160 characters in one
    part and 153 in each part of a longer message; UCS-2 (any Chinese character) 70 in one
    part and 67 in each part of a longer one (a UTF-16 surrogate pair, an emoji, takes two).
    The receiving phone joins the parts into one message: nobody splits a body by hand."""
    if all(c in GSM7 or c in GSM7_EXTENSION for c in body):
        units, single, part = sum(2 if c in GSM7_EXTENSION else 1 for c in body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    if units <= single:
        return 1
    return -(-units // part)


@dataclass
class Message:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    # outbound-api | outbound-reply | inbound
    direction: str
    status: str
    status_callback: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    sent_at: datetime | None = None


@dataclass
class Recording:
    """A finished recording; its audio is made up on request (see ``audio``)."""

    sid: str
    account_sid: str
    # RecordVerb (a voicemail) or DialVerb (a <Dial><Conference record=...>).
    source: str
    start_time: datetime
    duration: int
    conference_sid: str | None = None
    call_sid: str | None = None
    status: str = "completed"
    channels: int = 1
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class World:
    numbers: dict[str, Number] = field(default_factory=dict)
    phones: dict[str, Phone] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    conferences: dict[str, Conference] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    recordings: dict[str, Recording] = field(default_factory=dict)

    def number_by_phone(self, phone_number: str) -> Number | None:
        for number in self.numbers.values():
            if number.phone_number == phone_number:
                return number
        return None

    def phone(self, number: str) -> Phone:
        """The simulated phone at ``number``; one never configured answers at once."""
        return self.phones.get(number) or Phone(number=number)

    def active_conference(self, friendly_name: str) -> Conference | None:
        for conference in self.conferences.values():
            if conference.friendly_name == friendly_name and conference.status != "completed":
                return conference
        return None

    def conference(self, sid_or_name: str) -> Conference | None:
        """By SID, else the live conference of that friendly name, else the latest of that name."""
        if sid_or_name in self.conferences:
            return self.conferences[sid_or_name]
        live = self.active_conference(sid_or_name)
        if live is not None:
            return live
        named = [c for c in self.conferences.values() if c.friendly_name == sid_or_name]
        return named[-1] if named else None
