"""Gaps in cover: the stretches in which paging a schedule reaches nobody who can answer, from
the rota's own resolution (layers, daily windows, overrides, who may hold its shifts)."""

from __future__ import annotations

from datetime import date, datetime

from hotline.auth.models import User
from hotline.rota import service as rota
from hotline.rota.models import ShiftKind
from hotline.rota.schemas import OverrideCreate
from tests.rota.conftest import Team, local

FROM, UNTIL = local("2026-11-02 09:00"), local("2026-11-04 09:00")


def gaps(team: Team, schedule_id: int, start: datetime = FROM, end: datetime = UNTIL) -> list:
    with team.db.session() as session:
        found = rota.coverage_gaps(session=session, schedule_id=schedule_id, start=start, end=end)
    return [(gap.start, gap.end, gap.holders) for gap in found]


def override(team: Team, schedule_id: int, **fields: object) -> None:
    with team.db.session() as session:
        rota.add_override(
            session=session,
            schedule_id=schedule_id,
            data=OverrideCreate.model_validate(fields),
            created_by=team.boss,
            now=local("2026-11-01 00:00"),
        )


def test_a_schedule_without_rotations_is_one_gap(team: Team) -> None:
    schedule_id = team.schedule()
    assert gaps(team, schedule_id) == [(FROM, UNTIL, ())]


def test_a_day_window_leaves_the_nights_uncovered(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id,
        [team.a, team.b],
        date(2026, 11, 2),
        shift=ShiftKind.daily,
        active_from="09:00",
        active_until="21:00",
    )
    assert gaps(team, schedule_id) == [
        (local("2026-11-02 21:00"), local("2026-11-03 09:00"), ()),
        (local("2026-11-03 21:00"), local("2026-11-04 09:00"), ()),
    ]


def test_an_overnight_layer_fills_the_nights_and_a_short_day_leaves_the_evening(
    team: Team,
) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id,
        [team.a],
        date(2026, 11, 2),
        shift=ShiftKind.daily,
        active_from="09:00",
        active_until="17:00",
    )
    team.rotation(
        schedule_id,
        [team.c],
        date(2026, 11, 1),
        layer=2,
        shift=ShiftKind.daily,
        active_from="21:00",
        active_until="09:00",  # crosses midnight
    )
    assert gaps(team, schedule_id) == [
        (local("2026-11-02 17:00"), local("2026-11-02 21:00"), ()),
        (local("2026-11-03 17:00"), local("2026-11-03 21:00"), ()),
    ]


def test_gaps_at_the_edges_of_a_layer_that_starts_late(team: Team) -> None:
    """Before a rotation's first hand-off it has nobody; a higher layer's window ends where
    the lower layer takes over again, with no gap between them."""
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a], date(2026, 11, 3), shift=ShiftKind.weekly)
    team.rotation(
        schedule_id,
        [team.b],
        date(2026, 11, 2),
        layer=5,
        shift=ShiftKind.daily,
        active_from="12:00",
        active_until="14:00",
    )
    assert gaps(team, schedule_id) == [
        (local("2026-11-02 09:00"), local("2026-11-02 12:00"), ()),
        (local("2026-11-02 14:00"), local("2026-11-03 09:00"), ()),
    ]


def test_an_override_fills_a_gap_and_a_removal_opens_one(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(
        schedule_id,
        [team.a],
        date(2026, 11, 2),
        shift=ShiftKind.daily,
        active_from="09:00",
        active_until="21:00",
    )
    override(
        team,
        schedule_id,
        kind="add",
        user_id=team.c,
        start_at=local("2026-11-02 21:00").isoformat(),
        end_at=local("2026-11-03 09:00").isoformat(),
    )
    override(
        team,
        schedule_id,
        kind="remove",
        replaced_user_id=team.a,
        start_at=local("2026-11-03 10:00").isoformat(),
        end_at=local("2026-11-03 11:00").isoformat(),
    )
    assert gaps(team, schedule_id) == [
        (local("2026-11-03 10:00"), local("2026-11-03 11:00"), ()),
        (local("2026-11-03 21:00"), local("2026-11-04 09:00"), ()),
    ]


def test_a_disabled_member_counts_as_a_gap_though_paging_still_resolves_them(
    team: Team,
) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    with team.db.session() as session:
        bob = session.get(User, team.b)
        assert bob is not None
        bob.active = False
        session.add(bob)
    # The engine does not skip him: paging would page a disabled account, which answers nobody.
    assert team.on_call(schedule_id, local("2026-11-03 12:00")) == [team.b]
    assert gaps(team, schedule_id) == [
        (local("2026-11-03 09:00"), local("2026-11-04 09:00"), (team.b,)),
    ]


def test_a_fully_covered_window_has_no_gap(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 1), shift=ShiftKind.daily)
    assert gaps(team, schedule_id) == []
