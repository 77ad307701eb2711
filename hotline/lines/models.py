"""A hotline line: its numbers, languages, prompts, hours and overflow."""

from __future__ import annotations

from pydantic import field_validator
from sqlmodel import JSON, Field, SQLModel

from hotline import phone
from hotline.followups import series

# Opening hours: weekday ("mon".."sun") -> list of ["HH:MM", "HH:MM"] local spans; None = 24 h.
# A span whose end is not after its start runs past midnight ("20:00"-"08:00": to 08:00 the next
# morning); "24:00" is midnight at the end of the day.
OpeningHours = dict[str, list[list[str]]]
# Holidays and special days: "YYYY-MM-DD" -> that date's spans instead of its weekday's ([] =
# closed all day); a special day replaces the spans that start on it.
SpecialDays = dict[str, list[list[str]]]
# What callers hear while the line is closed.
AFTER_HOURS_ACTIONS = ("forward", "voicemail", "emergency")


class LineBase(SQLModel):
    number: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    languages: list[str] = Field(default_factory=lambda: ["zh_CN"], sa_type=JSON)
    # Per-language greeting overriding the default prompt, e.g. {"zh_CN": "您好，这里是…"}.
    greetings: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    opening_hours: OpeningHours | None = Field(default=None, sa_type=JSON)
    max_queue_wait_s: int = Field(default=180, ge=10, le=3600)
    partner_number: str | None = Field(default=None, max_length=32)
    overflow_action: str = Field(default="forward", max_length=16)  # forward | voicemail
    recording: bool = False
    # Caller-number prefixes that count as local for the statistics (e.g. ["+86571", "0571"]);
    # only the resulting class is stored with a call, never the number.
    local_prefixes: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    special_days: SpecialDays | None = Field(default=None, sa_type=JSON)
    # forward (to the partner line; the emergency numbers without one) | voicemail | emergency
    after_hours_action: str = Field(
        default="forward", max_length=16, sa_column_kwargs={"server_default": "forward"}
    )
    # How high-risk calls on this line reach the crisis team (None: the default policy).
    escalation_policy_id: int | None = Field(default=None, foreign_key="escalation_policies.id")
    # Days a call's records are kept after it ended, then purged; never fewer than the national
    # guideline's 3 years (hotline.retention.models.MIN_RETENTION_DAYS).
    retention_days: int = Field(
        default=1095, ge=1095, le=36500, sa_column_kwargs={"server_default": "1095"}
    )
    # --- What a caller hears (the prompts page; checked in hotline/lines/prompts.py) ---
    # Per-language text said in the queue between the hold music (empty: the default).
    hold_prompts: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    # The "in danger now" key of the welcome menu (a digit the language choice does not use)
    # and its per-language prompt (empty: "If you are in danger right now, press <key>.").
    danger_key: str = Field(default="9", max_length=1, sa_column_kwargs={"server_default": "9"})
    danger_prompts: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    # The key that asks for a call back in the "callback" overflow (a digit, not the danger key).
    callback_key: str = Field(default="1", max_length=1, sa_column_kwargs={"server_default": "1"})
    # Hold music from a URL (an uploaded file is a PromptAudio of kind "music"); none: silence.
    hold_music_url: str | None = Field(default=None, max_length=500)
    # Position in the queue and expected wait, said to a waiting caller every N seconds.
    announce_position: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    announce_every_s: int = Field(
        default=60, ge=30, le=300, sa_column_kwargs={"server_default": "60"}
    )
    # Per-language consent prompt said before a recorded call (`recording`); empty: the default.
    consent_prompts: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    # The follow-up series for a moderate-or-higher caller who consented: windows after the
    # note's submission, e.g. "24h,72h,7d" (hotline/followups/series.py reads it); empty: no
    # series, one follow-up in the window the counselor chose.
    follow_up_schedule: str = Field(
        default="24h,72h,7d", max_length=64, sa_column_kwargs={"server_default": "24h,72h,7d"}
    )


class Line(LineBase, table=True):
    __tablename__ = "lines"
    id: int | None = Field(default=None, primary_key=True)


class LineNumber(SQLModel, table=True):
    """Every number that reaches a line (its main one, `Line.number`, too): during the national
    transition the old local number and 12356 reach the same line."""

    __tablename__ = "line_numbers"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)
    line_id: int = Field(foreign_key="lines.id", index=True)


class LineCreate(LineBase):
    # Numbers besides `number` that reach the line.
    other_numbers: list[str] = Field(default_factory=list)

    @field_validator("number")
    @classmethod
    def _number_e164(cls, value: str) -> str:
        """E.164, as Twilio sends the dialled number (`To`) that finds the line."""
        return phone.e164_or_error(value)

    @field_validator("other_numbers")
    @classmethod
    def _others_e164(cls, value: list[str]) -> list[str]:
        return [phone.e164_or_error(n) for n in value]

    @field_validator("partner_number")
    @classmethod
    def _partner_e164(cls, value: str | None) -> str | None:
        return phone.e164_or_error(value) if value else None

    @field_validator("follow_up_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not value.strip():
            return ""  # no series: one follow-up, in the window the counselor chose
        windows = series.parse(value)
        if windows is None:
            raise ValueError("follow_up_schedule: 1 to 6 windows such as 24h,72h,7d, increasing")
        return ",".join(windows)


class LinePublic(LineBase):
    id: int
