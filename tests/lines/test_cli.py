"""`hotline lines add|edit|list` as the installed command, on a freshly migrated database (both
kinds): every setting the page has, refusals with the field at fault and no traceback, and the
changes in the audit log as `hotline lines`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.lines import service as lines
from hotline.lines.models import Line
from tests.factories import make_line
from tests.test_cli_readme import (
    HOTLINE,
    database,
    empty_url,
    environment,
    hotline,
    sqlite_url,
)

__all__ = ["empty_url", "sqlite_url"]  # the fixtures


def failing(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [HOTLINE, *args], cwd=cwd, env=environment(url), capture_output=True, text=True, timeout=90
    )
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    return done


@pytest.mark.timeout(600)  # a process per command: slow on a loaded machine
def test_add_edit_and_list_every_setting_on_a_fresh_database(
    empty_url: str, tmp_path: Path
) -> None:
    hotline(empty_url, tmp_path, "db", "upgrade")
    added = hotline(
        empty_url,
        tmp_path,
        *("lines", "add", "0577 9652 5", "温州心理援助热线", "--other-number", "12356"),
        *("--languages", "zh_CN,en", "--timezone", "Asia/Shanghai"),
        *("--hours", "all=20:00-08:00", "--special-day", "2026-12-25=closed"),
        *("--after-hours", "voicemail", "--max-queue-wait-s", "240"),
        *("--overflow-action", "voicemail", "--partner-number", "0577 0000 0"),
        *("--recording", "--local-prefixes", "+86577,0577", "--retention-days", "2000"),
    )
    assert "created line +8657796525" in added.stdout
    hotline(
        empty_url,
        tmp_path,
        *("lines", "edit", "12356", "--hours", "sat=09:00-12:00", "--name", "Wenzhou"),
        *("--special-day", "2026-10-01=10:00-16:00", "--special-day", "2026-12-25=closed"),
    )
    (row,) = [
        json.loads(r) for r in hotline(empty_url, tmp_path, "lines", "list").stdout.split("\n") if r
    ]
    assert row["numbers"] == ["+8657796525", "+8612356"] and row["name"] == "Wenzhou"
    assert row["opening_hours"]["sat"] == [["09:00", "12:00"]]
    assert row["opening_hours"]["fri"] == [["20:00", "08:00"]]  # the days not given stay
    assert row["special_days"] == {"2026-10-01": [["10:00", "16:00"]], "2026-12-25": []}
    assert (row["after_hours_action"], row["overflow_action"]) == ("voicemail", "voicemail")
    assert (row["max_queue_wait_s"], row["retention_days"], row["recording"]) == (240, 2000, True)
    assert row["partner_number"] == "+8657700000"
    assert row["local_prefixes"] == ["+86577", "0577"]

    hotline(
        empty_url, tmp_path, "lines", "edit", "+8657796525", "--always-open", "--no-other-numbers"
    )
    db = database(empty_url)
    with db.session() as session:
        line = session.exec(select(Line)).one()
        assert line.opening_hours is None and line.retention_days == 2000
        assert lines.get_by_number(session=session, number="+8612356") is None
        details = [
            e.detail or ""
            for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "line"))
        ]
    db.engine.dispose()
    assert details and all("(hotline lines)" in d for d in details)
    assert any(d.startswith("created") for d in details)
    assert any('"name":"温州心理援助热线"' in d and '"name":"Wenzhou"' in d for d in details)


@pytest.mark.timeout(600)
def test_refusals_name_the_field_and_change_nothing(sqlite_url: str, tmp_path: Path) -> None:
    db = database(sqlite_url)
    make_line(db, number="+8657796525")
    make_line(db, number="+8612356")
    db.engine.dispose()
    refused = failing(
        sqlite_url, tmp_path, "lines", "edit", "+8657796525", "--retention-days", "100"
    )
    assert "retention_days: Keep records at least 1095 days" in refused.stderr
    refused = failing(sqlite_url, tmp_path, "lines", "add", "+8612356", "Twice")
    assert "already reaches another line" in refused.stderr
    refused = failing(sqlite_url, tmp_path, "lines", "edit", "+8657796525", "--hours", "mon=9-5")
    assert "hours_mon:" in refused.stderr

    db = database(sqlite_url)
    with db.session() as session:
        assert [line.retention_days for line in session.exec(select(Line))] == [1095, 1095]
        assert session.exec(select(AuditEvent).where(AuditEvent.object_type == "line")).all() == []
    db.engine.dispose()
