"""A supervisor's live board as a program: signs in over HTTP and reads /ws/board."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from hotline.simulator.console_client import csrf_from

Board = dict[str, Any]


class BoardClient:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        page = self.http.get("/login")
        response = self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        )
        if response.status_code != 303:
            raise PermissionError(f"sign-in failed for {username}: {response.status_code}")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.errors: list[dict[str, Any]] = []
        self.last: Board | None = None
        url = base_url.replace("http://", "ws://") + "/ws/board"
        self._connections = ExitStack()
        self.ws: ClientConnection = self._connections.enter_context(
            connect(url, additional_headers={"Cookie": cookie}, open_timeout=10)
        )

    def send(self, kind: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"type": kind, **fields}))

    def wait(self, predicate: Callable[[Board], bool], timeout: float = 10.0) -> Board:
        """The first board (the latest already seen included) that satisfies `predicate`."""
        if self.last is not None and predicate(self.last):
            return self.last
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching board; last: {self.last}, errors: {self.errors}")
            try:
                message: dict[str, Any] = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            if message.get("type") == "error":
                self.errors.append(message)
            elif message.get("type") == "board":
                self.last = message
                if predicate(message):
                    return message

    def wait_error(self, code: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not any(e["code"] == code for e in self.errors):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no error {code}; errors: {self.errors}")
            message = json.loads(self.ws.recv(timeout=remaining))
            if message.get("type") == "error":
                self.errors.append(message)
            elif message.get("type") == "board":
                self.last = message
        return next(e for e in self.errors if e["code"] == code)

    def close(self) -> None:
        self._connections.close()
        self.http.close()


def live_call(board: Board, call_id: int) -> dict[str, Any] | None:
    return next((c for c in board["calls"] if c["call_id"] == call_id), None)


def my_monitor(board: Board, call_id: int) -> dict[str, Any] | None:
    call = live_call(board, call_id)
    if call is None:
        return None
    return next((m for m in call["monitors"] if m["mine"]), None)
