"""Webhooks degrade instead of failing: a caller never hears Twilio's application error.

Around every /twilio/ request:
- overload: at most `webhook_concurrency` are handled at once; an incoming call that waited
  `webhook_wait_s` for its turn is answered with its line's fallback (the partner line) instead of
  queueing for seconds, and the others wait their turn;
- failure: a signed webhook whose handling raised (the database down, anything else) is answered
  with safe TwiML instead of a 500: the fallback for a caller at the start or in the menu, an
  empty answer for status callbacks.
Each episode is logged once when it starts and once, with its count, when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.config import Settings
from hotline.telephony.fallback import Fallbacks
from hotline.telephony.signature import signed_form

log = logging.getLogger(__name__)
TWIML = "application/xml"
INCOMING = "/twilio/voice/incoming"
# Where the caller is on the line and waits for what to hear next: forward them.
CALLER_PATHS = frozenset(
    {INCOMING, "/twilio/voice/gather", "/twilio/voice/overflow", "/twilio/voice/callback"}
)
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'
# An episode is over once this long has passed without another occurrence.
QUIET_S = 10.0


class Episode:
    """Occurrences of one kind of trouble, logged at the start and, with a count, at the end."""

    def __init__(self, started: str, ended: str, logger: logging.Logger = log) -> None:
        self._started, self._ended, self._log = started, ended, logger
        self._lock = threading.Lock()
        self.total = 0
        self._count = 0
        self._last = 0.0

    def occurred(self, *, exc_info: BaseException | None = None) -> None:
        with self._lock:
            self._close_if_quiet()
            if self._count == 0:
                self._log.warning(self._started, exc_info=exc_info)
            self._count += 1
            self.total += 1
            self._last = time.monotonic()

    def check(self) -> None:
        with self._lock:
            self._close_if_quiet()

    @property
    def active(self) -> bool:
        return self._count > 0 and time.monotonic() - self._last <= QUIET_S

    def _close_if_quiet(self) -> None:
        if self._count and time.monotonic() - self._last > QUIET_S:
            self._log.warning(self._ended, self._count)
            self._count = 0


class Degraded:
    """This instance's fallbacks and its episodes of overload and failure (the board shows them)."""

    def __init__(self, settings: Settings) -> None:
        self.fallbacks = Fallbacks(settings)
        self.shedding = Episode(
            "overloaded: incoming calls get the fallback answer (their partner line)",
            "overload over: %d incoming calls got the fallback answer",
        )
        self.failing = Episode(
            "webhooks failing: callers get the fallback answer (their partner line)",
            "webhooks answer again after %d fallback answers",
        )

    def status(self) -> dict[str, bool | int]:
        """For the live board: whether this instance sheds load or fails now, and how often."""
        return {
            "shedding_load": self.shedding.active,
            "calls_shed": self.shedding.total,
            "webhooks_failing": self.failing.active,
            "fallback_answers": self.failing.total,
        }


class WebhookGuard:
    def __init__(self, app: ASGIApp, *, settings: Settings, degraded: Degraded) -> None:
        self.app = app
        self.fallbacks = degraded.fallbacks
        self.shedding = degraded.shedding
        self.failing = degraded.failing
        self.concurrency = settings.webhook_concurrency
        self.wait_s = settings.webhook_wait_s
        self._slots = asyncio.Semaphore(max(settings.webhook_concurrency, 1))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/twilio/"):
            await self.app(scope, receive, send)
            return
        if not await self._admit(scope["path"] == INCOMING):
            await self._shed(scope, receive, send)
            return
        self.shedding.check()
        try:
            await self._handle(scope, receive, send)
        finally:
            if self.concurrency:
                self._slots.release()

    async def _admit(self, incoming: bool) -> bool:
        """Take a slot: an incoming call waits at most wait_s for one, other webhooks their turn."""
        if self.concurrency == 0:  # a switch to drain an instance: every incoming call sheds
            return not incoming
        if not incoming or not self._slots.locked():  # (wait_for with 0 s never takes one)
            await self._slots.acquire()
            return True
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_s)
        except TimeoutError:
            return False
        return True

    async def _shed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The fallback for a signed incoming call, without touching the database."""
        request = Request(scope, receive)
        try:
            params = await signed_form(request)
        except HTTPException as error:
            response = Response(EMPTY, status_code=error.status_code, media_type=TWIML)
        else:
            self.shedding.occurred()
            response = Response(self.fallbacks.twiml(params.get("To", "")), media_type=TWIML)
        await response(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            params = scope.get("state", {}).get("twilio_params")
            if started or params is None:  # not a verified Twilio request: a plain 500
                raise
            self.failing.occurred(exc_info=error)
            await self._degraded(scope["path"], params)(scope, receive, send)
            return
        self.failing.check()

    def _degraded(self, path: str, params: dict[str, str]) -> Response:
        if path in CALLER_PATHS:
            return Response(self.fallbacks.twiml(params.get("To", "")), media_type=TWIML)
        return Response(EMPTY, media_type=TWIML)
