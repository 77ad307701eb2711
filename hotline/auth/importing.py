"""Bulk import of volunteers from a CSV or XLSX file: check every row, then create them all.

A file is read into rows of text (`read_table`), every row is checked against the same rules as
the People form plus the file's own (a required column empty, a username twice in the file, a
line named that no active line has), and `check_rows` reports every row's problems at once.
Nothing is written until the admin confirms, and only a file without any problem is imported
(`import_rows` checks again and refuses otherwise): a partial import would leave the admin
sorting out who exists. Each account is created by `hotline.auth.admin.create_user` (audited,
with a temporary password to give them once).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from openpyxl import load_workbook
from sqlmodel import Session, col, select

from hotline.auth import admin as people
from hotline.auth.admin import PeopleError, UserFields
from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.i18n import N_, Gettext
from hotline.lines.models import Line

COLUMNS = ("username", "display_name", "role", "phone", "lines", "languages", "locale")
REQUIRED = ("username", "display_name", "role", "phone")
SAMPLE_HEADER = ",".join(COLUMNS)
SAMPLE_ROW = "chen.jing,陈静,counselor,+8613900001234,温州心理援助热线,zh_CN;en,zh_CN"
MAX_BYTES = 1_000_000
MAX_ROWS = 200
_LIST = re.compile(r"[;；|]")
# The form's field names, as the file's columns.
_FORM_TO_COLUMN = {"line_ids": "lines", "display_name": "display_name"}


class ImportFileError(DomainError):
    """A file that cannot be read as a table of volunteers."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "no_file": N_("Choose a CSV or XLSX file."),
        "too_big": N_("The file is larger than 1 MB: split it."),
        "unreadable": N_("This file cannot be read: save it as CSV (UTF-8) or XLSX."),
        "empty": N_("The file has no rows under its header."),
        "too_many_rows": N_("The file has more than 200 rows: split it."),
        "missing_columns": N_("The header lacks the column(s): %(columns)s."),
        "unknown_columns": N_("The header has column(s) this page does not know: %(columns)s."),
    }


ROW_MESSAGES = {
    "required": N_("This field is required."),
    "duplicate_in_file": N_("This username is already on an earlier row of the file."),
    "unknown_line": N_("No active line has this name."),
}


@dataclass
class RowCheck:
    """One row of the file (its number as a spreadsheet shows it, the header being 1)."""

    number: int
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)  # column -> message code
    fields: UserFields | None = None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a spreadsheet cell
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError("unreadable") from None


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("unreadable")
    try:
        return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        raise ImportFileError("unreadable") from None


def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    """The file's rows as {column: text}, checked for size and header (ImportFileError)."""
    if not data:
        raise ImportFileError("no_file")
    if len(data) > MAX_BYTES:
        raise ImportFileError("too_big")
    is_xlsx = filename.lower().endswith(".xlsx") or data[:2] == b"PK"
    table = [row for row in (_xlsx_rows(data) if is_xlsx else _csv_rows(data)) if any(row)]
    if not table:
        raise ImportFileError("empty")
    header = [name.strip().lower() for name in table[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError("missing_columns", params={"columns": ", ".join(missing)})
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise ImportFileError("unknown_columns", params={"columns": ", ".join(unknown)})
    rows = [
        {name: (row[i] if i < len(row) else "") for i, name in enumerate(header) if name}
        for row in table[1:]
    ]
    if not rows:
        raise ImportFileError("empty")
    if len(rows) > MAX_ROWS:
        raise ImportFileError("too_many_rows")
    return rows


def _split(value: str) -> list[str]:
    return [part.strip() for part in _LIST.split(value) if part.strip()]


def _check_row(
    session: Session, number: int, values: dict[str, str], lines: dict[str, int], seen: set[str]
) -> RowCheck:
    row = RowCheck(number=number, values={name: values.get(name, "") for name in COLUMNS})
    for name in REQUIRED:
        if not row.values[name]:
            row.problems[name] = "required"
    line_ids: list[str] = []
    for name in _split(row.values["lines"]):
        if name not in lines:
            row.problems["lines"] = "unknown_line"
        else:
            line_ids.append(str(lines[name]))
    try:
        row.fields = people.check_fields(
            session=session,
            username=row.values["username"],
            display_name=row.values["display_name"],
            role=row.values["role"].lower(),
            locale=row.values["locale"] or "zh_CN",
            phone_number=row.values["phone"],
            line_ids=line_ids,
            languages=_split(row.values["languages"]) or ["zh_CN"],
        )
    except PeopleError as failure:
        for form_field, code in failure.errors.items():
            row.problems.setdefault(_FORM_TO_COLUMN.get(form_field, form_field), code)
    username = row.values["username"]
    if username and username in seen:
        row.problems.setdefault("username", "duplicate_in_file")
    seen.add(username)
    if row.problems:
        row.fields = None
    return row


def check_rows(*, session: Session, rows: Sequence[dict[str, str]]) -> list[RowCheck]:
    """Every row checked; nothing written."""
    lines = {
        name: line_id
        for line_id, name in session.exec(select(Line.id, Line.name).where(col(Line.active)))
        if line_id is not None
    }
    seen: set[str] = set()
    return [_check_row(session, n, values, lines, seen) for n, values in enumerate(rows, start=2)]


def problem_text(code: str, gettext: Gettext) -> str:
    """A row problem's message: the file's own, else the People form's."""
    if code in ROW_MESSAGES:
        return gettext(ROW_MESSAGES[code])
    return PeopleError(code).message(gettext)


def import_rows(
    *,
    session: Session,
    rows: Sequence[dict[str, str]],
    actor: User | None,
    now: datetime,
    via: str = "import",
    ip: str | None = None,
) -> list[tuple[User, str]]:
    """Create every row's account, each with a temporary password; refused (nothing written)
    when any row has a problem now."""
    checked = check_rows(session=session, rows=rows)
    if any(row.problems for row in checked):
        raise PeopleError("import_problems")
    created: list[tuple[User, str]] = []
    for row in checked:
        assert row.fields is not None
        user, temporary = people.create_user(
            session=session, fields=row.fields, password=None, actor=actor, now=now, via=via, ip=ip
        )
        assert temporary is not None
        created.append((user, temporary))
    return created
