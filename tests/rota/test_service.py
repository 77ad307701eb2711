"""Who is on call: hand-offs on the local clock, layers and their windows, overrides, swaps,
daylight-saving changes, and a resolved time line that agrees with the instant answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.calls import service as calls
from hotline.escalation import service as escalations
from hotline.escalation.models import Escalation, EscalationPolicy, EscalationStatus
from hotline.lines.models import Line
from hotline.rota import service as rota
from hotline.rota.models import (
    OverrideKind,
    Schedule,
    ScheduleOverride,
    SchedulePurpose,
    ShiftKind,
    SwapStatus,
)
from hotline.rota.schemas import (
    OverrideCreate,
    RotationCreate,
    RotationUpdate,
    ScheduleCreate,
    Shift,
    SwapCreate,
)
from tests.factories import make_line
from tests.rota.conftest import Team, local, utc

NY = "America/New_York"
NOW = utc("2026-10-01 00:00")


def test_a_new_schedule_is_on_shanghai_time(team: Team) -> None:
    schedule_id = team.schedule()
    with team.db.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        assert schedule.timezone == "Asia/Shanghai" and schedule.purpose == "crisis"
        with pytest.raises(rota.RotaError) as taken:
            rota.create_schedule(session=session, data=ScheduleCreate(name="Crisis team"))
    assert taken.value.code == "name_taken"


def test_daily_rotation_hands_off_at_local_time_and_cycles(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b, team.c], date(2026, 11, 2), shift=ShiftKind.daily)
    # 09:00 in Shanghai is 01:00 UTC.
    assert team.on_call(schedule_id, local("2026-11-02 08:59")) == []  # before start_date
    assert team.on_call(schedule_id, local("2026-11-02 09:00")) == [team.a]
    assert local("2026-11-02 09:00") == utc("2026-11-02 01:00")
    assert team.on_call(schedule_id, local("2026-11-03 08:59:59")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-03 09:00")) == [team.b]
    assert team.on_call(schedule_id, local("2026-11-04 12:00")) == [team.c]
    assert team.on_call(schedule_id, local("2026-11-05 09:00")) == [team.a]  # round again
    assert team.on_call(schedule_id, local("2026-12-31 09:00")) == [team.c]  # 59 % 3 == 2


def test_weekly_rotation(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id,
        [team.a, team.b],
        date(2026, 11, 2),  # a Monday
        shift=ShiftKind.weekly,
        handoff_time="10:00",
    )
    assert team.on_call(schedule_id, local("2026-11-02 09:59")) == []
    assert team.on_call(schedule_id, local("2026-11-02 10:00")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-09 09:59")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-09 10:00")) == [team.b]
    assert team.on_call(schedule_id, local("2026-11-16 10:00")) == [team.a]


def test_custom_twelve_hour_rotation(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id,
        [team.a, team.b, team.c],
        date(2026, 11, 2),
        shift=ShiftKind.custom,
        shift_hours=12,
        handoff_time="08:00",
    )
    assert team.on_call(schedule_id, local("2026-11-02 07:59")) == []
    assert team.on_call(schedule_id, local("2026-11-02 08:00")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-02 19:59")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-02 20:00")) == [team.b]
    assert team.on_call(schedule_id, local("2026-11-03 03:00")) == [team.b]
    assert team.on_call(schedule_id, local("2026-11-03 08:00")) == [team.c]
    assert team.on_call(schedule_id, local("2026-11-03 20:00")) == [team.a]


def test_night_layer_wins_only_inside_its_window(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.weekly, name="day"
    )
    team.rotation(
        schedule_id,
        [team.c, team.d],
        date(2026, 11, 2),
        shift=ShiftKind.daily,
        handoff_time="22:00",
        layer=2,
        active_from="22:00",
        active_until="08:00",
        name="night",
    )
    assert team.on_call(schedule_id, local("2026-11-02 21:59")) == [team.a]
    assert team.on_call(schedule_id, local("2026-11-02 22:00")) == [team.c]
    assert team.on_call(schedule_id, local("2026-11-03 00:00")) == [team.c]  # past midnight
    assert team.on_call(schedule_id, local("2026-11-03 07:59")) == [team.c]
    assert team.on_call(schedule_id, local("2026-11-03 08:00")) == [team.a]  # window closed
    assert team.on_call(schedule_id, local("2026-11-03 22:00")) == [team.d]
    assert team.on_call(schedule_id, local("2026-11-09 23:00")) == [team.d]  # day layer: b
    assert team.on_call(schedule_id, local("2026-11-10 12:00")) == [team.b]


def test_rotations_in_the_same_layer_add_up(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a], date(2026, 11, 2), name="first")
    team.rotation(schedule_id, [team.b, team.a], date(2026, 11, 2), name="second")
    team.rotation(schedule_id, [team.c], date(2026, 11, 2), layer=0, name="fallback")
    assert team.on_call(schedule_id, local("2026-11-02 12:00")) == [team.a, team.b]
    assert team.on_call(schedule_id, local("2026-11-09 12:00")) == [team.a]  # no duplicate


def override(
    team: Team,
    schedule_id: int,
    kind: OverrideKind,
    start: datetime,
    end: datetime,
    *,
    user_id: int | None = None,
    replaced_user_id: int | None = None,
) -> ScheduleOverride:
    data = OverrideCreate(
        kind=kind,
        user_id=user_id,
        replaced_user_id=replaced_user_id,
        start_at=start,
        end_at=end,
        reason="test",
    )
    with team.db.session() as session:
        return rota.add_override(
            session=session, schedule_id=schedule_id, data=data, created_by=team.boss, now=NOW
        )


def test_overrides_apply_from_start_inclusive_to_end_exclusive(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    start, end = utc("2026-11-02 04:00"), utc("2026-11-02 06:00")
    override(team, schedule_id, OverrideKind.add, start, end, user_id=team.c)
    assert team.on_call(schedule_id, start - timedelta(microseconds=1)) == [team.a]
    assert team.on_call(schedule_id, start) == [team.a, team.c]
    in_shanghai = start.astimezone(ZoneInfo("Asia/Shanghai"))  # the same instant, +08:00
    assert team.on_call(schedule_id, in_shanghai) == [team.a, team.c]
    assert team.on_call(schedule_id, in_shanghai - timedelta(seconds=1)) == [team.a]
    assert team.on_call(schedule_id, end - timedelta(microseconds=1)) == [team.a, team.c]
    assert team.on_call(schedule_id, end) == [team.a]

    start, end = utc("2026-11-02 10:00"), utc("2026-11-02 11:00")
    override(team, schedule_id, OverrideKind.remove, start, end, replaced_user_id=team.a)
    assert team.on_call(schedule_id, start - timedelta(seconds=1)) == [team.a]
    assert team.on_call(schedule_id, start) == []
    assert team.on_call(schedule_id, end) == [team.a]

    start, end = utc("2026-11-02 12:00"), utc("2026-11-03 12:00")  # crosses a hand-off
    override(team, schedule_id, OverrideKind.replace, start, end, user_id=team.d,
             replaced_user_id=team.a)  # fmt: skip
    assert team.on_call(schedule_id, start) == [team.d]
    assert team.on_call(schedule_id, utc("2026-11-03 01:00")) == [team.b]  # a is off: no effect
    assert team.on_call(schedule_id, end) == [team.b]
    with team.db.session() as session:
        timeline = rota.shifts(
            session=session,
            schedule_id=schedule_id,
            start=utc("2026-11-02 11:00"),
            end=utc("2026-11-02 13:00"),
        )
    assert timeline == [
        Shift(
            user_id=team.a,
            start=utc("2026-11-02 11:00"),
            end=utc("2026-11-02 12:00"),
            layer=1,
            source="rotation",
        ),
        Shift(
            user_id=team.d,
            start=utc("2026-11-02 12:00"),
            end=utc("2026-11-02 13:00"),
            layer=None,
            source="override",
        ),
    ]


def test_an_accepted_swap_replaces_the_requester_and_a_declined_one_changes_nothing(
    team: Team,
) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    start, end = local("2026-11-02 18:00"), local("2026-11-03 09:00")
    with team.db.session() as session:
        with pytest.raises(rota.RotaError) as not_mine:
            rota.request_swap(
                session=session,
                requester_id=team.c,
                data=SwapCreate(
                    schedule_id=schedule_id, counterpart_id=team.d, start_at=start, end_at=end
                ),
                now=NOW,
            )
        assert not_mine.value.code == "not_on_call"
        declined = rota.request_swap(
            session=session,
            requester_id=team.a,
            data=SwapCreate(
                schedule_id=schedule_id, counterpart_id=team.c, start_at=start, end_at=end
            ),
            now=NOW,
        )
        accepted = rota.request_swap(
            session=session,
            requester_id=team.a,
            data=SwapCreate(
                schedule_id=schedule_id, counterpart_id=team.d, start_at=start, end_at=end
            ),
            now=NOW,
        )
        assert declined.id is not None and accepted.id is not None
        declined_id, accepted_id = declined.id, accepted.id
    assert team.on_call(schedule_id, start) == [team.a]

    with team.db.session() as session:
        with pytest.raises(rota.RotaError) as requester_cannot:
            rota.answer_swap(
                session=session, swap_id=declined_id, user_id=team.a, accept=True, now=NOW
            )
        assert requester_cannot.value.code == "not_counterpart"
        answer = rota.answer_swap(
            session=session, swap_id=declined_id, user_id=team.c, accept=False, now=NOW
        )
        assert answer.status == SwapStatus.declined and answer.override_id is None
        assert session.exec(select(ScheduleOverride)).all() == []
    assert team.on_call(schedule_id, start) == [team.a]

    with team.db.session() as session:
        answer = rota.answer_swap(
            session=session, swap_id=accepted_id, user_id=team.d, accept=True, now=NOW
        )
        assert answer.status == SwapStatus.accepted and answer.answered_at == NOW
        made = session.get(ScheduleOverride, answer.override_id)
        assert made is not None and made.kind == OverrideKind.replace
        assert (made.user_id, made.replaced_user_id) == (team.d, team.a)
        assert (made.start_at, made.end_at) == (start, end)
        with pytest.raises(rota.RotaError) as twice:
            rota.answer_swap(
                session=session, swap_id=accepted_id, user_id=team.d, accept=False, now=NOW
            )
        assert twice.value.code == "answered"
        mine = rota.list_swaps(session=session, user_id=team.a)
        assert {s.id for s in mine} == {declined_id, accepted_id}
    assert team.on_call(schedule_id, start - timedelta(seconds=1)) == [team.a]
    assert team.on_call(schedule_id, start) == [team.d]
    assert team.on_call(schedule_id, local("2026-11-03 08:59")) == [team.d]
    assert team.on_call(schedule_id, end) == [team.b]  # b's own shift, untouched


def test_a_pending_swap_can_be_cancelled_by_its_requester_only(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a], date(2026, 11, 2))
    with team.db.session() as session:
        swap = rota.request_swap(
            session=session,
            requester_id=team.a,
            data=SwapCreate(
                schedule_id=schedule_id,
                counterpart_id=team.b,
                start_at=local("2026-11-03 09:00"),
                end_at=local("2026-11-04 09:00"),
            ),
            now=NOW,
        )
        assert swap.id is not None
        with pytest.raises(rota.RotaError):
            rota.cancel_swap(session=session, swap_id=swap.id, user_id=team.b, now=NOW)
        cancelled = rota.cancel_swap(session=session, swap_id=swap.id, user_id=team.a, now=NOW)
        assert cancelled.status == SwapStatus.cancelled
        with pytest.raises(rota.RotaError) as late:
            rota.answer_swap(session=session, swap_id=swap.id, user_id=team.b, accept=True, now=NOW)
        assert late.value.code == "answered"


def test_a_swap_of_a_shift_the_rota_no_longer_gives_the_requester_is_refused(team: Team) -> None:
    schedule_id = team.schedule()
    rotation = team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2))
    assert rotation.id is not None
    with team.db.session() as session:
        swap = rota.request_swap(
            session=session,
            requester_id=team.a,
            data=SwapCreate(
                schedule_id=schedule_id,
                counterpart_id=team.c,
                start_at=local("2026-11-03 09:00"),
                end_at=local("2026-11-04 09:00"),
            ),
            now=NOW,
        )
        assert swap.id is not None
        rota.update_rotation(
            session=session,
            rotation_id=rotation.id,
            data=RotationUpdate(member_ids=[team.b, team.d]),
        )
        with pytest.raises(rota.RotaError) as stale:
            rota.answer_swap(session=session, swap_id=swap.id, user_id=team.c, accept=True, now=NOW)
        assert stale.value.code == "requester_off_call"
        declined = rota.answer_swap(
            session=session, swap_id=swap.id, user_id=team.c, accept=False, now=NOW
        )
        assert declined.status == SwapStatus.declined


def test_localize_handles_gaps_and_folds_deterministically() -> None:
    new_york = ZoneInfo(NY)
    # 02:30 does not exist on 2026-03-08: the first valid instant after is 03:00 EDT.
    assert rota.localize(datetime(2026, 3, 8, 2, 30), new_york) == utc("2026-03-08 07:00")
    # 01:30 happens twice on 2026-11-01: the first one, in EDT.
    assert rota.localize(datetime(2026, 11, 1, 1, 30), new_york) == utc("2026-11-01 05:30")
    assert rota.localize(datetime(2026, 7, 1, 9, 0), new_york) == utc("2026-07-01 13:00")


def test_daylight_saving_keeps_the_local_handoff(team: Team) -> None:
    schedule_id = team.schedule("New York", timezone=NY)
    team.rotation(schedule_id, [team.a, team.b, team.c], date(2026, 3, 1), shift=ShiftKind.daily)
    with team.db.session() as session:
        spring = rota.shifts(
            session=session,
            schedule_id=schedule_id,
            start=utc("2026-03-06 14:00"),
            end=utc("2026-03-10 13:00"),
        )
    # 09:00 EST is 14:00 UTC; 09:00 EDT is 13:00 UTC. The shift across the change is 23 h.
    assert [(s.start, s.end) for s in spring] == [
        (utc("2026-03-06 14:00"), utc("2026-03-07 14:00")),
        (utc("2026-03-07 14:00"), utc("2026-03-08 13:00")),
        (utc("2026-03-08 13:00"), utc("2026-03-09 13:00")),
        (utc("2026-03-09 13:00"), utc("2026-03-10 13:00")),
    ]
    assert spring[1].end - spring[1].start == timedelta(hours=23)
    with team.db.session() as session:
        autumn = rota.shifts(
            session=session,
            schedule_id=schedule_id,
            start=utc("2026-10-31 13:00"),
            end=utc("2026-11-02 14:00"),
        )
    assert [(s.start, s.end) for s in autumn] == [
        (utc("2026-10-31 13:00"), utc("2026-11-01 14:00")),  # 25 h
        (utc("2026-11-01 14:00"), utc("2026-11-02 14:00")),
    ]
    for shift in spring + autumn:
        assert shift.start.astimezone(ZoneInfo(NY)).strftime("%H:%M") == "09:00"


def test_a_handoff_inside_the_spring_forward_gap_moves_to_when_the_clocks_jump(
    team: Team,
) -> None:
    schedule_id = team.schedule("New York nights", timezone=NY)
    team.rotation(
        schedule_id, [team.a, team.b], date(2026, 3, 7), shift=ShiftKind.daily, handoff_time="02:30"
    )
    # 2026-03-07 02:30 EST (a) -> 2026-03-08 03:00 EDT (b: 02:30 does not exist) -> 03-09 02:30.
    assert team.on_call(schedule_id, utc("2026-03-08 06:59:59")) == [team.a]
    assert team.on_call(schedule_id, utc("2026-03-08 07:00")) == [team.b]
    assert team.on_call(schedule_id, utc("2026-03-09 06:29")) == [team.b]
    assert team.on_call(schedule_id, utc("2026-03-09 06:30")) == [team.a]
    # In the autumn a 01:30 hand-off is the first 01:30 (EDT): 05:30 UTC.
    autumn = team.schedule("New York autumn", timezone=NY)
    team.rotation(
        autumn, [team.a, team.b], date(2026, 10, 31), shift=ShiftKind.daily, handoff_time="01:30"
    )
    assert team.on_call(autumn, utc("2026-11-01 05:29")) == [team.a]
    assert team.on_call(autumn, utc("2026-11-01 05:30")) == [team.b]
    assert team.on_call(autumn, utc("2026-11-01 06:30")) == [team.b]  # the second 01:30


def _covers(timeline: list[Shift], at: datetime) -> set[int]:
    return {s.user_id for s in timeline if s.start <= at < s.end}


def test_the_timeline_is_contiguous_and_agrees_with_on_call_every_hour(team: Team) -> None:
    schedule_id = team.schedule("Around the clock", timezone=NY)
    team.rotation(
        schedule_id,
        [team.a, team.b],
        date(2026, 10, 26),
        shift=ShiftKind.weekly,
        handoff_time="09:00",
        name="days",
    )
    team.rotation(
        schedule_id,
        [team.c, team.d, team.a],
        date(2026, 10, 28),
        shift=ShiftKind.custom,
        shift_hours=10,
        handoff_time="22:00",
        layer=2,
        active_from="23:30",
        active_until="01:30",  # crosses midnight, and 01:30 happens twice on 2026-11-01
        name="nights",
    )
    team.rotation(
        schedule_id,
        [team.d],
        date(2026, 10, 28),
        shift=ShiftKind.daily,
        handoff_time="12:00",
        layer=2,
        active_from="12:00",
        active_until="13:00",
        name="lunch",
    )
    override(team, schedule_id, OverrideKind.add, utc("2026-10-30 03:15"),
             utc("2026-10-30 07:45"), user_id=team.boss)  # fmt: skip
    override(team, schedule_id, OverrideKind.replace, utc("2026-11-01 02:00"),
             utc("2026-11-02 02:00"), user_id=team.boss, replaced_user_id=team.a)  # fmt: skip
    override(team, schedule_id, OverrideKind.remove, utc("2026-11-03 16:00"),
             utc("2026-11-03 17:30"), replaced_user_id=team.b)  # fmt: skip
    start, end = utc("2026-10-25 00:00"), utc("2026-11-08 00:00")
    with team.db.session() as session:
        timeline = rota.shifts(session=session, schedule_id=schedule_id, start=start, end=end)
    assert timeline == sorted(timeline, key=lambda s: (s.start, s.user_id, s.end))
    for shift in timeline:
        assert start <= shift.start < shift.end <= end
        following = [
            s
            for s in timeline
            if s.user_id == shift.user_id and s.start == shift.end and s.layer == shift.layer
        ]
        assert following == []  # one segment per unbroken stretch
    overlapping = [
        (x, y)
        for x in timeline
        for y in timeline
        if x is not y and x.user_id == y.user_id and x.start < y.end and y.start < x.end
    ]
    assert overlapping == []
    at = start
    while at < end:
        assert set(team.on_call(schedule_id, at)) == _covers(timeline, at), at
        at += timedelta(hours=1)
    # And on every change (where a sampling of hours could miss it).
    for shift in timeline:
        for edge in (shift.start, shift.end - timedelta(seconds=1)):
            assert set(team.on_call(schedule_id, edge)) == _covers(timeline, edge), edge
    assert {s.source for s in timeline} == {"rotation", "override"}


def test_supervisor_on_duty_and_crisis_on_call(team: Team) -> None:
    crisis = team.schedule("Crisis")
    second = team.schedule("Crisis, second line")
    supervisors = team.schedule("Supervisors", purpose=SchedulePurpose.supervisor)
    team.rotation(crisis, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    team.rotation(second, [team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    team.rotation(supervisors, [team.boss], date(2026, 11, 2))
    at = local("2026-11-02 10:00")
    with team.db.session() as session:
        assert rota.supervisor_on_duty(session=session, at=at) == [team.boss]
        assert rota.crisis_on_call(session=session, at=at) == [team.a, team.b]
        assert rota.supervisor_on_duty(session=session, at=local("2026-11-01 10:00")) == []
        assert rota.on_call(session=session, schedule_id=999_999, at=at) == []


def test_shift_windows_are_checked(team: Team) -> None:
    schedule_id = team.schedule()
    with team.db.session() as session:
        for start, end, code in [
            (utc("2026-11-02 00:00"), utc("2026-11-02 00:00"), "bad_window"),
            (utc("2026-11-02 00:00"), utc("2027-11-02 00:00"), "window_too_long"),
        ]:
            with pytest.raises(rota.RotaError) as refused:
                rota.shifts(session=session, schedule_id=schedule_id, start=start, end=end)
            assert refused.value.code == code
        with pytest.raises(rota.RotaError) as missing:
            rota.shifts(
                session=session,
                schedule_id=999_999,
                start=utc("2026-11-02 00:00"),
                end=utc("2026-11-03 00:00"),
            )
        assert missing.value.status == 404
        with pytest.raises(rota.RotaError) as nobody:
            rota.add_rotation(
                session=session,
                schedule_id=schedule_id,
                data=team_rotation([999_999]),
            )
        assert nobody.value.errors == {"member_ids": "unknown_user"}


def team_rotation(members: list[int]) -> RotationCreate:
    return RotationCreate(name="x", member_ids=members, start_date=date(2026, 11, 2))


def test_calendar_days_cut_shifts_at_local_midnight(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily,
        handoff_time="20:00",
    )  # fmt: skip
    now = local("2026-11-03 10:00")
    with team.db.session() as session:
        days = rota.calendar_days(
            session=session, schedule_id=schedule_id, first_day=date(2026, 11, 2), days=3, now=now
        )
    assert [d.day for d in days] == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    assert [d.today for d in days] == [False, True, False]
    assert [(e.user_id, e.start_label, e.end_label) for e in days[0].entries] == [
        (team.a, "20:00", "24:00")
    ]
    assert [(e.user_id, e.start_label, e.end_label, e.now) for e in days[1].entries] == [
        (team.a, "00:00", "20:00", True),
        (team.b, "20:00", "24:00", False),
    ]
    assert days[1].start == local("2026-11-03 00:00")
    assert datetime(2026, 11, 3, tzinfo=UTC) - days[1].start == timedelta(hours=8)


def test_a_schedule_an_open_escalation_still_pages_is_not_deleted(team: Team) -> None:
    first, second = team.schedule(), team.schedule("Backup")
    team.rotation(first, [team.a], date(2026, 11, 2))
    line = make_line(team.db)
    with team.db.session() as session:
        policy = EscalationPolicy(
            name="by schedule",
            steps=[{"targets": [{"kind": "schedule", "id": first}], "channels": ["console"]}],
        )
        session.add(policy)
        session.flush()
        stored = session.get(Line, line.id)
        assert stored is not None
        stored.escalation_policy_id = policy.id
        call = calls.start_inbound(
            session=session, line=stored, call_sid="CA1", caller_hash="h", now=NOW
        )
        escalation = escalations.trigger(
            session=session, call=call, level="high", reason=None, user_id=None, now=NOW
        )
        policy.steps = []  # the policy no longer names it; the open escalation's snapshot does
        session.add(policy)
    with team.db.session() as session:
        with pytest.raises(rota.RotaError) as in_use:
            rota.delete_schedule(session=session, schedule_id=first)
    assert in_use.value.code == "schedule_in_use"
    assert in_use.value.params == {"names": f"#{escalation.id}"}
    with team.db.session() as session:
        open_one = session.get(Escalation, escalation.id)
        assert open_one is not None
        open_one.status = EscalationStatus.resolved
        session.add(open_one)
    with team.db.session() as session:
        rota.delete_schedule(session=session, schedule_id=first)
        assert [s.id for s in rota.list_schedules(session=session)] == [second]
        assert rota.list_rotations(session=session, schedule_id=first) == []
