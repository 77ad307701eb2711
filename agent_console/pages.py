"""Rendering helpers shared by the console's pages: templates, locale, translations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from hotline.auth.deps import SESSION_LOCALE, csrf_token
from hotline.auth.models import User
from hotline.i18n import LOCALES, gettext_for, negotiate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
STATIC_DIR = HERE / "static"


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
