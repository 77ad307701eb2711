"""Every route of the app, flattened from its routers (for the access matrix)."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, Route


def flatten(routes: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every HTTP route and ("WS", path) of every websocket route.

    FastAPI keeps included routers as they are (`original_router`, `include_context.prefix`);
    anything this does not recognise fails loudly so no route escapes the matrix.
    """
    found: list[tuple[str, str]] = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += flatten(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            found += [(method, prefix + route.path) for method in sorted(route.methods)]
        elif isinstance(route, APIWebSocketRoute):
            found.append(("WS", prefix + route.path))
        elif isinstance(route, Mount):
            found.append(("MOUNT", prefix + route.path))
        elif isinstance(route, Route):  # the docs and the OpenAPI document
            found += [(method, prefix + route.path) for method in sorted(route.methods or [])]
        else:
            raise TypeError(f"unknown route type {type(route)!r}")
    return found
