"""Real Chromium (Debian's package) driven by Playwright; never a downloaded browser.

Starting Playwright's driver and launching Chromium cost seconds, so one browser serves every
browser test of the run (per xdist worker); each test gets it with no context open and every
context it opened is closed when its `with chromium()` block ends, so no cookie, storage or page
carries over from one test to the next.

Playwright's sync API marks its event loop as the thread's running loop between its calls. While
no test is inside `with chromium()`, that mark is taken off, so the tests in between (some run
`asyncio.run`) see no running loop, exactly as if the browser had been closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.conftest import CHROMIUM

# What a page shows after a click can take seconds on a loaded 2-core CI machine (two workers,
# their servers and Chromium); Playwright's default of 5 s made such waits fail there.
expect.set_options(timeout=10_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_manager: Any = None  # the PlaywrightContextManager, which owns the event loop
_playwright: Playwright | None = None
_browser: Browser | None = None


def _mark_running(running: bool) -> None:
    """Put back (before a Playwright call) or take off (after the last) the running-loop mark."""
    if _manager is not None and not _manager._loop.is_closed():
        asyncio._set_running_loop(_manager._loop if running else None)


def _launch() -> Browser:
    global _manager, _playwright, _browser
    if _browser is not None and _browser.is_connected():
        return _browser
    shutdown()
    assert CHROMIUM is not None
    _manager = sync_playwright()
    _playwright = _manager.start()
    _browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return _browser


def shutdown() -> None:
    """Close the run's browser and stop Playwright (at the end of the run, or after a crash)."""
    global _manager, _playwright, _browser
    if _manager is None:
        return
    _mark_running(True)
    try:
        if _browser is not None:
            with suppress(Exception):
                _browser.close()
        if _playwright is not None:
            with suppress(Exception):
                _playwright.stop()
    finally:
        _manager = _playwright = _browser = None
        asyncio._set_running_loop(None)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Skip only when no browser is configured; when one is, it must launch."""
    if not CHROMIUM:
        pytest.skip("HOTLINE_TEST_CHROMIUM is not set")
    _mark_running(True)
    try:
        browser = _launch()
        assert not browser.contexts, "a previous test left a browser context open"
        try:
            yield browser
        finally:
            if browser.is_connected():
                for context in browser.contexts:
                    context.close()
            else:
                shutdown()
    finally:
        _mark_running(False)
