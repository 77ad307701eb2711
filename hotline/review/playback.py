"""Playing a call's audio (a conference recording, a voicemail) to a signed-in reviewer.

The audio stays at the provider and is fetched with the account's credentials for each playback:
never a public link. Because those credentials go with the request, only this account's
recording media at Twilio (or the simulator) is ever fetched. The answer streams (a long
recording is never held in memory) and passes a byte `Range` on, so the player can seek.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack

import httpx
from fastapi import HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from hotline.config import Settings
from hotline.review import service as review

log = logging.getLogger(__name__)
RECORDING_FETCH_TIMEOUT_S = 30  # to connect, and for each read
RECORDING_CHUNK_BYTES = 64 * 1024
# The provider's headers a player needs to play and seek; nothing else of its answer is passed on.
RELAYED_HEADERS = ("content-length", "content-range", "accept-ranges", "content-encoding")


def stream(request: Request, url: str, *, what: str) -> Response:
    """The audio at `url` for this request (502 if it is not an allowed recording or the
    provider fails; `what` names it in the log, never the URL).

    The provider is asked only when the answer is sent, after the route's unit of work has
    committed: the playback's audit entry is kept whatever the provider does, and no database
    session (on SQLite, the write lock) is held while it answers."""
    return _Deferred(request, url, what=what)


class _Deferred(Response):
    """An answer that fetches the audio as it is sent (see `stream`)."""

    def __init__(self, request: Request, url: str, *, what: str) -> None:
        super().__init__()
        self._request = request
        self._url = url
        self._what = what

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Raised before anything is sent, an HTTPException (502) gets the app's usual answer.
        answer = await run_in_threadpool(_fetch, self._request, self._url, self._what)
        answer.background = self.background
        await answer(scope, receive, send)


def _fetch(request: Request, url: str, what: str) -> Response:
    """Open the provider's answer (blocking): the relay, a 416, or an HTTPException (502)."""
    settings: Settings = request.app.state.settings
    if not review.recording_url_allowed(
        url, account_sid=settings.twilio_account_sid, sources=review.recording_sources(settings)
    ):
        # Stored before this check existed, or the settings changed: never send the
        # credentials there.
        log.warning(
            "%s not fetched: its URL on host %s is not an allowed recording",
            what,
            review.url_host(url),
        )
        raise HTTPException(status_code=502, detail="recording unavailable")
    # Uncompressed, as the bytes are passed on untouched: their length and ranges are the file's.
    asked = {"Accept-Encoding": "identity"}
    if "range" in request.headers:  # the player seeking
        asked["Range"] = request.headers["range"]
    with ExitStack() as cleanup:
        client = httpx.Client(
            auth=(settings.twilio_account_sid, settings.twilio_auth_token),
            timeout=RECORDING_FETCH_TIMEOUT_S,
            follow_redirects=True,
        )
        cleanup.callback(client.close)
        media = url if url.endswith((".mp3", ".wav")) else url + ".mp3"
        try:
            upstream = client.send(client.build_request("GET", media, headers=asked), stream=True)
        except httpx.HTTPError as failure:
            raise HTTPException(status_code=502, detail="recording unavailable") from failure
        cleanup.callback(upstream.close)
        if upstream.status_code == 416 and "Range" in asked:  # asked past the end: say so
            headers = {"Cache-Control": "no-store"}
            if "content-range" in upstream.headers:  # "bytes */<size>"
                headers["Content-Range"] = upstream.headers["content-range"]
            return Response(status_code=416, headers=headers)
        if upstream.status_code not in (200, 206):
            raise HTTPException(status_code=502, detail="recording unavailable")
        headers = {
            name: upstream.headers[name] for name in RELAYED_HEADERS if name in upstream.headers
        }
        relay = _Relay(
            upstream,
            client,
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type", "audio/mpeg"),
            headers={**headers, "Cache-Control": "no-store"},
        )
        cleanup.pop_all()  # from here the relay closes them
        return relay


class _Relay(StreamingResponse):
    """The provider's open answer, passed on chunk by chunk, so a long recording is never held
    in memory; whatever ends it (the last chunk, the browser leaving, an error) closes the
    upstream response and its client."""

    def __init__(
        self,
        upstream: httpx.Response,
        client: httpx.Client,
        *,
        status_code: int,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        # A sync iterator: Starlette reads it in its thread pool.
        super().__init__(
            upstream.iter_raw(RECORDING_CHUNK_BYTES),
            status_code=status_code,
            media_type=media_type,
            headers=headers,
        )
        self._upstream = upstream
        self._client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # No chunk is being read now: a cancelled read in the thread pool is waited for.
            self._upstream.close()
            self._client.close()
