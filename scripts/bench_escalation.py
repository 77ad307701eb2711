"""Benchmark: from a counselor tagging a live call high to the first page sent.

Starts `hotline serve` (SQLite, embedded simulator) on a fresh demo database. A counselor takes
each simulated call, saves a note whose screener suggests "high"; the script reads the outbox
to see when the crisis worker's console alert and SMS page were sent, then resolves the
escalation and ends the call. Prints percentiles as JSON.

    python scripts/bench_escalation.py --calls 30
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlmodel import col, select

from hotline import crypto
from hotline.clock import SystemClock
from hotline.db import Database, make_engine
from hotline.escalation.models import Channel, Escalation, Page, PageStatus
from hotline.migrate import upgrade
from hotline.seed import DEMO_PASSWORD, seed_demo
from hotline.simulator.client import SimulatorControl
from hotline.simulator.console_client import ConsoleClient, csrf_from

LINE = "+8657796525"
SECRET = "bench-secret-key-that-is-long-enough-000"
SIM_TOKEN = "bench-simulator-control-token-000"
HIGH = {"q1_wish_dead": True, "q2_suicidal_thoughts": True, "q4_intent": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def wait_sent(db: Database, escalation_id: int, channel: Channel, timeout: float = 10) -> datetime:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            page = session.exec(
                select(Page).where(
                    Page.escalation_id == escalation_id,
                    Page.channel == channel,
                    col(Page.status).in_([PageStatus.sent.value, PageStatus.answered.value]),
                )
            ).first()
            if page is not None and page.sent_at is not None:
                return page.sent_at
        time.sleep(0.005)
    raise TimeoutError(f"no {channel.value} page sent for escalation {escalation_id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()

    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    crypto.configure(crypto.keyring_from(SECRET, "", "development"))
    db = Database(make_engine(url))
    with db.session() as session:
        seed_demo(session=session, now=SystemClock().now())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_SIMULATOR_URL": f"{base}/sim",
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_SIMULATOR_CONTROL_TOKEN": SIM_TOKEN,
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "hotline"), "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    console_ms: list[float] = []
    sms_ms: list[float] = []
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        time.sleep(1.5)  # the numbers are pointed at this server just after start-up
        sim = SimulatorControl(base + "/sim", SIM_TOKEN)
        counselor = ConsoleClient(base, "counselor1", DEMO_PASSWORD)
        crisis = ConsoleClient(base, "crisis1", DEMO_PASSWORD)
        token = csrf_from(counselor.http.get("/console").text)
        crisis_token = csrf_from(crisis.http.get("/console").text)
        crisis.ws.close()  # only its HTTP session is used here
        counselor.send("set_state", state="available", reason=None)
        counselor.state("available")
        for i in range(args.calls):
            sid = sim.place_call(f"+86137{i:08d}", LINE, digits="1")
            offer = counselor.offer()
            call_id = offer["call_id"]
            counselor.send("accept", call_id=call_id)
            counselor.wait(lambda s: (s["call"] or {}).get("state") == "connected")
            version = counselor.http.get(f"/api/calls/{call_id}/note").json()["version"]
            tagged = datetime.now(UTC)
            saved = counselor.http.put(
                f"/api/calls/{call_id}/note",
                json={"version": version, "fields": {"screener": HIGH}},
                headers={"X-CSRF-Token": token},
            ).json()
            with db.session() as session:
                found = session.exec(select(Escalation).where(Escalation.call_id == call_id)).one()
            escalation_id = found.id
            assert saved["escalation"] is not None and escalation_id is not None
            console_at = wait_sent(db, escalation_id, Channel.console)
            sms_at = wait_sent(db, escalation_id, Channel.sms)
            console_ms.append((console_at - tagged).total_seconds() * 1000)
            sms_ms.append((sms_at - tagged).total_seconds() * 1000)
            crisis.http.post(
                f"/api/escalations/{escalation_id}/resolve",
                json={"outcome": "other"},
                headers={"X-CSRF-Token": crisis_token},
            )
            sim.hangup(sid)
            counselor.wait(lambda s: (s["call"] or {}).get("state") == "wrap_up")
            counselor.send("finish_wrap_up", call_id=call_id)
            counselor.state("available")
            counselor.last = None
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        json.dumps(
            {
                "calls": len(console_ms),
                "tag_to_console_alert_ms": {
                    "p50": pct(console_ms, 0.5),
                    "p99": pct(console_ms, 0.99),
                    "max": round(max(console_ms), 1),
                },
                "tag_to_sms_sent_ms": {
                    "p50": pct(sms_ms, 0.5),
                    "p99": pct(sms_ms, 0.99),
                    "max": round(max(sms_ms), 1),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
