"""Bulk import of volunteers (`/admin/users/import`) over real HTTP, on both databases: the dry
run lists every row's problem and writes nothing; a clean CSV or XLSX file is imported on
confirmation, each account audited, its temporary password shown once."""

from __future__ import annotations

import io
import json

import httpx
from openpyxl import Workbook
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role, User
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

HEADER = "username,display_name,role,phone,lines,languages,locale"
CSV_TYPE = "text/csv"


def _admin(stack: Stack) -> tuple[httpx.Client, str]:
    make_user(stack.db, "root", role=Role.admin)
    http = client(stack)
    assert post_login(http, "root", PASSWORD).status_code == 303
    return http, csrf_from(http.get("/admin/users/import?lang=en").text)


def _upload(http: httpx.Client, token: str, name: str, data: bytes) -> httpx.Response:
    return http.post(
        "/admin/users/import",
        data={"csrf_token": token},
        files={"file": (name, data, CSV_TYPE)},
    )


def _usernames(stack: Stack) -> set[str]:
    with stack.db.session() as session:
        return set(session.exec(select(User.username)).all())


def _problems(html: str) -> dict[int, set[str]]:
    """Each dry-run row's number and the columns it has problems in."""
    found: dict[int, set[str]] = {}
    for chunk in html.split('data-testid="dry-run-row" data-row="')[1:]:
        number = int(chunk.split('"')[0])
        row = chunk.split("</tr>")[0]
        found[number] = {part.split('"')[0] for part in row.split('data-column="')[1:]}
    return found


def test_the_dry_run_lists_every_problem_and_writes_nothing(app_only: Stack) -> None:
    make_line(app_only.db, number="+8657796525")  # named "Line +8657796525"
    http, token = _admin(app_only)
    make_user(app_only.db, "taken")
    before = _usernames(app_only)
    rows = [
        "good,Good One,counselor,139 0000 1234,Line +8657796525,zh_CN;en,zh_CN",
        "noname,,counselor,+8613900001235,,,",
        "badphone,Bad Phone,counselor,12,,,",
        "good,Twice,counselor,+8613900001236,,,",
        "taken,Taken,counselor,+8613900001237,,,",
        "role,Bad Role,janitor,+8613900001238,,,",
        "line,Bad Line,crisis,+8613900001239,Nowhere line,,",
        "lang,Bad Language,counselor,+8613900001240,,fr,",
        ",No Username,counselor,,,,",
    ]
    answer = _upload(http, token, "people.csv", "\n".join([HEADER, *rows]).encode())
    assert answer.status_code == 200, answer.text[:400]
    assert _problems(answer.text) == {
        2: set(),
        3: {"display_name"},
        4: {"phone"},
        5: {"username"},
        6: {"username"},
        7: {"role"},
        8: {"lines"},
        9: {"languages"},
        10: {"username", "phone"},
    }
    assert "already on an earlier row" in answer.text and "already taken" in answer.text
    assert 'data-testid="dry-run-problems"' in answer.text
    assert 'data-testid="btn-import"' not in answer.text  # no confirmation for a bad file
    assert _usernames(app_only) == before
    with app_only.db.session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.object_type == "user")).all() == []


def test_a_clean_csv_is_imported_on_confirmation(app_only: Stack) -> None:
    line = make_line(app_only.db, number="+8657796525")
    http, token = _admin(app_only)
    rows = [
        "chen,陈静,counselor,139 0000 1234,Line +8657796525,zh_CN;en,zh_CN",
        "li,李明,crisis,+8613900004321,,,en",
    ]
    dry = _upload(
        http, token, "people.csv", "\ufeff".encode() + "\n".join([HEADER, *rows]).encode()
    )
    assert dry.status_code == 200 and 'data-testid="dry-run-clean"' in dry.text
    assert _usernames(app_only) == {"root"}  # the dry run wrote nothing
    payload = dry.text.split('name="payload" value="')[1].split('"')[0]
    payload = payload.replace("&#34;", '"').replace("&quot;", '"')
    done = http.post("/admin/users/import/confirm", data={"csrf_token": token, "payload": payload})
    assert done.status_code == 200, done.text[:400]
    assert done.headers["cache-control"] == "no-store"
    assert done.text.count('data-testid="created-row"') == 2
    with app_only.db.session() as session:
        chen = session.exec(select(User).where(User.username == "chen")).one()
        li = session.exec(select(User).where(User.username == "li")).one()
        assert chen.endpoint == "+8613900001234" and chen.line_ids == [line.id]
        assert chen.languages == ["zh_CN", "en"] and chen.display_name == "陈静"
        assert li.role == Role.crisis and li.locale == "en" and li.languages == ["zh_CN"]
        audit = session.exec(select(AuditEvent).where(AuditEvent.object_type == "user")).all()
        assert sorted(e.object_id or "" for e in audit) == sorted([str(chen.id), str(li.id)])
        assert all((e.detail or "").startswith("created (import)") for e in audit)
    chunk = done.text.split('data-username="chen"')[1]
    temporary = chunk.split('data-testid="created-password">')[1].split("<")[0]
    assert all(temporary not in (e.detail or "") for e in audit)
    assert post_login(client(app_only), "chen", temporary).status_code == 303

    again = http.post("/admin/users/import/confirm", data={"csrf_token": token, "payload": payload})
    assert again.status_code == 422  # the same rows again: the usernames are taken now
    assert 'data-testid="dry-run-problems"' in again.text
    assert _usernames(app_only) == {"root", "chen", "li"}


def test_an_xlsx_file_and_unreadable_files(app_only: Stack) -> None:
    http, token = _admin(app_only)
    book = Workbook()
    sheet = book.active
    sheet.append(["Username", "display_name", "role", "phone"])
    sheet.append(["wang", "王芳", "supervisor", 8613900005555])  # a number cell, not text
    buffer = io.BytesIO()
    book.save(buffer)
    dry = _upload(http, token, "people.xlsx", buffer.getvalue())
    assert dry.status_code == 200 and 'data-testid="dry-run-clean"' in dry.text, dry.text[:300]
    assert "+8613900005555" in dry.text or "8613900005555" in dry.text

    missing = _upload(http, token, "people.csv", b"username,role\nzhao,counselor\n")
    assert missing.status_code == 422 and 'data-testid="error-file"' in missing.text
    assert "display_name" in missing.text and "phone" in missing.text
    junk = _upload(http, token, "people.xlsx", b"PK\x03\x04 not really a workbook")
    assert junk.status_code == 422 and "cannot be read" in junk.text
    empty = _upload(http, token, "people.csv", f"{HEADER}\n".encode())
    assert empty.status_code == 422 and "no rows" in empty.text
    forged = http.post(
        "/admin/users/import/confirm", data={"csrf_token": token, "payload": json.dumps({})}
    )
    assert forged.status_code == 422
    assert _usernames(app_only) == {"root"}
    no_token = http.post("/admin/users/import", files={"file": ("a.csv", b"x", CSV_TYPE)})
    assert no_token.status_code == 403
