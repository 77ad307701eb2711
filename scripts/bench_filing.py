"""Benchmark: filing a report (立卷归档) over a seeded year, in both languages, beside the period
before, as the hourly job does. Each run is rolled back, so the archive is left as it was.

    python scripts/seed_calls.py --database-url $HOTLINE_DATABASE_URL --start 2025-11-21
    hotline rollup
    python scripts/bench_filing.py --database-url $HOTLINE_DATABASE_URL --period 2026-Q3
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from hotline import crypto
from hotline.db import make_engine
from hotline.lines.models import Line
from hotline.stats import archive

SECRET = "bench-secret-key-that-is-long-enough-000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    crypto.configure(crypto.keyring_from(SECRET, "", "development"))
    engine = make_engine(args.database_url)
    period = archive.parse(args.period)
    key = archive.signing_key(SECRET)
    with Session(engine) as session:
        first_line = session.exec(select(Line.id).order_by(col(Line.id))).first()
    print(f"{'what':32} {'p50 ms':>8} {'max ms':>8}")
    for label, line_id in (("one line", first_line), ("all lines", None)):
        times = []
        for _ in range(args.runs):
            with Session(engine) as session:
                began = time.perf_counter()
                archive.file_report(
                    session=session,
                    period=period,
                    line_id=line_id,
                    now=datetime.now(UTC),
                    today=date.today(),
                    key=key,
                )
                times.append((time.perf_counter() - began) * 1000)
                session.rollback()
        print(f"{label:32} {statistics.median(times):8.0f} {max(times):8.0f}", flush=True)


if __name__ == "__main__":
    main()
