"""Redis is only a relay for hints between instances: an instance starts and serves callers with
Redis refused or blackholed, says so once in its log, and relays again once Redis is back.

Real parts: `hotline serve` processes, a TCP port nothing listens on, a socket server that accepts
and never answers, and the real Redis behind a TCP forwarder the test can cut and restore."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from hotline.db import Database, make_engine
from hotline.realtime.bus import CHANNEL_PREFIX, Event, RedisBus
from tests.calls import LINE, inbound
from tests.conftest import migrated_sqlite_url, require_redis
from tests.factories import make_line
from tests.processes import logged_serve, until
from tests.servers import bind_free_socket, free_port
from tests.stack import AUTH_TOKEN

OUTAGE = "Redis unreachable"
RECOVERY = "Redis reachable again"


class Blackhole:
    """Accepts connections and never answers (a firewall that drops, a wedged Redis)."""

    def __init__(self) -> None:
        self.sock = bind_free_socket()
        self.sock.listen(64)
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with suppress(OSError):
            while True:
                self.held.append(self.sock.accept()[0])

    def close(self) -> None:
        self.sock.close()
        for held in self.held:
            held.close()


class Forwarder:
    """A TCP relay to the real Redis on a port of its own, which the test can cut and restore."""

    def __init__(self, target: str) -> None:
        url = make_url(target.replace("redis://", "postgresql://", 1))
        self.target = (url.host or "127.0.0.1", url.port or 6379)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        with suppress(OSError):
            while True:
                client = listener.accept()[0]
                upstream = socket.create_connection(self.target)
                self.connections += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """Redis goes away: new connections are refused, open ones are cut."""
        if self.listener is not None:
            self.listener.close()
        for connection in self.connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections = []


@contextmanager
def hotline_serve(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> Iterator[tuple[str, Path]]:
    """`hotline serve` on SQLite with one line, Redis at `redis_url`; its URL and log file."""
    database_url = migrated_sqlite_url(request, tmp_path)
    db = Database(make_engine(database_url))
    make_line(db, number=LINE)
    db.engine.dispose()
    log_path = tmp_path / "serve.log"
    with logged_serve(database_url, log_path, HOTLINE_REDIS_URL=redis_url) as url:
        yield url, log_path


def webhook(url: str, path: str, params: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url + path, params)
    return httpx.post(
        url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
    )


def answer_a_caller_in_danger(url: str, call_sid: str) -> None:
    """The incoming call and the menu's 9 ("in danger now"), each answered with TwiML."""
    for path, params in (
        ("/twilio/voice/incoming", inbound(call_sid)),
        ("/twilio/voice/gather", {**inbound(call_sid), "Digits": "9"}),
    ):
        response = webhook(url, path, params)
        assert response.status_code == 200, response.text
        assert "<Response>" in response.text


def test_starts_and_answers_callers_with_redis_refused(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with hotline_serve(request, tmp_path, closed) as (url, log_path):
        for n in range(3):
            answer_a_caller_in_danger(url, f"CA{n:032d}")
        until(lambda: OUTAGE in log_path.read_text(), "the outage in the log")
    log = log_path.read_text()
    assert log.count(OUTAGE) == 1
    assert "Traceback" not in log


def test_a_blackholed_redis_holds_no_request_up(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    blackhole = Blackhole()
    try:
        with hotline_serve(request, tmp_path, blackhole.url) as (url, log_path):
            # Each publish blocked ~5 s before: two webhooks of a call in danger took 10 s.
            for n in range(3):
                answer_a_caller_in_danger(url, f"CA{n:032d}")
            until(lambda: OUTAGE in log_path.read_text(), "the outage in the log")
            for n in range(3, 6):
                answer_a_caller_in_danger(url, f"CA{n:032d}")
        log = log_path.read_text()
        assert log.count(OUTAGE) == 1
        assert "Traceback" not in log
    finally:
        blackhole.close()


def test_redis_cut_mid_run_then_back_relays_again(caplog: pytest.LogCaptureFixture) -> None:
    real = require_redis()
    forwarder = Forwarder(real)
    forwarder.start()
    topic = f"outage-test-{uuid.uuid4().hex}"
    direct = redis.Redis.from_url(real, socket_timeout=5)
    outside = direct.pubsub()
    outside.subscribe(CHANNEL_PREFIX + topic)
    assert outside.get_message(timeout=5) is not None  # the subscription is confirmed

    async def relays_out(bus: RedisBus) -> bool:
        """An event published here now reaches a subscriber on the real Redis."""
        marker = uuid.uuid4().hex
        bus.publish(topic, {"marker": marker})
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # older messages may be queued before it: skip them
            message = await asyncio.to_thread(outside.get_message, True, 0.1)
            if message is not None and marker in str(message["data"]):
                return True
        return False

    async def relays_in(queue: asyncio.Queue[Event]) -> bool:
        """An event another instance publishes now reaches this instance's page."""
        marker = uuid.uuid4().hex
        payload = {"topic": topic, "data": {"marker": marker}, "origin": "another"}
        direct.publish(CHANNEL_PREFIX + topic, json.dumps(payload))
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            with suppress(TimeoutError):
                if (await asyncio.wait_for(queue.get(), 0.1)).data == {"marker": marker}:
                    return True
        return False

    async def eventually(check: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + 30
        while not await check():  # type: ignore[misc]
            assert time.monotonic() < deadline, f"timed out waiting for {what}"

    async def scenario() -> None:
        bus = RedisBus(forwarder.url)
        await bus.start()
        page = bus.subscribe({topic})
        queue = page.queue
        try:
            await eventually(lambda: relays_out(bus), "an event out through Redis")
            await eventually(lambda: relays_in(queue), "an event in through Redis")

            forwarder.stop()
            for n in range(300):  # each of them used to log a traceback
                bus.publish(topic, {"n": n})
            seen: list[dict[str, object]] = []
            while len(seen) < 300:  # this instance's pages still hear every one of them
                event = await asyncio.wait_for(queue.get(), 5)
                if "n" in event.data:
                    seen.append(event.data)
            assert seen == [{"n": n} for n in range(300)]

            async def down() -> bool:
                bus.publish(topic, {"probe": True})
                await asyncio.sleep(0.1)
                return bus.health.down

            await eventually(down, "the outage to be noticed")

            forwarder.start()
            await eventually(lambda: relays_out(bus), "events out again after the outage")
            await eventually(lambda: relays_in(queue), "events in again after the outage")
        finally:
            page.close()
            await bus.stop()

    try:
        with caplog.at_level(logging.INFO, logger="hotline.realtime.bus"):
            asyncio.run(scenario())
    finally:
        forwarder.stop()
        outside.close()
        direct.close()
    messages = [record.getMessage() for record in caplog.records]
    assert sum(OUTAGE in m for m in messages) == 1
    assert sum(RECOVERY in m for m in messages) == 1
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
