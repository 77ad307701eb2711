"""What every console websocket checks before it accepts."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import WebSocket


def origin_allowed(websocket: WebSocket) -> bool:
    """Refuse cross-site websocket hijacking: the page must come from this host."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    public = urlsplit(websocket.app.state.settings.public_base_url).netloc
    return urlsplit(origin).netloc in {host, public}
