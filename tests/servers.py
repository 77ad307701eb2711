"""Run real ASGI apps under uvicorn on free loopback ports, in threads."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import uvicorn


def bind_free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, whose main loop wakes as soon as `exit_now()` asks: uvicorn's own
    polls `should_exit` every 0.1 s, and each test stops one or two servers."""

    loop: asyncio.AbstractEventLoop | None = None
    wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, polling every 5 ms where uvicorn sleeps 0.1 s at least (once
        unconditionally, then per poll): each test stops one or two servers."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while self.server_state.connections or self.server_state.tasks:
                    await asyncio.sleep(0.005)
                for server in self.servers:
                    await server.wait_closed()
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    def exit_now(self) -> None:
        self.should_exit = True
        loop, wake = self.loop, self.wake
        if loop is not None and wake is not None:
            with suppress(RuntimeError):  # its loop has closed already
                loop.call_soon_threadsafe(wake.set)


class ServerThread:
    """uvicorn serving `app` on an already-bound socket (so the port is known before the app)."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = _Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:  # bounded wait for start-up, not for time to pass
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        self.server.exit_now()
        self.thread.join(timeout=15)
        self.sock.close()


def free_port() -> int:
    sock = bind_free_socket()
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@contextmanager
def serve_process(env: dict[str, str], name: str = "app") -> Iterator[tuple[str, Popen[bytes]]]:
    """`hotline serve` as a process of its own (settings from `env`, over the environment):
    its URL once /healthz answers, and the process, so a test can kill it as a crash would.
    Terminated at the end if still running."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hotline = Path(sys.executable).parent / "hotline"
    process = Popen(
        [str(hotline), "serve", "--port", str(port)],
        env={**os.environ, "HOTLINE_PUBLIC_BASE_URL": url, **env},
    )
    try:
        # Importing the app alone took 15 to 37 s at load average 20: a generous bound.
        deadline = time.monotonic() + 90
        while True:  # bounded wait for the process to come up
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"instance {name} did not start")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=15)
