"""Benchmark: one instance under more incoming calls than it can take.

Starts `hotline serve` as its own process on a fresh database (helpers from bench_webhooks.py),
measures its saturation rate with a closed loop of signed incoming-call webhooks, then drives it
open loop (each request sent at its scheduled time, latency counted from then) at 0.5x, 1x and 2x
that rate and prints, per rate, p50/p99/max and the share of answers that were the fallback
(`<Dial>` to the partner line instead of the menu). Loopback only; every phase is bounded in
requests and seconds. The server's settings (HOTLINE_WEBHOOK_CONCURRENCY, HOTLINE_WEBHOOK_WAIT_S)
come from the environment.

    python scripts/bench_overload.py
    python scripts/bench_overload.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench_webhooks import TOKEN, incoming_params, percentile, prepare_database, start_server
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

PARTNER = "+8657712345"
PATH = "/twilio/voice/incoming"
# Twilio gives up on a webhook after 15 s; the promise here is an answer within 2 s.
LIMIT_S = 2.0


class Driver:
    """A light HTTP/1.1 client on raw asyncio streams (httpx's own CPU time skewed the figures):
    a new connection per webhook, as Twilio opens them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.port = int(base.rsplit(":", 1)[1])
        self.validator = RequestValidator(TOKEN)
        self.sent = 0

    async def call(self, scheduled: float) -> tuple[float, str]:
        """One signed incoming call: (seconds since it was due, "menu" | "fallback" | error)."""
        params = incoming_params(self.sent)
        self.sent += 1
        signature = self.validator.compute_signature(self.base + PATH, params)
        body = urlencode(params).encode()
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(head + body)
            answer = await reader.read()  # to the end: the server closes
            writer.close()
        except OSError as error:
            return time.perf_counter() - scheduled, type(error).__name__
        elapsed = time.perf_counter() - scheduled
        status = answer[9:12].decode(errors="replace")
        if status != "200":
            return elapsed, f"http_{status}"
        return elapsed, "fallback" if f"<Dial>{PARTNER}</Dial>".encode() in answer else "menu"

    async def saturation(self, clients: int, requests: int) -> float:
        """Answers a second with `clients` callers each waiting for their answer (closed loop)."""
        remaining = requests

        async def caller() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await self.call(time.perf_counter())

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(clients)))
        return requests / (time.perf_counter() - started)

    async def open_loop(self, rate: float, seconds: float, max_requests: int) -> dict[str, Any]:
        """`rate` calls a second, each sent when due whatever the answers so far."""
        count = min(int(rate * seconds), max_requests)
        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.call(due)))
        results = await asyncio.gather(*tasks)
        latencies = [r[0] * 1000 for r in results]
        kinds = [r[1] for r in results]
        return {
            "rate_per_s": round(rate, 1),
            "requests": count,
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1),
            "fallback_share": round(kinds.count("fallback") / count, 3),
            "errors": {k: kinds.count(k) for k in set(kinds) - {"menu", "fallback"}},
            "within_2s": max(latencies) <= LIMIT_S * 1000,
        }


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (Linux /proc), to show what the figures cost each side."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace) -> dict[str, object]:
    database_url = prepare_database(args.database_url, partner_number=PARTNER)
    base, server = start_server(database_url)
    try:
        driver = Driver(base)
        await driver.saturation(args.clients, 100)  # warm-up
        rate = await driver.saturation(args.clients, args.saturation_requests)
        phases = []
        for factor in (0.5, 1.0, 2.0):
            await asyncio.sleep(args.pause)  # let the previous phase drain
            server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
            phase = await driver.open_loop(factor * rate, args.seconds, args.max_requests)
            phase["server_cpu_s"] = round(cpu_seconds(server.pid) - server_cpu, 1)
            phase["client_cpu_s"] = round(time.process_time() - client_cpu, 1)
            phases.append({"factor": factor, **phase})
    finally:
        server.terminate()
        server.wait(timeout=15)
    return {
        "database": make_url(database_url).get_backend_name(),
        "saturation_per_s": round(rate, 1),
        "phases": phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--clients", type=int, default=32, help="closed-loop callers")
    parser.add_argument("--saturation-requests", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=8.0, help="per open-loop phase")
    parser.add_argument("--max-requests", type=int, default=5000, help="per open-loop phase")
    parser.add_argument("--pause", type=float, default=3.0, help="between phases")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
