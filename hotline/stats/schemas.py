"""The statistics API's answers: every one names its period (line, local days, grouping, zone)
and adds its figures. Rates are fractions (None when there is nothing to divide by), times
seconds."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Period(BaseModel):
    line_id: int | None
    start: date
    end: date
    bucket: str
    timezone: str


class CallFiguresOut(BaseModel):
    """One bucket's call figures (`metrics.CallFigures`), keyed by its day, week, month,
    quarter, hour (0-23), ISO weekday (1-7) or channel; the totals have no key."""

    key: str | int | None
    offered: int
    entered_queue: int
    answered: int
    abandoned: int
    abandoned_short: int
    abandoned_ivr: int
    overflow: int
    answered_20: int
    answered_60: int
    wait_sum_s: float
    handled: int
    talk_sum_s: float
    wrap_sum_s: float
    repeat: int
    in_danger: int
    local: int
    out_of_area: int
    answer_rate: float | None
    asa_s: float | None
    service_level_20: float | None
    service_level_60: float | None
    abandonment_rate: float | None
    overflow_rate: float | None
    aht_s: float | None


class SlotCount(BaseModel):
    """Calls offered and answered in an hour of the day (0-23) or an ISO weekday (1-7)."""

    key: int
    offered: int
    answered: int


class NoteFiguresOut(BaseModel):
    notes: int
    high_risk: int
    imminent: int
    difficult: int
    follow_up_wanted: int
    counselling: int


class EscalationFiguresOut(BaseModel):
    count: int
    acknowledged: int
    joined: int
    unacknowledged: int
    ack_sum_s: float
    ack_max_s: float | None
    join_sum_s: float
    join_max_s: float | None
    mean_ack_s: float | None
    mean_join_s: float | None


class FollowUpFiguresOut(BaseModel):
    due: int
    completed: int
    completed_on_time: int
    failed: int
    open: int
    cancelled: int
    completion_rate: float | None
    on_time_rate: float | None


class ReferralFiguresOut(BaseModel):
    """Referrals made in the period: by kind, by resource ("": named by the counselor) and by
    outcome (their status now), and the green-channel ones sent and confirmed."""

    total: int = 0
    by_kind: dict[str, int] = {}
    by_resource: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    green_sent: int = 0
    green_confirmed: int = 0
    attended_rate: float | None = None


class Overview(Period):
    """Every figure of the statistics page."""

    totals: CallFiguresOut
    by_channel: list[CallFiguresOut]  # keyed voice, sms, webchat, wechat (each, even at 0)
    series: list[CallFiguresOut]
    by_hour: list[SlotCount]
    by_weekday: list[SlotCount]
    wait_distribution: list[tuple[str, int]]  # (range of seconds, answered calls)
    handle_distribution: list[tuple[str, int]]
    notes: NoteFiguresOut
    counts: dict[str, dict[str, int]]  # by dimension, then by value
    escalations: EscalationFiguresOut
    staff_on_duty: int
    follow_ups: FollowUpFiguresOut
    referrals: ReferralFiguresOut


class CallSeries(Period):
    series: list[CallFiguresOut]


class Counts(Period):
    counts: dict[str, int]


class Escalations(Period):
    escalations: EscalationFiguresOut
