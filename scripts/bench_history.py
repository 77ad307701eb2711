"""Benchmark: the high-risk-history check that every incoming call now makes
(`hotline.routing.priority.has_open_high_risk_history`), on a seeded database.

Times the check for callers picked at random from the database (half of them callers whose
call was escalated, so every branch of the query is exercised) and for unknown numbers, and
prints latency percentiles as JSON.

    python scripts/seed_calls.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        --calls 1000000
    python scripts/bench_history.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from hotline.calls.models import Call
from hotline.db import make_engine
from hotline.escalation.models import Escalation
from hotline.routing.priority import has_open_high_risk_history


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    engine = make_engine(args.database_url)
    half = args.samples // 2
    with Session(engine) as session:
        calls = int(session.exec(select(func.count()).select_from(Call)).one())
        escalated = list(
            session.exec(
                select(Call.caller_hash)
                .join(Escalation, col(Escalation.call_id) == col(Call.id))
                .order_by(func.random())
                .limit(half)
            )
        )
        anyone = list(session.exec(select(Call.caller_hash).order_by(func.random()).limit(half)))
    unknown = [f"{rng.getrandbits(128):032x}" for _ in range(half)]
    now = datetime.now(UTC)
    results: dict[str, object] = {"calls_in_database": calls}
    for name, hashes in (("escalated", escalated), ("any", anyone), ("unknown", unknown)):
        samples = []
        found = 0
        # One session, as the webhook has one open already: the check's own cost.
        with Session(engine) as session:
            for caller_hash in hashes:
                started = time.perf_counter()
                found += has_open_high_risk_history(
                    session=session, caller_hash=caller_hash, now=now
                )
                samples.append(time.perf_counter() - started)
        results[name] = {**percentiles(samples), "with_history": found}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
