"""Seed a year of a busy line for the statistics benchmark: N calls with notes, escalations and
counselor presence, with realistic shapes (an evening-heavy hour-of-day curve, short and long
abandons, overflow, crisis levels, categories and population groups).

The database must already be migrated (`hotline db upgrade` or the benchmark script does it).
PostgreSQL is filled with COPY; SQLite with batched executemany.

    python scripts/seed_calls.py --database-url postgresql+psycopg://postgres@127.0.0.1/stats \
        --calls 1000000

Only statistics columns are filled: no caller numbers, no note text (the encrypted part stays
empty), and no per-transition call_events rows (the statistics do not read them).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.escalation.models import Escalation
from hotline.lines.models import Line
from hotline.notes.models import CallNote, IssueCategory
from hotline.routing.models import PresenceEvent

# Share of calls per local hour (a crisis line is busiest in the late evening).
HOUR_WEIGHTS = [
    3,
    2,
    1.5,
    1,
    1,
    1,
    1.5,
    2,
    3,
    4,
    4.5,
    4.5,
    4,
    4,
    4.5,
    5,
    5,
    5,
    5.5,
    6.5,
    7.5,
    8,
    7,
    5,
]
LEVELS = [("none", 55), ("low", 24), ("moderate", 13), ("high", 6), ("imminent", 2)]
CALL_TYPES = [
    ("self", 70),
    ("third_party", 10),
    ("silent", 7),
    ("hang_up", 5),
    ("information", 5),
    ("abusive", 1),
    ("prank", 1),
    ("wrong_number", 1),
]
TZ_OFFSET = timedelta(hours=8)  # Asia/Shanghai, the seeded line's zone (no daylight saving)
BATCH = 20_000
CALL_COLUMNS = [
    "id",
    "call_sid",
    "line_id",
    "caller_hash",
    "language",
    "state",
    "priority",
    "in_danger",
    "repeat_caller",
    "caller_area",
    "created_at",
    "queued_at",
    "offered_at",
    "accepted_at",
    "offer_count",
    "counselor_id",
    "caller_joined_at",
    "connected_at",
    "ended_at",
    "completed_at",
    "end_reason",
]
NOTE_COLUMNS = [
    "id",
    "call_id",
    "author_id",
    "status",
    "version",
    "call_type",
    "profile",
    "categories",
    "interventions",
    "suggested_level",
    "crisis_level",
    "level_lowered",
    "follow_up_wanted",
    "difficult",
    "created_at",
    "updated_at",
    "submitted_at",
    "overdue",
]

# Population group codes the migration seeds (admins may add more; these always exist).
GROUPS = (
    "student",
    "elderly",
    "pregnant_postpartum",
    "migrant_worker",
    "left_behind_child",
    "disability",
    "unemployed",
    "medical_staff",
    "other",
)


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def ensure_setup(engine: Engine, counselors: int) -> tuple[int, list[int], list[int]]:
    """The line, the counselors and the issue categories; their ids."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        line_id = conn.execute(select(Line.id).where(Line.number == "12356")).scalar()
        if line_id is None:
            line_id = conn.execute(
                insert(Line).returning(Line.id),
                {
                    "number": "12356",
                    "name": "National psychological assistance line (seeded)",
                    "languages": ["zh_CN"],
                    "greetings": {},
                    "timezone": "Asia/Shanghai",
                    "max_queue_wait_s": 180,
                    "overflow_action": "forward",
                    "recording": False,
                    "active": True,
                    "local_prefixes": ["+8610", "010"],
                },
            ).scalar_one()
        users = []
        for i in range(counselors):
            name = f"seed-counselor-{i:03d}"
            uid = conn.execute(select(User.id).where(User.username == name)).scalar()
            if uid is None:
                uid = conn.execute(
                    insert(User).returning(User.id),
                    {
                        "username": name,
                        "display_name": f"Seed {i}",
                        "role": "counselor",
                        "locale": "zh_CN",
                        "endpoint": "",
                        "line_ids": [line_id],
                        "languages": ["zh_CN"],
                        "active": True,
                        "password_hash": "!",  # cannot sign in
                        "created_at": now,
                    },
                ).scalar_one()
            users.append(int(uid))
        categories = [int(c) for c in conn.execute(select(IssueCategory.id)).scalars()]
    return int(line_id), users, categories


def next_id(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")).scalar_one())


def generate(
    rng: random.Random,
    *,
    n: int,
    start: datetime,
    days: int,
    line_id: int,
    users: list[int],
    categories: list[int],
    first_call: int,
    first_note: int,
    first_escalation: int,
) -> Iterator[tuple[str, dict[str, Any]]]:
    groups = list(GROUPS)
    hours = list(range(24))
    call_id, note_id, escalation_id = first_call, first_note, first_escalation
    # Arrival times in order, as a live system writes them (rows of a day sit together on disk).
    arrivals = sorted(
        (rng.randrange(days), hour, rng.randrange(3600))
        for hour in rng.choices(hours, HOUR_WEIGHTS, k=n)
    )
    for i, (day, hour, second) in enumerate(arrivals):
        local = start + timedelta(days=day, hours=hour, seconds=second)
        created = local - TZ_OFFSET
        row: dict[str, Any] = dict.fromkeys(CALL_COLUMNS)
        row.update(
            id=call_id,
            call_sid=f"CAseed{call_id:012d}",
            line_id=line_id,
            caller_hash=f"{rng.getrandbits(128):032x}",
            language="zh_CN",
            priority=0,
            in_danger=rng.random() < 0.02,
            repeat_caller=rng.random() < 0.22,
            caller_area=pick(rng, [("local", 68), ("out_of_area", 27), ("unknown", 5)]),
            created_at=created,
            offer_count=0,
        )
        outcome = rng.random()
        if outcome < 0.03:  # hung up in the greeting
            ended = created + timedelta(seconds=rng.uniform(2, 25))
            row.update(state="abandoned", ended_at=ended, completed_at=ended, end_reason="caller")
            yield "call", row
            call_id += 1
            continue
        queued = created + timedelta(seconds=rng.uniform(8, 40))
        row["queued_at"] = queued
        if outcome < 0.11:  # abandoned in the queue; a third of them at once
            wait = rng.uniform(0, 5) if rng.random() < 0.35 else rng.uniform(5, 170)
            ended = queued + timedelta(seconds=wait)
            row.update(state="abandoned", ended_at=ended, completed_at=ended, end_reason="caller")
            yield "call", row
            call_id += 1
            continue
        if outcome < 0.14:  # nobody free within the maximum wait
            ended = queued + timedelta(seconds=180)
            row.update(state="overflow", ended_at=ended, completed_at=ended, end_reason="max_wait")
            yield "call", row
            call_id += 1
            continue
        wait = min(rng.expovariate(1 / 22), 175)
        connected = queued + timedelta(seconds=wait)
        talk = min(rng.lognormvariate(6.6, 0.7), 4 * 3600)
        ended = connected + timedelta(seconds=talk)
        completed = ended + timedelta(seconds=rng.uniform(30, 400))
        counselor = rng.choice(users)
        row.update(
            state="completed",
            offered_at=connected - timedelta(seconds=6),
            accepted_at=connected - timedelta(seconds=4),
            offer_count=1,
            counselor_id=counselor,
            caller_joined_at=queued,
            connected_at=connected,
            ended_at=ended,
            completed_at=completed,
            end_reason=rng.choice(("caller", "counselor_hangup")),
        )
        yield "call", row
        call_type = pick(rng, CALL_TYPES)
        counselling = call_type in ("self", "third_party")
        level = pick(rng, LEVELS) if counselling else None
        submitted = rng.random() < 0.97
        yield (
            "note",
            {
                "id": note_id,
                "call_id": call_id,
                "author_id": counselor,
                "status": "submitted" if submitted else "draft",
                "version": 3,
                "call_type": call_type,
                "profile": json.dumps(
                    {
                        "age_band": None,
                        "gender": None,
                        "region": "",
                        "population_groups": rng.sample(groups, rng.choice((0, 0, 1, 1, 2))),
                    }
                ),
                "categories": json.dumps(
                    rng.sample(categories, rng.choice((1, 1, 2, 3))) if counselling else []
                ),
                "interventions": "[]",
                "suggested_level": level,
                "crisis_level": level,
                "level_lowered": False,
                "follow_up_wanted": level in ("moderate", "high", "imminent"),
                "difficult": counselling and rng.random() < 0.08,
                "created_at": connected,
                "updated_at": completed,
                "submitted_at": completed if submitted else None,
                "overdue": False,
            },
        )
        note_id += 1
        if level in ("high", "imminent"):
            escalated = connected + timedelta(seconds=rng.uniform(60, 900))
            acked = rng.random() < 0.97
            ack_at = escalated + timedelta(seconds=rng.expovariate(1 / 90)) if acked else None
            join_at = (
                ack_at + timedelta(seconds=rng.uniform(30, 240))
                if ack_at is not None and rng.random() < 0.85
                else None
            )
            yield (
                "escalation",
                {
                    "id": escalation_id,
                    "call_id": call_id,
                    "line_id": line_id,
                    "level": level,
                    "status": "resolved" if acked else "unacknowledged",
                    "policy": "{}",
                    "attempt": 1,
                    "acknowledged_by": rng.choice(users) if acked else None,
                    "acknowledged_at": ack_at,
                    "joined_at": join_at,
                    "alarm_at": None if acked else escalated + timedelta(minutes=15),
                    "created_at": escalated,
                },
            )
            escalation_id += 1
        call_id += 1
        if i and i % 100_000 == 0:
            print(f"  generated {i} calls", flush=True)


def presence_rows(
    rng: random.Random, *, users: list[int], start: datetime, days: int
) -> Iterator[dict[str, Any]]:
    """Each counselor works about four shifts a week: available at the start, offline at the end."""
    for user_id in users:
        for day in range(days):
            if rng.random() < 4 / 7:
                begin = start + timedelta(days=day, hours=rng.choice((0, 8, 16))) - TZ_OFFSET
                yield {"user_id": user_id, "state": "available", "at": begin}
                yield {"user_id": user_id, "state": "offline", "at": begin + timedelta(hours=8)}


def copy_rows(engine: Engine, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def write(engine: Engine, table: Any, columns: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        copy_rows(engine, table.__tablename__, columns, rows)
        return
    with engine.begin() as conn:
        if table is CallNote:  # JSON columns go through the type as Python values
            rows = [
                {
                    **r,
                    "profile": json.loads(r["profile"]),
                    "categories": json.loads(r["categories"]),
                }
                | {"interventions": []}
                for r in rows
            ]
        if table is Escalation:
            rows = [{**r, "policy": {}} for r in rows]
        conn.execute(insert(table), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--start", default="2026-01-01", help="first local day (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--counselors", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12356)
    args = parser.parse_args()
    engine = create_engine(args.database_url)
    began = time.monotonic()
    start = datetime.fromisoformat(args.start).replace(tzinfo=UTC)
    line_id, users, categories = ensure_setup(engine, args.counselors)
    rng = random.Random(args.seed)
    first = {t: next_id(engine, t) for t in ("calls", "call_notes", "escalations")}
    buffers: dict[str, list[dict[str, Any]]] = {"call": [], "note": [], "escalation": []}
    targets = {
        "call": (Call, CALL_COLUMNS),
        "note": (CallNote, NOTE_COLUMNS),
        "escalation": (
            Escalation,
            [
                "id",
                "call_id",
                "line_id",
                "level",
                "status",
                "policy",
                "attempt",
                "acknowledged_by",
                "acknowledged_at",
                "joined_at",
                "alarm_at",
                "created_at",
            ],
        ),
    }

    def flush(kinds: tuple[str, ...]) -> None:
        for kind in kinds:
            table, columns = targets[kind]
            write(engine, table, columns, buffers[kind])
            buffers[kind] = []

    for kind, row in generate(
        rng,
        n=args.calls,
        start=start,
        days=args.days,
        line_id=line_id,
        users=users,
        categories=categories,
        first_call=first["calls"],
        first_note=first["call_notes"],
        first_escalation=first["escalations"],
    ):
        buffers[kind].append(row)
        if len(buffers["call"]) >= BATCH:
            flush(("call", "note", "escalation"))  # parents before children
    flush(("call", "note", "escalation"))
    with engine.begin() as conn:
        conn.execute(
            insert(PresenceEvent),
            list(presence_rows(rng, users=users, start=start, days=args.days)),
        )
        if engine.dialect.name == "postgresql":
            for table in ("calls", "call_notes", "escalations"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    url = make_url(args.database_url).render_as_string(hide_password=True)
    print(f"seeded {args.calls} calls into {url} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
