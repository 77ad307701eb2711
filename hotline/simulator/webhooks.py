"""Webhook delivery as Twilio does it: form-encoded, signed, retried, in order per resource.

Every request carries ``X-Twilio-Signature`` computed with the twilio library's
``RequestValidator`` over the exact URL requested (for GET: with the parameters in the query
string, and no body parameters) and an ``I-Twilio-Idempotency-Token`` that stays the same across
retries. A connection error or a 5xx answer is retried ``webhook_retries`` times, like Twilio's
default connection override.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from twilio.request_validator import RequestValidator

from hotline.simulator.config import SimulatorConfig

log = logging.getLogger(__name__)
USER_AGENT = "TwilioProxy/1.1"
BODY_KEPT = 4000
RETRIED_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


@dataclass
class WebhookResult:
    url: str
    method: str
    status: int | None
    body: str
    content_type: str
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def detail(self, params: dict[str, str], purpose: str) -> dict[str, Any]:
        """What the call transcript keeps about this request."""
        return {
            "purpose": purpose,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "params": params,
            "content_type": self.content_type,
            "response": self.body[:BODY_KEPT],
        }


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    extra = urlencode(sorted(params.items()))
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit(parts._replace(query=query))


class WebhookSender:
    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._validator = RequestValidator(config.auth_token)
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(self._validator.compute_signature(url, params))

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._config.webhook_timeout_s),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                follow_redirects=False,
                trust_env=False,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()
        self._loop = None

    async def send(self, url: str, params: dict[str, str], method: str = "POST") -> WebhookResult:
        method = "GET" if method.upper() == "GET" else "POST"
        target, body = (with_query(url, params), {}) if method == "GET" else (url, params)
        headers = {
            "X-Twilio-Signature": self.signature(target, body),
            "I-Twilio-Idempotency-Token": uuid.uuid4().hex,
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Cache-Control": "max-age=259200",
        }
        client = self._http()
        error: str | None = None
        attempts = 0
        for attempt in range(self._config.webhook_retries + 1):
            attempts += 1
            try:
                if method == "GET":
                    response = await client.get(target, headers=headers)
                else:
                    response = await client.post(target, data=body, headers=headers)
            except RETRIED_ERRORS as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.debug("webhook %s %s attempt %d failed: %s", method, target, attempts, error)
                continue
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.debug("webhook %s %s failed: %s", method, target, error)
                break
            if response.status_code >= 500 and attempt < self._config.webhook_retries:
                error = f"HTTP {response.status_code}"
                continue
            return WebhookResult(
                url=target,
                method=method,
                status=response.status_code,
                body=response.text,
                content_type=response.headers.get("content-type", ""),
                attempts=attempts,
            )
        return WebhookResult(
            url=target,
            method=method,
            status=None,
            body="",
            content_type="",
            attempts=attempts,
            error=error,
        )


@dataclass
class _Job:
    url: str
    method: str
    params: dict[str, str]
    on_done: Callable[[WebhookResult], None] | None


class OrderedDispatcher:
    """Asynchronous callbacks (status, conference events), sent one at a time per key.

    Twilio sends these without waiting for the call; keeping one queue per call or conference
    means a receiver sees each resource's events in the order they happened.
    """

    def __init__(self, sender: WebhookSender, spawn: Spawn) -> None:
        self._sender = sender
        self._spawn = spawn
        self._queues: dict[str, deque[_Job]] = {}

    def post(
        self,
        key: str,
        url: str,
        params: dict[str, str],
        method: str = "POST",
        on_done: Callable[[WebhookResult], None] | None = None,
    ) -> None:
        queue = self._queues.get(key)
        job = _Job(url=url, method=method, params=params, on_done=on_done)
        if queue is not None:
            queue.append(job)
            return
        self._queues[key] = deque([job])
        self._spawn(self._drain(key), f"sim-callbacks-{key}")

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                result = await self._sender.send(job.url, job.params, job.method)
                queue.popleft()
                if job.on_done is not None:
                    try:
                        job.on_done(result)
                    except Exception:
                        log.exception("callback bookkeeping failed for %s", key)
        finally:
            self._queues.pop(key, None)
