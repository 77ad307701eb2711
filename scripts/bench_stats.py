"""Benchmark: every statistics page, API call and report download, through real HTTP.

Runs `hotline serve` (no call engine) against an already seeded database (see
scripts/seed_calls.py) whose statistics roll-up is up to date (`hotline rollup`), signs in as a
supervisor it creates, requests each URL `--runs` times after one warm-up request, and prints the
median and the maximum per URL (milliseconds). "A year" is the seeded calls' last 365 days.

    createdb -h 127.0.0.1 -U postgres stats_bench
    export HOTLINE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/stats_bench
    python scripts/seed_calls.py --database-url $HOTLINE_DATABASE_URL --start 2025-11-21
    hotline rollup
    python scripts/bench_stats.py --database-url $HOTLINE_DATABASE_URL
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, func, select

from hotline import crypto
from hotline.auth import service as auth
from hotline.auth.models import Role, User, UserCreate
from hotline.calls.models import Call
from hotline.db import Database, make_engine
from hotline.lines.models import Line
from hotline.simulator.console_client import csrf_from

SECRET = "bench-secret-key-that-is-long-enough-000"
USERNAME = "bench-supervisor"
PASSWORD = "quiet-harbour-lantern-42"  # noqa: S105 - a local benchmark account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_supervisor(url: str) -> int | None:
    """The supervisor who signs in; the id of the seeded line (or None)."""
    crypto.configure(crypto.keyring_from(SECRET, "", "development"))
    db = Database(make_engine(url))
    with db.session() as session:
        if session.exec(select(User).where(User.username == USERNAME)).first() is None:
            auth.create_user(
                session=session,
                data=UserCreate(
                    username=USERNAME,
                    display_name="Bench Supervisor",
                    role=Role.supervisor,
                    password=PASSWORD,
                    locale="en",
                ),
                now=datetime.now(UTC),
            )
        line = session.exec(select(Line.id).where(Line.number == "12356")).first()
        first = session.exec(select(Line.id).order_by(col(Line.id))).first()
    db.engine.dispose()
    return line if line is not None else first


def seeded_year(url: str) -> tuple[date, date]:
    """The last 365 days of the seeded calls (local days of the first line), so that the
    benchmark's "year" is a past year, as a supervisor would ask for it."""
    db = Database(make_engine(url))
    with db.session() as session:
        zone = session.exec(select(Line.timezone).order_by(col(Line.id))).first() or "UTC"
        last = session.exec(select(func.max(col(Call.created_at)))).first()
    db.engine.dispose()
    assert last is not None, "seed the database first (scripts/seed_calls.py)"
    last_day = last.astimezone(ZoneInfo(zone)).date()
    return last_day - timedelta(days=364), last_day


def urls(line_id: int | None, first: date, last: date) -> list[tuple[str, str]]:
    line = f"&line={line_id}" if line_id is not None else ""
    year_range = f"start={first}&end={last}"
    month_start = (last.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last full month
    month_end = last.replace(day=1) - timedelta(days=1)
    month = month_start.strftime("%Y-%m")
    # The last full quarter and half-year (the previous one is read too, to sit beside it).
    quarter_first = date(last.year, (last.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    quarter = f"{quarter_first.year}-Q{(quarter_first.month - 1) // 3 + 1}"
    half_first = date(last.year, (last.month - 1) // 6 * 6 + 1, 1) - timedelta(days=1)
    half = f"{half_first.year}-H{(half_first.month - 1) // 6 + 1}"
    month_range = f"start={month_start}&end={month_end}"
    return [
        ("page, 30 days by day", f"/supervisor/stats?{month_range}{line}"),
        ("page, year by day", f"/supervisor/stats?{year_range}{line}"),
        ("page, year by week", f"/supervisor/stats?{year_range}&bucket=week{line}"),
        ("page, year by month", f"/supervisor/stats?{year_range}&bucket=month{line}"),
        ("page, year by quarter", f"/supervisor/stats?{year_range}&bucket=quarter{line}"),
        ("page, year, all lines", f"/supervisor/stats?{year_range}&bucket=month"),
        ("api overview, month", f"/api/stats/overview?{month_range}{line}"),
        ("api overview, year", f"/api/stats/overview?{year_range}&bucket=month{line}"),
        ("api calls by hour, year", f"/api/stats/calls?{year_range}&bucket=hour{line}"),
        ("api calls by weekday, year", f"/api/stats/calls?{year_range}&bucket=weekday{line}"),
        ("api categories, year", f"/api/stats/counts/category?{year_range}{line}"),
        ("api groups, year", f"/api/stats/counts/population_group?{year_range}{line}"),
        ("api escalations, year", f"/api/stats/escalations?{year_range}{line}"),
        ("report.xlsx, month", f"/supervisor/stats/report.xlsx?month={month}{line}"),
        ("report.csv, month", f"/supervisor/stats/report.csv?month={month}{line}"),
        ("report.xlsx, quarter", f"/supervisor/stats/report.xlsx?period={quarter}{line}"),
        ("report.xlsx, quarter, all", f"/supervisor/stats/report.xlsx?period={quarter}"),
        ("report.xlsx, half-year", f"/supervisor/stats/report.xlsx?period={half}{line}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated words: time matching URLs")
    args = parser.parse_args()
    line_id = ensure_supervisor(args.database_url)
    first, last = seeded_year(args.database_url)
    print(f"a year: {first} to {last}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": args.database_url,
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_RUN_ENGINE": "false",
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_TOTP_ROLES": "[]",  # the benchmark signs in with its password only
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "hotline"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(base_url=base, timeout=120)
        for _ in range(600):  # a loaded machine can take a while to import and start
            try:
                client.get("/login")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        token = csrf_from(client.get("/login?lang=en").text)
        signed = client.post(
            "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
        )
        assert signed.status_code == 303, signed.status_code
        print(f"{'what':32} {'p50 ms':>8} {'max ms':>8}")
        worst = 0.0
        chosen = [w for w in args.only.split(",") if w]
        for label, url in urls(line_id, first, last):
            if chosen and not any(word in label for word in chosen):
                continue
            response = client.get(url)  # warm-up
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(args.runs):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            worst = max(worst, max(times))
            print(f"{label:32} {statistics.median(times):8.0f} {max(times):8.0f}", flush=True)
        print(f"slowest single request: {worst:.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
