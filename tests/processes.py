"""`hotline serve` as a process of its own with its log in a file, for tests that read the log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from tests.servers import free_port
from tests.stack import ACCOUNT_SID, AUTH_TOKEN

SECRET = "test-secret-key-that-is-long-enough-000"


def until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Bounded wait for something to happen elsewhere (not for time to pass)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def logged_serve(database_url: str, log_path: Path, **extra: str) -> Iterator[str]:
    """The process serving `database_url` (simulator mode, no simulator): its URL once it answers.
    Stdout and stderr go to `log_path`; the process is stopped at the end."""
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_PUBLIC_BASE_URL": url,
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_TELEPHONY_MODE": "simulator",
        "HOTLINE_SIMULATOR_URL": "http://127.0.0.1:9",
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": SECRET,
        **extra,
    }
    hotline = str(Path(sys.executable).parent / "hotline")
    port = url.rsplit(":", 1)[1]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [hotline, "serve", "--port", port], env=env, stdout=log_file, stderr=log_file
        )
        try:

            def healthy() -> bool:
                assert process.poll() is None, log_path.read_text()  # it refused to start
                with suppress(httpx.TransportError):
                    return httpx.get(url + "/healthz", timeout=1).status_code == 200
                return False

            until(healthy, "hotline serve to answer")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)
