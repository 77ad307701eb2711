"""Benchmark: many concurrent web chats on one instance, from the person's message to the
counselor's screen, and the server's memory per open chat.

Starts `hotline serve` as its own process on a fresh database (helpers from bench_webhooks.py),
signs in enough counselors (console websockets, `max_conversations` each), opens the web chat
sockets (`/chat/{line_id}/ws`), each says a first message, and the counselors accept the offers
as the console would. Then every person sends messages, spread over time, and for each one the
script measures, from the moment it was sent:

- `announced`: the counselor's console websocket receives the frame (`conversation_message`)
  or snapshot card that announces it (its `last_message_id` reaches the message), and
- `screen`: the counselor can read it: the frame to the console of the counselor holding the
  conversation carries it (the socket reads what the console lacks), or, when a frame or card
  announced it without it, the console's transcript fetch (`GET /api/conversations/{id}/messages`,
  as conversations.js does) has returned it.

By default each person writes every 3 s on average (0.5 to 1.5 times `--interval`): 200 people
offer about 67 messages a second, far above a real chat's pace (a message every 20 s or so is
brisk); `--interval 20` is that pace. "messages/s" is what the server got through (all of them
over the time until the last was on a screen) and "CPU a message" its CPU time in that phase over
the messages: an offered rate above what one process gets through queues, and the wait grows
with the run.

Memory is the server process's RSS (from /proc) with the consoles signed in before the chats
open, and with all the chats open and live; the difference divided by the number of chats.
The client runs on the same machine (one asyncio loop), so its CPU time counts in the figures.

    python scripts/bench_webchat.py
    python scripts/bench_webchat.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench_webhooks import percentile, prepare_database, start_server
from sqlalchemy.engine import make_url
from sqlmodel import select
from websockets.asyncio.client import ClientConnection, connect

from hotline.auth import service as auth
from hotline.auth.models import UserCreate
from hotline.db import Database, make_engine
from hotline.lines.models import Line
from hotline.simulator.console_client import csrf_from

PASSWORD = "bench-password-horse-battery"
MARKER = re.compile(r"^bench (\d+)-(\d+)$")


def rss_kib(pid: int) -> int:
    """The process's resident set size in KiB (Linux /proc)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """The process's user and system CPU time in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_counselors(database_url: str, count: int) -> int:
    """`count` counselors (bench0..); the bench line's id."""
    db = Database(make_engine(database_url))
    with db.session() as session:
        for i in range(count):
            auth.create_user(
                session=session,
                data=UserCreate(
                    username=f"bench{i}",
                    display_name=f"Bench {i}",
                    password=PASSWORD,
                    endpoint=f"+86139{i:08d}",
                    languages=["zh_CN", "en"],
                    locale="en",
                ),
                now=datetime.now(UTC),
            )
        line_id = session.exec(select(Line.id)).one()
    db.engine.dispose()
    assert line_id is not None
    return line_id


@dataclass
class Samples:
    """Send times by message marker, and what the counselors' side saw of them."""

    sent: dict[str, float] = field(default_factory=dict)
    announced: dict[str, float] = field(default_factory=dict)
    screen: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class Counselor:
    """A console: accepts offers, fetches a transcript when a card's last message changes."""

    def __init__(self, base: str, username: str, samples: Samples) -> None:
        self.base = base
        self.username = username
        self.samples = samples
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.ws: ClientConnection | None = None
        self.held: set[int] = set()
        self.accepting: set[int] = set()
        # Per conversation: (arrival time, last_message_id) of each announcement that changed it.
        self.cards: dict[int, list[tuple[float, int]]] = {}
        self.fetching: set[int] = set()
        self.stale: set[int] = set()
        self.read_up_to: dict[int, int] = {}  # the newest message id read, per conversation
        self.seen_ids: dict[int, int] = {}

    async def sign_in(self) -> None:
        page = await self.http.get("/login")
        response = await self.http.post(
            "/login",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed for {self.username}: {response.status_code}")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        url = self.base.replace("http://", "ws://") + "/ws/console"
        self.ws = await connect(url, additional_headers={"Cookie": cookie}, max_size=None)
        await self.send("set_state", state="available", reason=None)

    async def send(self, kind: str, **fields: Any) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def run(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            arrived = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "conversation_message":
                if isinstance(frame.get("messages"), list):  # what it lacks, read by the socket
                    self.shown(frame["call_id"], frame["messages"], arrived)
                self.announced(arrived, frame["call_id"], frame["last_message_id"])
                continue
            if frame.get("type") != "snapshot":
                continue
            offer = frame.get("offer")
            if offer and offer["call_id"] not in self.accepting:
                self.accepting.add(offer["call_id"])
                await self.send("accept", call_id=offer["call_id"])
            for card in frame.get("conversations") or []:
                self.held.add(card["call_id"])
                self.announced(arrived, card["call_id"], card["last_message_id"] or 0)

    def announced(self, arrived: float, call_id: int, last: int) -> None:
        """A snapshot's card or a message frame names the conversation's last message."""
        history = self.cards.setdefault(call_id, [])
        if not history or history[-1][1] < last:
            history.append((arrived, last))
            if self.read_up_to.get(call_id, 0) < last:  # a frame brought it: nothing to read
                self.load(call_id)

    def load(self, call_id: int) -> None:
        if call_id in self.fetching:  # changed while loading: once more after (the console's way)
            self.stale.add(call_id)
            return
        self.fetching.add(call_id)
        asyncio.get_running_loop().create_task(self.fetch(call_id))

    async def fetch(self, call_id: int) -> None:
        try:
            path = f"/api/conversations/{call_id}/messages"
            if call_id in self.read_up_to:  # only what it lacks, as conversations.js reads
                path += f"?after={self.read_up_to[call_id]}"
            try:
                response = await self.http.get(path)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # The server closed an idle keep-alive connection as this request went out on
                # it: a browser sends an idempotent request again, and so does this console.
                response = await self.http.get(path)
            got = time.perf_counter()
            if response.status_code != 200:
                self.samples.failures.append(f"transcript {call_id}: {response.status_code}")
                return
            self.shown(call_id, response.json()["messages"], got)
        finally:
            self.fetching.discard(call_id)
            if call_id in self.stale:
                self.stale.discard(call_id)
                self.load(call_id)

    def shown(self, call_id: int, messages: list[dict[str, Any]], at: float) -> None:
        """`messages` of the conversation are on the counselor's screen from `at`."""
        history = self.cards.setdefault(call_id, [])
        for message in messages:
            self.read_up_to[call_id] = max(self.read_up_to.get(call_id, 0), message["id"])
            marker = message["body"]
            if message["sender"] != "person" or marker not in self.samples.sent:
                continue
            if marker in self.samples.screen:
                continue
            self.samples.screen[marker] = at
            # The first frame or card that announced it (last_message_id at or past it).
            self.samples.announced[marker] = next(
                (seen for seen, last in history if last >= message["id"]), at
            )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.http.aclose()


class Person:
    """A web chat page: hello, a first message, then the measured ones."""

    def __init__(self, base: str, line_id: int, index: int, samples: Samples) -> None:
        self.url = base.replace("http://", "ws://") + f"/chat/{line_id}/ws"
        self.index = index
        self.samples = samples
        self.ws: ClientConnection | None = None
        self.live = asyncio.Event()
        self.errors: list[str] = []
        self.counter = 0

    async def open(self) -> None:
        self.ws = await connect(self.url, max_size=None)
        await self.ws.send(json.dumps({"type": "hello", "resume": None}))

    async def run(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame.get("type") == "status" and frame.get("state") == "live":
                self.live.set()
            elif frame.get("type") == "error":
                self.errors.append(str(frame.get("code")))

    async def say(self, body: str) -> None:
        assert self.ws is not None
        self.counter += 1
        await self.ws.send(json.dumps({"type": "message", "id": f"m{self.counter}", "body": body}))

    async def talk(self, messages: int, interval: float) -> None:
        for k in range(messages):
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
            marker = f"bench {self.index}-{k}"
            self.samples.sent[marker] = time.perf_counter()
            await self.say(marker)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def summary(samples: dict[str, float], sent: dict[str, float]) -> dict[str, float]:
    ms = [(samples[m] - sent[m]) * 1000 for m in samples]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
    }


async def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def drive(base: str, pid: int, line_id: int, args: argparse.Namespace) -> dict[str, Any]:
    samples = Samples()
    counselors = [Counselor(base, f"bench{i}", samples) for i in range(args.counselors)]
    people = [Person(base, line_id, i, samples) for i in range(args.chats)]
    tasks: list[asyncio.Task[None]] = []
    try:
        rss_start = rss_kib(pid)
        for i, counselor in enumerate(counselors):  # one by one: sign-in hashes a password
            began = time.perf_counter()
            await counselor.sign_in()
            tasks.append(asyncio.create_task(counselor.run()))
            progress(f"counselor {i} signed in in {time.perf_counter() - began:.2f} s")
        await asyncio.sleep(2)  # their first snapshots, presence settled
        rss_before = rss_kib(pid)

        await asyncio.gather(*(person.open() for person in people))
        tasks += [asyncio.create_task(person.run()) for person in people]
        await asyncio.gather(*(person.say("你好，我想找人聊聊") for person in people))
        await asyncio.wait_for(
            asyncio.gather(*(person.live.wait() for person in people)), args.accept_timeout
        )
        await asyncio.sleep(2)
        rss_open = rss_kib(pid)

        progress(f"{args.chats} chats live: the timed messages begin")
        started = time.perf_counter()
        cpu_before = cpu_s(pid)
        client_before = time.process_time()
        await asyncio.gather(*(person.talk(args.messages, args.interval) for person in people))
        total = args.chats * args.messages
        try:
            await wait_for(lambda: len(samples.screen) >= total, 60, "every message on a screen")
        except RuntimeError:
            missing = sorted(set(samples.sent) - set(samples.screen))
            errors = [code for person in people for code in person.errors]
            progress(
                f"{len(missing)} of {total} never shown, e.g. {missing[:5]}; page errors "
                f"{errors[:5]}; failures {samples.failures[:5]}"
            )
            raise
        wall = time.perf_counter() - started
        cpu_used = cpu_s(pid) - cpu_before
        client_used = time.process_time() - client_before
        rss_after = rss_kib(pid)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in counselors), return_exceptions=True)
        await asyncio.gather(
            *(p.ws.close() for p in people if p.ws is not None), return_exceptions=True
        )
    errors = [code for person in people for code in person.errors]
    return {
        "chats": args.chats,
        "counselors": args.counselors,
        "messages_per_s": round(total / wall, 1),
        "server_cpu_ms_per_message": round(cpu_used * 1000 / total, 1),
        # The pages and consoles of this script, on the same cores as the server and database.
        "client_cpu_ms_per_message": round(client_used * 1000 / total, 1),
        "announced": summary(samples.announced, samples.sent),
        "screen": summary(samples.screen, samples.sent),
        "rss_mib": {
            "at_start": round(rss_start / 1024, 1),
            "consoles_signed_in": round(rss_before / 1024, 1),
            "chats_open": round(rss_open / 1024, 1),
            "after_messages": round(rss_after / 1024, 1),
        },
        "kib_per_open_chat": round((rss_open - rss_before) / args.chats, 1),
        "page_errors": errors,
        "failures": samples.failures[:5],
    }


def table(result: dict[str, Any]) -> str:
    rows = [f"{'':10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for part in ("announced", "screen"):
        s = result[part]
        rows.append(
            f"{part:10} {s['n']:>6} {s.get('p50_ms', '-'):>8} {s.get('p95_ms', '-'):>8} "
            f"{s.get('p99_ms', '-'):>8} {s.get('max_ms', '-'):>8}"
        )
    rss = result["rss_mib"]
    rows.append(
        f"RSS MiB: {rss['consoles_signed_in']} with {result['counselors']} consoles, "
        f"{rss['chats_open']} with {result['chats']} chats open "
        f"({result['kib_per_open_chat']} KiB per chat), {rss['after_messages']} after"
    )
    rows.append(
        f"{result['messages_per_s']} messages/s; the server's CPU "
        f"{result['server_cpu_ms_per_message']} ms a message (this script's "
        f"{result['client_cpu_ms_per_message']} ms); load: {os.getloadavg()}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--max-conversations", type=int, default=2)
    parser.add_argument("--messages", type=int, default=10, help="per person (20 a minute at most)")
    parser.add_argument("--interval", type=float, default=3.0, help="mean seconds between them")
    parser.add_argument("--accept-timeout", type=float, default=120)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--server-log", type=Path, default=None, help="the server's stderr")
    args = parser.parse_args()
    args.counselors = -(-args.chats // args.max_conversations)

    database_url = prepare_database(args.database_url)
    line_id = make_counselors(database_url, args.counselors)
    base, server = start_server(
        database_url,
        {
            "HOTLINE_MAX_CONVERSATIONS": str(args.max_conversations),
            # Every page here comes from one address, as no real one does.
            "HOTLINE_WEBCHATS_PER_ADDRESS": str(args.chats),
            "HOTLINE_SECRET_KEY": "bench-secret-key-that-is-long-enough-000",
        },
        args.server_log,
    )
    try:
        result = asyncio.run(drive(base, server.pid, line_id, args))
    finally:
        server.terminate()
        server.wait(timeout=15)
    result["database"] = make_url(database_url).get_backend_name()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(table(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
