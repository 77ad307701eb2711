"""Serving one signed-in user's websocket: the console's and the supervisors' board share it.

The client gets a snapshot at once, another after each of its commands, and another when an event
arrives on one of its topics (a burst of events makes one snapshot); an event carrying a `frame` (a
passing signal such as "the person is typing") is sent as it is, with no snapshot. Snapshots are
read and sent under one lock, so an older one never arrives after a newer. `ping` gets `pong`,
`resync` a snapshot; anything else is a command. `Revoked` (from a command or a snapshot) closes the
socket with the forbidden code: the user lost the right to it while connected. The sign-in session
is checked on every message and every `check_s` seconds; once it has ended (sign-out, a password or
role change, a disabled account, expiry) the socket closes with 4401, as an unsigned one would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from hotline import threads
from hotline.realtime.schemas import ErrorMessage, Pong

log = logging.getLogger(__name__)
CLOSE_SESSION_ENDED = 4401


class Revoked(Exception):
    """The user may no longer use this socket."""


class SessionEnded(Exception):
    """The sign-in session behind this socket is over."""


async def serve(
    websocket: WebSocket,
    *,
    name: str,
    user_id: int,
    topics: Iterable[str],
    snapshot: Callable[[], dict[str, Any] | None],
    command: Callable[[dict[str, Any]], str | None],
    error_message: Callable[[str], str],
    forbidden_code: int,
    alive: Callable[[], bool],
    check_s: float,
    coalesce_s: float = 0.0,
    refresh_s: float | None = None,
    enrich: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Run the socket until it closes. `snapshot` (None: revoked), `command` (an error code or
    None), `alive` (is the session live) and `enrich` (what a frame becomes before it is sent)
    are blocking and run in the thread pool; `refresh_s` sends a snapshot that often too."""
    send_lock = asyncio.Lock()
    subscription = websocket.app.state.bus.subscribe(set(topics))

    async def send(message: ErrorMessage | Pong) -> None:
        async with send_lock:
            await websocket.send_text(message.model_dump_json())

    async def send_snapshot() -> None:
        async with send_lock:
            data = await threads.run(threads.SOCKETS, snapshot)
            if data is None:
                raise Revoked
            await websocket.send_text(json.dumps(data))

    async def send_error(code: str) -> None:
        await send(ErrorMessage(code=code, message=error_message(code)))

    async def check_session() -> None:
        if not await threads.run(threads.SOCKETS, alive):
            raise SessionEnded

    async def commands() -> None:
        while True:
            text = await websocket.receive_text()
            await check_session()
            try:
                message = json.loads(text)
            except json.JSONDecodeError:
                await send_error("bad_message")
                continue
            if not isinstance(message, dict):
                await send_error("bad_message")
            elif message.get("type") == "ping":
                ping_id = message.get("id")
                # The client's id comes back as it was, if it is one a pong can carry.
                valid = isinstance(ping_id, int | str) and not isinstance(ping_id, bool)
                await send(Pong(id=ping_id if valid else None))
            elif message.get("type") == "resync":
                await send_snapshot()
            else:
                code = await threads.run(threads.SOCKETS, command, message)
                if code is not None:
                    await send_error(code)
                await send_snapshot()

    async def send_frame(frame: dict[str, Any]) -> None:
        if enrich is not None:
            frame = await threads.run(threads.SOCKETS, enrich, frame)
        async with send_lock:
            await websocket.send_text(json.dumps(frame))

    async def events() -> None:
        while True:
            event = await subscription.get()
            frame = event.data.get("frame")
            if isinstance(frame, dict):  # a passing signal ("the person is typing"): as it is
                await send_frame(frame)
                continue
            errors = [event.data.get("error")]
            await asyncio.sleep(coalesce_s)  # let the rest of a burst arrive
            while not subscription.queue.empty():
                more = subscription.queue.get_nowait().data
                if isinstance(more.get("frame"), dict):
                    await send_frame(more["frame"])
                else:
                    errors.append(more.get("error"))
            for code in errors:
                if isinstance(code, str):
                    await send_error(code)
            await send_snapshot()

    async def refresh() -> None:
        while refresh_s is not None:
            await asyncio.sleep(refresh_s)
            await send_snapshot()

    async def guard() -> None:
        while True:  # an idle socket still learns within seconds that its session ended
            await asyncio.sleep(check_s)
            await check_session()

    tasks: list[asyncio.Task[None]] = []
    try:
        await send_snapshot()
        jobs = [commands, events, guard] + ([refresh] if refresh_s is not None else [])
        tasks = [asyncio.create_task(job()) for job in jobs]
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if isinstance(error, SessionEnded):
                with contextlib.suppress(Exception):
                    await websocket.close(code=CLOSE_SESSION_ENDED)
            elif isinstance(error, Revoked):
                with contextlib.suppress(Exception):
                    await websocket.close(code=forbidden_code)
            elif error is not None and not isinstance(error, WebSocketDisconnect):
                log.error("%s socket failed for user=%s", name, user_id, exc_info=error)
    except Revoked:
        with contextlib.suppress(Exception):
            await websocket.close(code=forbidden_code)
    finally:
        for task in tasks:
            task.cancel()
        subscription.close()
        with contextlib.suppress(Exception):
            await websocket.close()
