"""CSV files people open in a spreadsheet: the one way every export here is written.

A byte-order mark first, so spreadsheet programs read the Chinese text as UTF-8; a text cell
that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first)
is written with a leading `'` (CSV injection: names and free text are typed by people).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from fastapi import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """None as empty; text that could be a formula made inert; numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()


def csv_response(
    name: str, header: Sequence[object], rows: Iterable[Sequence[object]], *, now: datetime
) -> Response:
    """An attachment named `<name>-<YYYYmmdd-HHMM>.csv`, never cached."""
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{now:%Y%m%d-%H%M}.csv"',
            "Cache-Control": "no-store",
        },
    )
