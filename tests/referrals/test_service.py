"""Referrals against a real database (SQLite and PostgreSQL), times set by hand: made from the
note's referral section, moved only along the allowed statuses with their history, and counted
by kind, resource and outcome in the monthly report (hand-computed on seeded data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.db import Database
from hotline.notes import service as notes
from hotline.referrals import service as referrals
from hotline.referrals.models import ReferralStatus, ReferralStatusChange
from hotline.referrals.service import ReferralError
from hotline.stats import report
from hotline.stats.metrics import Scope
from tests.factories import make_line, make_user
from tests.referrals.drive import referrals_of, referred_call, resource

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
S = ReferralStatus
LIFECYCLE = [S.accepted, S.contacted, S.appointment_made, S.attended]


def _user(db: Database, user_id: int | None) -> User:
    with db.session() as session:
        found = session.get(User, user_id)
        assert found is not None
        session.expunge(found)
        return found


def _move(db: Database, referral_id: int | None, to: ReferralStatus, user: User, at: datetime):
    assert referral_id is not None
    with db.session() as session:
        return referrals.move(
            session=session, referral_id=referral_id, to=to, user=user, via="follow_up", now=at
        )[1]


def test_a_submitted_note_makes_one_suggested_referral_per_resource(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    hospital = resource(db, "City Hospital", "hospital")
    clinic = resource(db, "Mind Clinic", "psychiatric_clinic")
    call_id = referred_call(db, line, alice, T0, [hospital, clinic])
    made = referrals_of(db, call_id)
    assert [(r.resource_id, r.kind, r.status) for r in made] == [
        (hospital, "hospital", S.suggested),
        (clinic, "psychiatric_clinic", S.suggested),
    ]
    assert all(r.line_id == line.id and r.created_at == T0 for r in made)
    assert all(r.resource_name is None and r.green_text is None for r in made)
    with db.session() as session:
        # The note keeps its referral section as before (encrypted), the referrals beside it.
        note = notes.note_of(session=session, call_id=call_id)
        assert note is not None
        assert [e.resource_id for e in notes.fields_of(note).referrals] == [hospital, clinic]
        history = session.exec(select(ReferralStatusChange)).all()
        assert [(h.from_status, h.to_status, h.via) for h in history] == [
            (None, "suggested", "note"),
            (None, "suggested", "note"),
        ]


def test_a_note_without_referrals_makes_none(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    call_id = referred_call(db, line, alice, T0, [])
    assert referrals_of(db, call_id) == []


def test_the_lifecycle_moves_forward_only_with_its_history(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    (referral,) = referrals_of(db, referred_call(db, line, alice, T0, [resource(db, "H")]))
    for step, status in enumerate(LIFECYCLE, start=1):
        _move(db, referral.id, status, alice, T0 + timedelta(days=step))
    with pytest.raises(ReferralError) as refused:
        _move(db, referral.id, S.contacted, alice, T0 + timedelta(days=9))
    assert (refused.value.code, refused.value.status) == ("bad_move", 409)
    with db.session() as session:
        history = session.exec(
            select(ReferralStatusChange)
            .where(ReferralStatusChange.referral_id == referral.id)
            .order_by(col(ReferralStatusChange.id))
        ).all()
    assert [(h.from_status, h.to_status, h.user_id) for h in history] == [
        (None, "suggested", alice.id),
        ("suggested", "accepted", alice.id),
        ("accepted", "contacted", alice.id),
        ("contacted", "appointment_made", alice.id),
        ("appointment_made", "attended", alice.id),
    ]
    assert referrals_of(db, referral.call_id)[0].status == S.attended


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], S.attended),  # suggested cannot jump to attended
        ([S.declined], S.accepted),  # declined is final
        ([S.accepted], S.suggested),  # never backwards
    ],
)
def test_moves_outside_the_table_are_refused(
    db: Database, path: list[ReferralStatus], refused: ReferralStatus
) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    (referral,) = referrals_of(db, referred_call(db, line, alice, T0, [resource(db, "H")]))
    for status in path:
        _move(db, referral.id, status, alice, T0)
    with pytest.raises(ReferralError) as error:
        _move(db, referral.id, refused, alice, T0)
    assert error.value.status == 409


def test_someone_off_the_line_may_not_move_it(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8657100000001")
    alice = make_user(db, "alice")
    bob = make_user(db, "bob", line_ids=[other.id or 0])
    (referral,) = referrals_of(db, referred_call(db, line, alice, T0, [resource(db, "H")]))
    with pytest.raises(ReferralError) as error:
        _move(db, referral.id, S.accepted, bob, T0)
    assert error.value.status == 403


def test_a_named_service_is_kept_encrypted_and_needs_a_known_kind(db: Database) -> None:
    line = make_line(db)
    alice = make_user(db, "alice")
    call_id = referred_call(db, line, alice, T0, [])
    with db.session() as session:
        call = session.get(Call, call_id)
        assert call is not None
        made = referrals.create(
            session=session, call=call, user=alice, now=T0, kind="social_worker", name="Ms Li"
        )
        with pytest.raises(ReferralError):
            referrals.create(session=session, call=call, user=alice, now=T0, kind="x", name="Y")
        with pytest.raises(ReferralError):
            referrals.create(session=session, call=call, user=alice, now=T0, kind="other")
        raw = (
            session.connection()
            .exec_driver_sql(
                "SELECT resource_name, kind FROM referrals WHERE id = %d" % made.id  # noqa: UP031
            )
            .one()
        )
    assert raw[1] == "social_worker"
    assert raw[0] and "Ms Li" not in raw[0]  # ciphertext at rest


def _rows(db: Database, start: datetime, end: datetime, line_id: int | None) -> dict:
    with db.session() as session:
        rows = report.build_rows(
            session=session,
            scope=Scope(start=start, end=end, line_id=line_id),
            month="2026-11",
            line_name="",
            locale="en",
        )
    return {(row.section, row.item): row.value for row in rows}


def test_the_monthly_report_counts_referrals_by_kind_resource_and_outcome(db: Database) -> None:
    line = make_line(db)
    other = make_line(db, number="+8657100000001")
    alice = make_user(db, "alice")
    city = resource(db, "City Hospital", "hospital")
    clinic = resource(db, "Mind Clinic", "psychiatric_clinic")
    # November, on the line: City (attended), City + Mind Clinic (declined, suggested),
    # and one the counselor named (social worker, accepted).
    first = referrals_of(db, referred_call(db, line, alice, T0, [city]))[0]
    for status in LIFECYCLE:
        _move(db, first.id, status, alice, T0 + timedelta(days=1))
    second, third = referrals_of(
        db, referred_call(db, line, alice, T0 + timedelta(days=3), [city, clinic])
    )
    _move(db, second.id, S.declined, alice, T0 + timedelta(days=4))
    with db.session() as session:
        call = session.get(Call, third.call_id)
        assert call is not None
        named = referrals.create(
            session=session, call=call, user=alice, now=T0, kind="social_worker", name="Ms Li"
        )
        referrals.move(
            session=session,
            referral_id=named.id or 0,
            to=S.accepted,
            user=alice,
            via="review",
            now=T0,
        )
    # Not counted: December on the line, and November on the other line.
    referred_call(db, line, alice, datetime(2026, 12, 1, 1, tzinfo=UTC), [city])
    referred_call(db, other, alice, T0, [clinic])

    start, end = datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC)
    rows = _rows(db, start, end, line.id)
    assert rows[("Referrals", "Referrals made")] == 4
    assert rows[("Referrals", "Referrals attended")] == pytest.approx(1 / 4)
    assert rows[("Referrals by kind", "Hospital")] == 2
    assert rows[("Referrals by kind", "Psychiatric clinic")] == 1
    assert rows[("Referrals by kind", "Social worker")] == 1
    assert rows[("Referrals by resource", "City Hospital")] == 2
    assert rows[("Referrals by resource", "Mind Clinic")] == 1
    assert rows[("Referrals by resource", "Named by the counselor")] == 1
    assert rows[("Referral outcomes", "Attended")] == 1
    assert rows[("Referral outcomes", "Declined")] == 1
    assert rows[("Referral outcomes", "Suggested")] == 1
    assert rows[("Referral outcomes", "Accepted by the caller")] == 1
    assert ("Referral outcomes", "Not reachable") not in rows
    # Every line: the other line's November referral too.
    assert _rows(db, start, end, None)[("Referrals", "Referrals made")] == 5
    assert all("Ms Li" not in str(key) for key in rows)
