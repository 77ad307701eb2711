"""How many web chat conversations one network address may start in a while.

Someone opening page after page would otherwise start a conversation on each, filling the
queue that people in crisis wait in. The address is kept only as a keyed hash, in this
process's memory, and only for the window: nothing about it reaches the database or the logs.
The limit is generous because many people can share one address (a school, a mobile carrier's
NAT); a refused person is told to call the line instead, never met with silence.

Per instance: behind several instances, a person could start `limit` on each.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from hotline.privacy import sender_hash

WINDOW = timedelta(minutes=10)


class Openings:
    """A sliding window of conversation starts per address (thread-safe: the sockets' work
    runs in a thread pool)."""

    def __init__(self, *, secret: str, limit: int, window: timedelta = WINDOW) -> None:
        self._secret = secret
        self._limit = limit
        self._window = window
        self._starts: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str | None, now: datetime) -> bool:
        """Whether a conversation may start from `address` now; if so, it is counted."""
        if address is None:  # no address known (a test client): nothing to count it by
            return True
        key = sender_hash(self._secret, "address", address)
        with self._lock:
            self._forget_before(now - self._window)
            starts = self._starts.setdefault(key, deque())
            if len(starts) >= self._limit:
                return False
            starts.append(now)
            return True

    def _forget_before(self, since: datetime) -> None:
        for key in list(self._starts):
            starts = self._starts[key]
            while starts and starts[0] <= since:
                starts.popleft()
            if not starts:
                del self._starts[key]
