"""The retention purge on SQLite and PostgreSQL, with an injected clock: the exact second a
record expires, legal holds, what goes with a call and what is left alone, dry runs, batches,
per-line periods and the guideline minimum, and the once-a-day scheduled run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, insert, text
from sqlalchemy import select as sa_select
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import AttemptOutcome, Role, SignInAttempt, User, UserSession
from hotline.calls.models import Call
from hotline.clock import FakeClock
from hotline.db import Database
from hotline.lines.models import Line
from hotline.retention import service as retention
from hotline.retention.models import MIN_RETENTION_DAYS, RetentionRun
from hotline.routing.models import PresenceEvent
from hotline.telephony.models import WebhookReceipt
from tests.factories import make_line, make_user
from tests.retention.records import ATTACHED, Record, days, make_record, row_counts

ENDED = datetime(2023, 3, 1, 10, 0, 0, tzinfo=UTC)
EXPIRES = ENDED + days(MIN_RETENTION_DAYS)


@pytest.fixture
def people(db: Database) -> tuple[Line, User, User]:
    line = make_line(db)
    counselor = make_user(db, "counselor")
    admin = make_user(db, "admin", role=Role.admin)
    return line, counselor, admin


def record(
    db: Database, line: Line, counselor: User, *, ended: datetime | None = ENDED, caller: str = ""
) -> Record:
    created = (ended or ENDED) - days(0.01)
    return make_record(
        db,
        line=line,
        counselor=counselor,
        caller=caller or "+8613800000001",
        created_at=created,
        ended_at=ended,
    )


def exists(db: Database, call_id: int) -> bool:
    with db.session() as session:
        return session.get(Call, call_id) is not None


def purge_entries(db: Database) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == AuditAction.purge)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def test_one_second_before_expiry_stays_one_second_after_goes_with_everything_attached(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    old = record(db, line, counselor)
    recent = record(db, line, counselor, ended=ENDED + days(30), caller="+8613800000002")
    clock = FakeClock(EXPIRES)
    clock.advance(-1)

    before = row_counts(db)
    kept = retention.purge(db=db, now=clock.now())
    assert kept.summary() == "nothing"
    assert exists(db, old.call_id)
    after_first = row_counts(db)
    assert after_first == {**before, "audit_log": before["audit_log"] + 1}

    clock.advance(2)  # one second past expiry
    result = retention.purge(db=db, now=clock.now())
    after = row_counts(db)
    assert not exists(db, old.call_id)
    assert exists(db, recent.call_id)
    # Exactly the old call's rows went, in every table; everything else is untouched.
    expected = dict(after_first)
    for table, n in ATTACHED.items():
        expected[table] -= n
    expected["audit_log"] += 1
    expected["recording_deletions"] += 1  # the provider's copy of its recording, to delete
    assert after == expected
    assert dict(result.counts) == {**ATTACHED, "provider_recordings": 1}
    with db.session() as session:
        # Staff presence history stays, without the link to the purged call.
        links = [e.call_id for e in session.exec(select(PresenceEvent))]
        assert sorted(links, key=lambda x: x or 0) == [None, recent.call_id]
        assert not session.exec(
            select(WebhookReceipt).where(WebhookReceipt.call_sid == old.call_sid)
        ).all()
    entries = purge_entries(db)
    assert [e.detail for e in entries] == [
        "nothing",
        " ".join(
            f"{table}={n}" for table, n in sorted({**ATTACHED, "provider_recordings": 1}.items())
        ),
    ]
    assert all(e.object_type == "retention" and e.username == "scheduler" for e in entries)


def test_a_call_that_never_ended_ages_from_its_creation(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    stuck = record(db, line, counselor, ended=None)
    with db.session() as session:
        created = session.get(Call, stuck.call_id).created_at  # type: ignore[union-attr]
    expiry = created + days(MIN_RETENTION_DAYS)
    retention.purge(db=db, now=expiry - days(1 / 86400))
    assert exists(db, stuck.call_id)
    retention.purge(db=db, now=expiry + days(1 / 86400))
    assert not exists(db, stuck.call_id)


def test_a_legal_hold_keeps_the_call_and_its_records_until_released(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, admin = people
    held = record(db, line, counselor)
    other = record(db, line, counselor, caller="+8613800000002")
    with db.session() as session:
        retention.place_hold(
            session=session, call_id=held.call_id, user=admin, reason="court order", now=ENDED
        )
    clock = FakeClock(EXPIRES + days(400))
    before = row_counts(db)
    result = retention.purge(db=db, now=clock.now())
    assert exists(db, held.call_id) and not exists(db, other.call_id)
    # Only the other call's rows (and its recording, queued for deletion at the provider).
    assert dict(result.counts) == {**ATTACHED, "provider_recordings": 1}
    after = row_counts(db)
    assert after["call_notes"] == before["call_notes"] - 1 == 1
    assert after["escalation_log"] == 2 and after["note_addenda"] == 1
    with db.session() as session:
        receipts = session.exec(select(WebhookReceipt.call_sid)).all()
        assert held.call_sid in receipts  # held receipts survive the age-based sweep too

    clock.advance(60)
    with db.session() as session:
        retention.release_hold(session=session, call_id=held.call_id, user=admin, now=clock.now())
    released = retention.purge(db=db, now=clock.now())
    assert not exists(db, held.call_id)
    # The released hold is history of the call, and goes with it.
    assert released.counts["legal_holds"] == 1
    assert row_counts(db)["legal_holds"] == 0


def test_dry_run_counts_what_would_go_and_deletes_nothing(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    for n in range(3):
        record(db, line, counselor, caller=f"+86138000000{n}")
    now = EXPIRES + days(1)
    before = row_counts(db)
    dry = retention.purge(db=db, now=now, dry_run=True, batch_size=2)
    assert row_counts(db) == {**before, "audit_log": before["audit_log"] + 1}
    real = retention.purge(db=db, now=now, batch_size=2)
    assert dry.counts == real.counts
    assert real.counts["calls"] == 3 and row_counts(db)["calls"] == 0
    after = row_counts(db)
    gone = {table: before[table] - after[table] for table in before if after[table] < before[table]}
    assert gone == {table: n for table, n in real.counts.items() if table != "provider_recordings"}
    assert purge_entries(db)[0].detail.startswith("dry run: ")  # type: ignore[union-attr]
    assert purge_entries(db)[0].object_id == "dry-run"


def test_a_row_reached_by_two_paths_is_counted_once_dry_or_real(db: Database) -> None:
    """No table of today's schema hangs below a call by two chains of references, but one added
    later may (a page naming both its call and its escalation): the purge walks whatever the
    foreign keys say, so this is a schema of its own, on the same databases."""
    schema = MetaData()
    calls = Table("t_calls", schema, Column("id", Integer, primary_key=True))
    Table(
        "t_escalations",
        schema,
        Column("id", Integer, primary_key=True),
        Column("call_id", ForeignKey("t_calls.id"), nullable=False),
    )
    Table(
        "t_pages",  # reached from its call and from its escalation
        schema,
        Column("id", Integer, primary_key=True),
        Column("call_id", ForeignKey("t_calls.id"), nullable=False),
        Column("escalation_id", ForeignKey("t_escalations.id")),
    )
    Table(  # below a row reached twice
        "t_page_log",
        schema,
        Column("id", Integer, primary_key=True),
        Column("page_id", ForeignKey("t_pages.id"), nullable=False),
    )
    Table(  # a link table (no id of its own) reached both ways
        "t_watchers",
        schema,
        Column("call_id", ForeignKey("t_calls.id"), primary_key=True),
        Column("escalation_id", ForeignKey("t_escalations.id"), primary_key=True),
        Column("user_id", Integer, primary_key=True),
    )
    schema.create_all(db.engine)
    rows = {
        "t_calls": [(1,), (2,), (3,)],  # 1 and 2 go (one batch each), 3 stays
        "t_escalations": [(1, 1), (2, 2), (3, 3)],
        # Page 1: its call and escalation in one batch; page 2: call 1's, of call 2's
        # escalation (met again in the next batch); page 3: one path only; page 4: stays.
        "t_pages": [(1, 1, 1), (2, 1, 2), (3, 1, None), (4, 3, 3)],
        "t_page_log": [(1, 1), (2, 2), (3, 2), (4, 4)],
        "t_watchers": [(1, 1, 7), (1, 2, 7), (2, 2, 8), (3, 3, 7)],
    }
    with db.engine.begin() as connection:
        for table in schema.sorted_tables:
            names = [c.name for c in table.columns]
            connection.execute(
                insert(table), [dict(zip(names, r, strict=True)) for r in rows[table.name]]
            )

    def counted() -> dict[str, int]:
        with db.session() as session:
            return {
                name: int(session.execute(sa_select(func.count()).select_from(table)).scalar_one())
                for name, table in schema.tables.items()
            }

    def remove(dry_run: bool) -> Counter[str]:
        counts: Counter[str] = Counter()
        seen: dict[str, set[object]] = {}
        for batch in ([1], [2]):
            with db.session() as session:
                retention._remove(
                    session, calls, list(batch), counts, dry_run, seen, retention._shared(calls)
                )
        return counts

    before = counted()
    dry = remove(dry_run=True)
    assert counted() == before
    real = remove(dry_run=False)
    after = counted()
    expected = {"t_calls": 2, "t_escalations": 2, "t_pages": 3, "t_page_log": 3, "t_watchers": 3}
    assert dict(dry) == dict(real) == expected
    assert {name: before[name] - after[name] for name in before} == expected
    assert after == dict.fromkeys(expected, 1)


def test_bounded_batches_purge_everything_due(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    ids = [record(db, line, counselor, caller=f"+86138000001{n}").call_id for n in range(5)]
    result = retention.purge(db=db, now=EXPIRES + days(1), batch_size=2)
    assert result.counts["calls"] == 5
    assert not any(exists(db, call_id) for call_id in ids)


def test_each_line_keeps_its_own_period_never_below_the_minimum(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    longer = make_line(db, number="+8612356")
    assert line.retention_days == MIN_RETENTION_DAYS  # the default
    with db.session() as session:
        assert longer.id is not None
        retention.set_retention(session=session, line_id=longer.id, days=2000)
        with pytest.raises(retention.RetentionError):
            retention.set_retention(session=session, line_id=longer.id, days=MIN_RETENTION_DAYS - 1)
    short = record(db, line, counselor)
    long_kept = record(db, longer, counselor, caller="+8613800000002")
    retention.purge(db=db, now=EXPIRES + days(1))
    assert not exists(db, short.call_id) and exists(db, long_kept.call_id)
    retention.purge(db=db, now=ENDED + days(2000) + days(1))
    assert not exists(db, long_kept.call_id)

    # A row edited below the minimum by hand still keeps the guideline's 3 years.
    kept = record(db, line, counselor, caller="+8613800000003")
    with db.session() as session:
        session.execute(
            text("UPDATE lines SET retention_days = 30 WHERE id = :id"), {"id": line.id}
        )
    retention.purge(db=db, now=ENDED + days(31))
    assert exists(db, kept.call_id)


def test_old_receipts_of_no_call_go_recent_ones_stay(
    db: Database, people: tuple[Line, User, User]
) -> None:
    with db.session() as session:
        for key, at in (("old", ENDED), ("new", EXPIRES)):
            session.add(
                WebhookReceipt(
                    key=key,
                    call_sid=f"CF-{key}",
                    endpoint="/twilio/conference/status",
                    status_code=200,
                    media_type="application/xml",
                    body="",
                    created_at=at,
                )
            )
    result = retention.purge(db=db, now=EXPIRES + days(1))
    assert result.counts["webhook_receipts"] == 1
    with db.session() as session:
        assert session.exec(select(WebhookReceipt.key)).all() == ["new"]


def test_sign_in_attempts_go_after_thirty_days(db: Database) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.session() as session:
        for name, age in (("old", 31), ("edge", 30), ("new", 1)):
            session.add(
                SignInAttempt(
                    at=now - days(age),
                    username=name,
                    ip="10.0.0.1",
                    step="password",
                    outcome=AttemptOutcome.failed,
                )
            )
    counted = retention.purge(db=db, now=now, dry_run=True)
    assert counted.counts["sign_in_attempts"] == 1
    result = retention.purge(db=db, now=now)
    assert result.counts["sign_in_attempts"] == 1
    with db.session() as session:
        assert sorted(session.exec(select(SignInAttempt.username)).all()) == ["edge", "new"]


def test_the_scheduled_purge_runs_once_a_day_across_instances(
    db: Database, people: tuple[Line, User, User]
) -> None:
    line, counselor, _admin = people
    old = record(db, line, counselor)
    clock = FakeClock(EXPIRES + days(1))
    first = retention.run_scheduled(db=db, now=clock.now(), instance="a")
    second = retention.run_scheduled(db=db, now=clock.now(), instance="b")
    assert first is not None and first.counts["calls"] == 1 and second is None
    assert not exists(db, old.call_id)
    clock.advance(86400)
    assert retention.run_scheduled(db=db, now=clock.now(), instance="b") is not None
    with db.session() as session:
        runs = list(session.exec(select(RetentionRun).order_by(RetentionRun.day)))  # type: ignore[arg-type]
    assert [(r.instance, r.finished_at is not None) for r in runs] == [("a", True), ("b", True)]
    assert runs[0].summary is not None and "calls=1" in runs[0].summary
    assert len(purge_entries(db)) == 2


def test_sessions_go_a_month_after_last_use(db: Database) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    user = make_user(db, "alice")
    assert user.id is not None
    with db.session() as session:
        for token, age in (("old", 31), ("new", 1)):
            session.add(
                UserSession(
                    token_hash=token,
                    user_id=user.id,
                    role=user.role,
                    created_at=now - days(age),
                    last_seen_at=now - days(age),
                )
            )
    assert retention.purge(db=db, now=now, dry_run=True).counts["user_sessions"] == 1
    assert retention.purge(db=db, now=now).counts["user_sessions"] == 1
    with db.session() as session:
        assert session.exec(select(UserSession.token_hash)).all() == ["new"]
