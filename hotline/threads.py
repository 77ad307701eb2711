"""Worker threads by purpose, so that no kind of blocking work can take every thread.

FastAPI runs sync routes in anyio's default pool (40 threads at once). A request's unit of work
opens in one thread (on SQLite taking the process's writer lock; on PostgreSQL it soon holds a
pooled connection), its route runs in another and its commit in a third. When the sockets'
snapshots, or other requests opening their sessions, fill the default pool while they wait for
that lock or a connection, the request that holds it never gets a thread for its route or its
commit: everything waits until the lock times out (seen with 200 web chats open). So opening a
session, ending one, and the sockets' work each have a cap of their own, and routes keep the
default pool: whoever holds the lock or a connection can always go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")

OPENING = "opening"  # a request's session: may wait for the SQLite lock
CLOSING = "closing"  # its commit or rollback: holds what it needs, never waits for it
SOCKETS = "sockets"  # the consoles', board's and web chats' snapshots and commands
SIZES = {OPENING: 8, CLOSING: 8, SOCKETS: 16}

# One set per event loop (tests run several apps, each on its own loop).
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, CapacityLimiter]] = (
    WeakKeyDictionary()
)


def _limiter(kind: str) -> CapacityLimiter:
    per_loop = _limiters.setdefault(asyncio.get_running_loop(), {})
    if kind not in per_loop:
        per_loop[kind] = CapacityLimiter(SIZES[kind])
    return per_loop[kind]


async def run(kind: str, function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a worker thread, at most SIZES[kind] of this kind at once."""
    return await anyio.to_thread.run_sync(partial(function, *args), limiter=_limiter(kind))
