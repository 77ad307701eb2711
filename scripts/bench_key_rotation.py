"""Benchmark: how fast `hotline keys rotate` re-encrypts, and how long one batch holds a write.

Builds a fresh SQLite database (or uses --database-url, which must be an empty database) by the
migrations, writes --rows note addenda under an "old" key, rotates them to a "new" key and prints
rows per second and the longest batch as JSON.

    python scripts/bench_key_rotation.py --rows 20000 --batch 200
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from hotline import crypto
from hotline.auth.models import User
from hotline.calls.models import Call, CallState
from hotline.db import Database, make_engine
from hotline.key_rotation import rotate
from hotline.lines.models import Line
from hotline.migrate import upgrade
from hotline.notes.models import CallNote, NoteAddendum

SECRET = "bench-secret-key-that-is-long-enough-0000"
OLD = "old:" + base64.b64encode(bytes(range(32))).decode()
NEW = "new:" + base64.b64encode(bytes(range(50, 82))).decode()


def populate(db: Database, rows: int) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        line = Line(number="+8657796525", name="bench", languages=["zh_CN"])
        user = User(username="bench", display_name="Bench", password_hash="x", created_at=now)
        session.add_all([line, user])
        session.flush()
        call = Call(
            call_sid="CA" + "0" * 32,
            line_id=line.id,  # type: ignore[arg-type]
            caller_hash="0" * 64,
            state=CallState.completed,
            created_at=now,
        )
        session.add(call)
        session.flush()
        note = CallNote(
            call_id=call.id,  # type: ignore[arg-type]
            author_id=user.id,  # type: ignore[arg-type]
            created_at=now,
            updated_at=now,
        )
        session.add(note)
        session.flush()
        for i in range(rows):
            session.add(
                NoteAddendum(
                    note_id=note.id,  # type: ignore[arg-type]
                    author_id=user.id,  # type: ignore[arg-type]
                    text=f"补充说明 {i}：来电者同意明天回访。" * 4,
                    created_at=now,
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database(make_engine(url))
        crypto.configure(crypto.keyring_from(SECRET, OLD, "production"))
        populate(db, args.rows)
        both = crypto.keyring_from(SECRET, f"{OLD},{NEW}", "production")
        crypto.configure(both)
        batch_times: list[float] = []
        last = time.perf_counter()

        def tick(_report: object) -> None:
            nonlocal last
            now = time.perf_counter()
            batch_times.append(now - last)
            last = now

        started = time.perf_counter()
        reports = rotate(db=db, keyring=both, batch=args.batch, progress=tick)
        elapsed = time.perf_counter() - started
        rotated = sum(r.rotated for r in reports)
        db.engine.dispose()
    result = {
        "backend": url.split(":", 1)[0],
        "rows": rotated,
        "batch": args.batch,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rotated / elapsed),
        "longest_batch_ms": round(max(batch_times) * 1000, 1),
        "median_batch_ms": round(sorted(batch_times)[len(batch_times) // 2] * 1000, 1),
    }
    print(json.dumps(result))  # noqa: T201 - a script's output


if __name__ == "__main__":
    main()
