"""Run real ASGI apps under uvicorn on free loopback ports, in threads."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class ServerThread:
    """uvicorn serving `app` on an already-bound socket (so the port is known before the app)."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:  # bounded wait for start-up, not for time to pass
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
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
        deadline = time.monotonic() + 30
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
