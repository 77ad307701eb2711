"""Translations: Babel .po catalogs, compiled in memory when first used (no generated files).

Domains keep each part's strings in its own catalog: ``messages`` (server, console pages and
caller prompts) and ``simulator`` (the local Twilio simulator's page).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"
# Twilio <Say language="..."> codes for the caller's language.
TWILIO_SAY_LANGUAGE = {"zh_CN": "cmn-CN", "en": "en-US"}


@cache
def translations(locale: str, domain: str = "messages") -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(locale: str, domain: str = "messages") -> Callable[[str], str]:
    return translations(normalize(locale), domain).gettext


def normalize(locale: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en-US' ... onto a supported locale."""
    if not locale:
        return DEFAULT_LOCALE
    lowered = locale.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def negotiate(accept_language: str | None) -> str:
    """Pick the first supported locale from an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag and (tag.lower().startswith("zh") or tag.lower().startswith("en")):
            return normalize(tag)
    return DEFAULT_LOCALE


Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a string for extraction (pybabel -k N_); it is translated later, where it is shown."""
    return message
