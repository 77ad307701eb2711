"""`hotline users list` and `hotline users edit`, run as the installed command on a fresh
migrated database (SQLite and PostgreSQL), checked by their output and the rows they leave."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from hotline import crypto
from hotline.audit.models import AuditEvent
from hotline.auth import service as auth
from hotline.lines.models import Line
from tests.test_cli_readme import (
    HOTLINE,
    PASSWORD,
    SECRET,
    database,
    empty_url,
    environment,
    hotline,
)

__all__ = ["empty_url"]  # the fixture: a database with no tables at all


@pytest.mark.timeout(300)  # five processes, each importing the app, on a shared machine
def test_users_edit_and_list_on_a_fresh_database(empty_url: str, tmp_path: Path) -> None:
    hotline(empty_url, tmp_path, "db", "upgrade")
    hotline(empty_url, tmp_path, "lines", "add", "+8657796525", "温州热线")
    hotline(
        empty_url,
        tmp_path,
        *("users", "create", "zhang", "张伟", "--endpoint", "+8613800000001"),
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    db = database(empty_url)
    crypto.configure(crypto.keyring_from(SECRET, None, "test"))
    with db.session() as session:
        user = auth.get_by_username(session=session, username="zhang")
        assert user is not None
        user.phone_verified_at = user.created_at  # as if verified on the People page
        session.add(user)
        line_id = session.exec(select(Line.id)).one()

    listed = hotline(empty_url, tmp_path, "users", "list").stdout.splitlines()
    assert listed[0].split("\t") == [
        "USERNAME", "NAME", "ROLE", "ACTIVE", "PHONE", "VERIFIED", "TOTP"
    ]  # fmt: skip
    assert listed[1].split("\t") == [
        "zhang", "张伟", "counselor", "yes", "•" * 10 + "0001", "yes", "no"
    ]  # fmt: skip
    assert "13800000001" not in "\n".join(listed)

    edited = hotline(
        empty_url,
        tmp_path,
        *("users", "edit", "zhang", "--display-name", "张伟老师", "--phone", "139 0000 2222"),
        *("--lines", "温州热线", "--languages", "zh_CN", "--locale", "en"),
    )
    assert "zhang: saved" in edited.stdout
    with db.session() as session:
        user = auth.get_by_username(session=session, username="zhang")
        assert user is not None
        assert user.display_name == "张伟老师" and user.endpoint == "+8613900002222"
        assert user.line_ids == [line_id] and user.languages == ["zh_CN"]
        assert user.locale == "en"
        assert user.phone_verified_at is None  # a new phone is verified again
        (audit,) = session.exec(
            select(AuditEvent).where(AuditEvent.detail.startswith("edited"))  # type: ignore[union-attr]
        ).all()
        assert (audit.detail or "").startswith("edited (hotline users)")
        assert "13900002222" not in (audit.detail or "")

    refused = subprocess.run(
        [HOTLINE, "users", "edit", "zhang", "--phone", "12", "--lines", "Nowhere"],
        cwd=tmp_path,
        env=environment(empty_url),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert refused.returncode == 1
    assert "line_ids: Choose lines that exist" in refused.stderr
    with db.session() as session:
        user = auth.get_by_username(session=session, username="zhang")
        assert user is not None and user.endpoint == "+8613900002222"  # nothing changed
    db.engine.dispose()
