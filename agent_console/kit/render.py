"""Page rendering for every feature of the console: templates, locale, translations.

Each feature keeps its templates in `agent_console/<feature>/templates/` and its static files in
`agent_console/<feature>/static/`; the kit's own (`base.html`, list filters and pager, the shared
stylesheets) sit in `agent_console/kit/`. Template and static file names are unique across
features, so a page names `rota.html` or `/static/rota.css` without saying whose it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from hotline.auth.deps import SESSION_LOCALE, csrf_token
from hotline.auth.models import User
from hotline.i18n import LOCALES, gettext_for, negotiate

CONSOLE_DIR = Path(__file__).parent.parent
# The kit first, then every feature folder, in name order.
FEATURE_DIRS = [CONSOLE_DIR / "kit"] + sorted(
    path.parent for path in CONSOLE_DIR.glob("*/__init__.py") if path.parent.name != "kit"
)
templates = Jinja2Templates(
    directory=[path / "templates" for path in FEATURE_DIRS if (path / "templates").is_dir()]
)


def static_files() -> StaticFiles:
    """One `/static` mount over every feature's `static/` folder."""
    return StaticFiles(
        packages=[
            (
                "agent_console" if path.name == "agent_console" else f"agent_console.{path.name}",
                "static",
            )
            for path in FEATURE_DIRS
            if (path / "static").is_dir()
        ]
    )


def _as_option(item: Any, value: str, text: str) -> tuple[Any, Any]:
    """An object as a (value, text) choice of a select field (`_filters.html`)."""
    return getattr(item, value), getattr(item, text)


def _pair_with(key: str, texts: dict[str, str]) -> tuple[str, str]:
    """A key and its label (the key itself if it has none) as a choice of a select field."""
    return key, texts.get(key, key)


templates.env.filters["as_option"] = _as_option
templates.env.filters["pair_with"] = _pair_with


def locale_of(conn: HTTPConnection, user: User | None = None) -> str:
    chosen = conn.session.get(SESSION_LOCALE)
    if isinstance(chosen, str) and chosen in LOCALES:
        return chosen
    if user is not None and user.locale in LOCALES:
        return user.locale
    return negotiate(conn.headers.get("accept-language"))


def remember_locale(request: Request) -> None:
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        request.session[SESSION_LOCALE] = lang


def translator(conn: HTTPConnection, user: User | None = None) -> Callable[[str], str]:
    return gettext_for(locale_of(conn, user))


def render(
    request: Request, name: str, *, user: User | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    locale = locale_of(request, user)
    return templates.TemplateResponse(
        request,
        name,
        {
            "_": gettext_for(locale),
            "locale": locale,
            "user": user,
            "csrf_token": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )
