"""The statistics roll-up: per line and local day, sums of the figures of the calls that arrived
that day (see `hotline.stats.rollup`). Sums only: no call, caller or note can be read back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hotline.models_base import UTCDateTime


class StatsHour(SQLModel, table=True):
    """The call figures (`metrics.CallFigures`) of a line's calls on one channel that arrived
    in a local hour."""

    __tablename__ = "stats_hours"
    line_id: int = Field(foreign_key="lines.id", primary_key=True)
    day: date = Field(primary_key=True)  # local date in the line's time zone
    hour: int = Field(primary_key=True)  # local hour, 0-23
    # hotline.calls.models.Channel: voice, sms, webchat, wechat
    channel: str = Field(
        default="voice",
        primary_key=True,
        max_length=16,
        sa_column_kwargs={"server_default": "voice"},
    )
    offered: int = 0
    entered_queue: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    abandoned_ivr: int = 0
    overflow: int = 0
    answered_20: int = 0
    answered_60: int = 0
    wait_sum_s: float = 0.0
    handled: int = 0
    talk_sum_s: float = 0.0
    wrap_sum_s: float = 0.0
    repeat: int = 0
    in_danger: int = 0
    local: int = 0
    out_of_area: int = 0


class StatsCount(SQLModel, table=True):
    """How many of one line-day's calls or submitted notes have `value` for `dimension` (crisis
    level, call type, category, population group, wait and handle range, note flag)."""

    __tablename__ = "stats_counts"
    line_id: int = Field(foreign_key="lines.id", primary_key=True)
    day: date = Field(primary_key=True)
    dimension: str = Field(primary_key=True, max_length=32)
    value: str = Field(primary_key=True, max_length=64)
    n: int = 0


class StatsRollup(SQLModel, table=True):
    """A line's progress: every local day before `rolled_until` is rolled up."""

    __tablename__ = "stats_rollups"
    line_id: int = Field(foreign_key="lines.id", primary_key=True)
    rolled_until: date
    timezone: str = Field(max_length=64)  # the line's zone its days were cut in
    refreshed_at: datetime = Field(sa_type=UTCDateTime)


class StatsStale(SQLModel, table=True):
    """A rolled-up day that changed later (a note submitted days after its call): the call's
    arrival; the next refresh recomputes that day. One row per change, so marks never contend."""

    __tablename__ = "stats_stale"
    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="lines.id", index=True)
    arrived_at: datetime = Field(sa_type=UTCDateTime)


class FiledReport(SQLModel, table=True):
    """A report as filed (立卷归档): its figures in every language, fixed for good.

    Each record is chained to the one before by `prev_digest` and signed with the service's
    key, so an edit anywhere, even by someone with the database, breaks `archive.verify`; the
    database itself refuses updates and deletes. Aggregates only, so it is kept past the calls'
    retention. No foreign keys: the record stands on its own (the line's and the filer's names
    are copied in as they were)."""

    __tablename__ = "filed_reports"
    __table_args__ = (UniqueConstraint("period", "line_key"),)
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)  # its place in the chain, from 1
    kind: str = Field(max_length=16, index=True)  # month | quarter | half
    period: str = Field(max_length=8)  # 2026-03, 2026-Q1, 2026-H1
    line_key: int  # the line's id, 0 for every line (a NULL would let twins in)
    line_name: str = Field(max_length=200)
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_by: str | None = Field(default=None, max_length=200)  # None: filed on schedule
    figures: str = Field(sa_type=Text)  # canonical JSON: {locale: [[section, item, value, ...]]}
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64, unique=True, index=True)
    signature: str = Field(max_length=64)
