"""Benchmark: latency of the incoming-call webhook (and the menu answer that queues the call).

Starts `hotline serve` as its own process on a fresh database, then sends signed webhooks from a
pool of client threads, each request a new CallSid, and prints latency percentiles as JSON.

    python scripts/bench_webhooks.py --requests 2000 --concurrency 8
    python scripts/bench_webhooks.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from hotline.db import Database, make_engine
from hotline.lines import service as lines
from hotline.lines.models import LineCreate
from hotline.migrate import upgrade

TOKEN = "bench-auth-token"
LINE = "+8657796525"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(latencies: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def fresh_database(url: str | None) -> str:
    if url is None:
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def prepare_database(url: str | None, partner_number: str | None = None) -> str:
    """A fresh, migrated database with the bench line; its URL."""
    database_url = fresh_database(url)
    upgrade(database_url)
    with Database(make_engine(database_url)).session() as session:
        lines.create_line(
            session=session,
            data=LineCreate(
                number=LINE,
                name="Bench line",
                languages=["zh_CN", "en"],
                partner_number=partner_number,
            ),
        )
    return database_url


def start_server(
    database_url: str, extra_env: dict[str, str] | None = None, log: Path | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """`hotline serve` as its own process on a free loopback port, once /healthz answers (its
    stderr to `log`, if given)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_SIMULATOR_URL": "http://127.0.0.1:9",
        **(extra_env or {}),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "hotline"), "serve", "--port", str(port)],
        env=env,
        stderr=log.open("ab") if log is not None else subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return base, server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("hotline serve did not start")


def incoming_params(i: int) -> dict[str, str]:
    """A new caller's incoming-call webhook (a new CallSid each time)."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": f"CA{uuid.uuid4().hex}",
        "From": f"+86138{i % 10**8:08d}",
        "To": LINE,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    database_url = prepare_database(args.database_url)
    base, server = start_server(database_url)
    validator = RequestValidator(TOKEN)
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=args.concurrency))
    try:

        def post(path: str, params: dict[str, str]) -> float:
            signature = validator.compute_signature(base + path, params)
            started = time.perf_counter()
            response = client.post(
                base + path, data=params, headers={"X-Twilio-Signature": signature}
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            return elapsed

        def one(i: int) -> tuple[float, float]:
            params = incoming_params(i)
            incoming = post("/twilio/voice/incoming", params)
            gather = post("/twilio/voice/gather", {**params, "Digits": "1"})
            return incoming, gather

        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(one, range(50)))  # warm-up
            started = time.perf_counter()
            results = list(pool.map(one, range(args.requests)))
            wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        json.dumps(
            {
                "database": make_url(database_url).get_backend_name(),
                "concurrency": args.concurrency,
                "incoming": summary([r[0] for r in results]),
                "gather": summary([r[1] for r in results]),
                "webhooks_per_s": round(2 * len(results) / wall, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
