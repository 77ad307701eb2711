"""Security headers on every HTTP response: a strict CSP (no inline script or style) and friends.

Every response but static files is ``Cache-Control: no-store`` unless it says otherwise: pages
and API answers carry decrypted notes and callers' data, which no browser or proxy cache may
keep (one rule for everything, so a new route cannot forget it). Over an https public URL,
Strict-Transport-Security tells browsers never to try plain http.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), geolocation=(), microphone=(self)",
    "cross-origin-opener-policy": "same-origin",
}
HSTS = (b"strict-transport-security", b"max-age=31536000")
NO_STORE = (b"cache-control", b"no-store")
# The app's and the simulator's static files: the same for everyone, fine to cache.
STATIC_PREFIXES = ("/static/", "/sim/static/")
_ENCODED = [(name.encode(), value.encode()) for name, value in HEADERS.items()]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_ENCODED)
        if self.hsts:
            extra.append(HSTS)
        if not str(scope.get("path", "")).startswith(STATIC_PREFIXES):
            extra.append(NO_STORE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *[(n, v) for n, v in extra if n not in present],
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
