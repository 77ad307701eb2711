"""Strict reading of list filters from a query string (the supervisors' lists and exports).

A value that means nothing (``status=bogus``, ``line=abc``, ``from=2026-02-30``) is the
client's error, a 400 naming the filter: never a 500, and never silently dropped, which would
show an unfiltered list as if it were the filtered one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date

from hotline.errors import DomainError
from hotline.i18n import N_

MAX_ID = 2**31 - 1  # the database's integer ids
_POSITIVE = re.compile(r"[1-9][0-9]{0,9}")


class BadFilter(DomainError):
    """A filter's value is not one it can take; ``name`` is the query parameter."""

    status = 400
    messages = {"bad_filter": N_("The filter %(name)s has a value it cannot take.")}

    def __init__(self, name: str) -> None:
        super().__init__("bad_filter", params={"name": name})
        self.name = name


def id_filter(params: Mapping[str, str], name: str) -> int | None:
    """A positive id (a line, a person, a category), or None when absent or empty."""
    value = params.get(name) or ""
    if not value:
        return None
    if not _POSITIVE.fullmatch(value) or int(value) > MAX_ID:
        raise BadFilter(name)
    return int(value)


def page_filter(params: Mapping[str, str]) -> int:
    return id_filter(params, "page") or 1


def date_filter(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name) or ""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(name) from None


def choice_filter(params: Mapping[str, str], name: str, choices: Collection[str]) -> str | None:
    value = params.get(name) or ""
    if not value:
        return None
    if value not in choices:
        raise BadFilter(name)
    return value
