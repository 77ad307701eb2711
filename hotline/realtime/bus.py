"""The event bus: in-process fan-out, or Redis pub/sub when several app instances run.

`publish` is synchronous and thread-safe (it is called after a database commit, from request
threads and scheduler threads); subscribers are asyncio queues read by websocket handlers.
Events are hints that something changed: a page that misses one still resyncs on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "hotline:"


@dataclass(frozen=True)
class Event:
    topic: str
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    def __init__(self, bus: LocalBus, topics: set[str], loop: asyncio.AbstractEventLoop) -> None:
        self._bus = bus
        self.topics = topics
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)

    def _offer(self, event: Event) -> None:
        if self.queue.full():  # a stuck reader must not grow memory; it resyncs anyway
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._bus._remove(self)


class EventBus(Protocol):
    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None: ...
    def subscribe(self, topics: set[str]) -> Subscription: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class LocalBus:
    """Delivers to subscribers of this process only."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None:
        self._deliver(Event(topic, data or {}))

    def subscribe(self, topics: set[str]) -> Subscription:
        subscription = Subscription(self, set(topics), asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def _deliver(self, event: Event) -> None:
        with self._lock:
            targets = [s for s in self._subscriptions if event.topic in s.topics]
        for subscription in targets:
            with contextlib.suppress(RuntimeError):  # its loop is closed: the page is gone
                subscription.loop.call_soon_threadsafe(subscription._offer, event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


# Redis must never hold a request up: the request thread only queues, a thread publishes with
# short socket timeouts, and while Redis is down events still reach this instance's pages.
CONNECT_TIMEOUT_S = 1.0
SOCKET_TIMEOUT_S = 1.0
HANDSHAKE_TIMEOUT_S = 2.0
QUEUE_SIZE = 1000
RETRY_MIN_S = 0.5
RETRY_MAX_S = 5.0
STOP = object()


class RedisHealth:
    """Logs an outage once, when the first part (publisher or reader) fails, and the recovery
    once, when every failed part works again: never a line per event."""

    def __init__(self) -> None:
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        with self._lock:
            return bool(self._failing)

    def failed(self, part: str, error: BaseException) -> None:
        with self._lock:
            first = not self._failing
            self._failing.add(part)
        if first:
            log.warning(
                "event bus: Redis unreachable (%s: %s); events reach this instance's pages "
                "only until it is back, retrying in the background",
                part,
                type(error).__name__,
            )

    def recovered(self, part: str) -> None:
        with self._lock:
            was_down = bool(self._failing)
            self._failing.discard(part)
            back = was_down and not self._failing
        if back:
            log.warning("event bus: Redis reachable again")


class Backoff:
    def __init__(self) -> None:
        self.delay = RETRY_MIN_S

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, RETRY_MAX_S)
        return delay

    def reset(self) -> None:
        self.delay = RETRY_MIN_S


class RedisBus(LocalBus):
    """Delivers locally at once and relays through Redis to the other instances.

    Publishing queues the event for a background thread (bounded; dropped when full, since
    every page resyncs from the database); one reader task per instance fans the other
    instances' events out locally. Neither Redis being down at start nor going away later
    stops the instance: both parts retry in the background.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._origin = uuid.uuid4().hex  # our own events come back from Redis: skip them
        self._publisher = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._reader: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self.health = RedisHealth()
        self.dropped = 0

    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None:
        event = Event(topic, data or {})
        self._deliver(event)
        payload = json.dumps({"topic": topic, "data": event.data, "origin": self._origin})
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self.dropped += 1  # the publisher is stuck or Redis is down: others resync later

    async def start(self) -> None:
        self._thread = threading.Thread(
            target=self._publish_forever, name="redis-publisher", daemon=True
        )
        self._thread.start()
        self._reader = asyncio.create_task(self._read_forever())
        # Let a reachable Redis subscribe before requests come in; never wait longer.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout=HANDSHAKE_TIMEOUT_S + 1)

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._thread:
            with contextlib.suppress(queue.Full):
                self._queue.put(STOP, timeout=1)
            self._thread.join(timeout=SOCKET_TIMEOUT_S * 3)
        self._publisher.close()

    def _publish_forever(self) -> None:
        backoff = Backoff()
        retry_at = 0.0
        while (payload := self._queue.get()) is not STOP:
            if time.monotonic() < retry_at:
                continue  # Redis is down: drop the hint rather than queue up behind it
            assert isinstance(payload, str)
            topic = json.loads(payload)["topic"]
            try:
                self._publisher.publish(CHANNEL_PREFIX + topic, payload)
            except (redis.RedisError, OSError) as error:
                self.health.failed("publish", error)
                retry_at = time.monotonic() + backoff.next()
                continue
            backoff.reset()
            self.health.recovered("publish")

    async def _read_forever(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self._read_once(backoff)
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError, TimeoutError) as error:
                self.health.failed("subscribe", error)
            except Exception:  # a bug, not an outage: show it, then carry on
                log.exception("event bus: Redis reader failed")
            self._settled.set()
            await asyncio.sleep(backoff.next())

    async def _read_once(self, backoff: Backoff) -> None:
        client = aioredis.Redis.from_url(
            self._url, socket_connect_timeout=CONNECT_TIMEOUT_S, retry=AsyncRetry(NoBackoff(), 0)
        )
        try:
            async with client.pubsub() as pubsub:
                await asyncio.wait_for(self._subscribe(pubsub), timeout=HANDSHAKE_TIMEOUT_S)
                backoff.reset()
                self.health.recovered("subscribe")
                self._settled.set()
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self._relay(message["data"])
        finally:
            await client.aclose()  # type: ignore[attr-defined]  # the stubs predate aclose

    @staticmethod
    async def _subscribe(pubsub: aioredis.client.PubSub) -> None:
        await pubsub.psubscribe(CHANNEL_PREFIX + "*")
        while True:  # until Redis confirms, so a blackholed Redis times out here
            message = await pubsub.get_message(timeout=HANDSHAKE_TIMEOUT_S)
            if message is not None and message.get("type") == "psubscribe":
                return

    def _relay(self, raw: bytes | str) -> None:
        decoded = json.loads(raw)
        if decoded.get("origin") != self._origin:
            self._deliver(Event(decoded["topic"], decoded["data"]))


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
