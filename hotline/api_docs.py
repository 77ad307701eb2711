"""/docs (Swagger UI) and /redoc, served by the app itself: their built files come from the
`fastapi-offline` package (no CDN), and the pages start them from a script file of ours, since
the app's CSP allows no inline script (FastAPI's own pages have one)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/api-docs"
_BUILT = Path(fastapi_offline.__file__).parent / "static"

# Swagger UI and ReDoc style their elements from script (ReDoc adds <style> elements), which a
# CSP without 'unsafe-inline' styles blocks; these two pages, which show no caller data, allow it.
# Scripts stay 'self' only. ReDoc's search runs in a worker it makes from a blob. ReDoc's menu
# shows Redocly's logo from their CDN: img-src blocks it and ReDoc hides the broken image.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-start.js"></script></body></html>
"""

_START_SWAGGER = """const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapi,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API</title>
<link rel="icon" href="{assets}/favicon.png"></head>
<body><redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script></body></html>
"""


def install(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Adds /docs, /redoc and their files (only where the API description is published)."""
    page = {"title": app.title, "assets": ASSETS, "openapi": openapi_url}
    headers = {"Content-Security-Policy": DOCS_CSP}

    async def swagger_ui(request: Request) -> Response:
        return HTMLResponse(_SWAGGER.format(**page), headers=headers)

    async def redoc(request: Request) -> Response:
        return HTMLResponse(_REDOC.format(**page), headers=headers)

    async def swagger_start(request: Request) -> Response:
        return Response(_START_SWAGGER, media_type="text/javascript")

    # Plain routes (as FastAPI adds its own docs): GET and HEAD, outside the API description.
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_route(f"{ASSETS}/swagger-start.js", swagger_start, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=_BUILT), name="api-docs")
