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
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis

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


class RedisBus(LocalBus):
    """Publishes through Redis; one reader task per instance fans messages out locally."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._publisher = redis.Redis.from_url(url)
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def publish(self, topic: str, data: dict[str, Any] | None = None) -> None:
        payload = json.dumps({"topic": topic, "data": data or {}})
        try:
            self._publisher.publish(CHANNEL_PREFIX + topic, payload)
        except redis.RedisError:
            # Pages resync on reconnect; still, a lost hint must be visible to operators.
            log.exception("event bus: publish to Redis failed, topic=%s", topic)

    async def start(self) -> None:
        self._publisher.ping()  # fail at start-up, not at the first call
        self._reader = asyncio.create_task(self._read_forever())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._publisher.close()

    async def _read_forever(self) -> None:
        while True:
            try:
                client = aioredis.Redis.from_url(self._url)
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            decoded = json.loads(message["data"])
                            self._deliver(Event(decoded["topic"], decoded["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event bus: Redis reader failed; reconnecting")
                await asyncio.sleep(1)


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
