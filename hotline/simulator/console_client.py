"""A counselor's console as a program: signs in over HTTP and speaks the websocket protocol.

Used by `hotline simulate` (simulated counselors) and by the tests.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

Snapshot = dict[str, Any]
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def csrf_from(html: str) -> str:
    tag = CSRF_INPUT.search(html)
    value = VALUE.search(tag.group(0)) if tag else None
    if value is None:
        raise ValueError("no csrf_token input on the page")
    return value.group(1)


class ConsoleClient:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)
        page = self.http.get("/login")
        response = self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        )
        if response.status_code != 303:
            raise PermissionError(f"sign-in failed for {username}: {response.status_code}")
        self.errors: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []
        self._connections = ExitStack()
        self.last: Snapshot | None = None
        self.ws: ClientConnection = self.connect()

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())

    def connect(self) -> ClientConnection:
        url = self.base_url.replace("http://", "ws://") + "/ws/console"
        connection = connect(url, additional_headers={"Cookie": self.cookie}, open_timeout=10)
        return self._connections.enter_context(connection)

    def reconnect(self) -> None:
        self.ws.close()
        self.ws = self.connect()

    def send(self, kind: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"type": kind, **fields}))

    def wait(self, predicate: Callable[[Snapshot], bool], timeout: float = 10.0) -> Snapshot:
        """The first snapshot (the latest already seen included) that satisfies `predicate`."""
        if self.last is not None and predicate(self.last):
            return self.last
        return self._receive_until(predicate, timeout)

    def _receive_until(self, predicate: Callable[[Snapshot], bool], timeout: float) -> Snapshot:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no matching snapshot; last: {self.last}, errors: {self.errors}"
                )
            try:
                message: dict[str, Any] = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            if message.get("type") == "error":
                self.errors.append(message)
            elif message.get("type") not in ("snapshot", "pong"):
                self.signals.append(message)  # e.g. "the person is typing"
            elif message.get("type") == "snapshot":
                self.last = message
                if predicate(message):
                    return message

    def signal(
        self,
        kind: str,
        timeout: float = 10.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The first frame of type `kind` (that satisfies `where`, if given) that is neither a
        snapshot nor an error (snapshots read meanwhile are kept as `last`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                s for s in self.signals if s.get("type") == kind and (where is None or where(s))
            ]
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind} frame; seen: {self.signals}")
            try:
                message: dict[str, Any] = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            if message.get("type") == "snapshot":
                self.last = message
            elif message.get("type") == "error":
                self.errors.append(message)
            elif message.get("type") != "pong":
                self.signals.append(message)

    def next_snapshot(self, timeout: float) -> Snapshot | None:
        """The next snapshot to arrive, or None if none came within `timeout`."""
        seen = self.last
        try:
            return self.wait(lambda s: s is not seen, timeout)
        except AssertionError:
            return None

    def state(self, state: str, timeout: float = 10.0) -> Snapshot:
        return self.wait(lambda s: s["agent"]["state"] == state, timeout)

    def offer(self, timeout: float = 10.0) -> dict[str, Any]:
        offer: dict[str, Any] = self.wait(lambda s: s["offer"] is not None, timeout)["offer"]
        return offer

    def close(self) -> None:
        self._connections.close()
        self.http.close()
