"""The admin API over real HTTP: legal holds and the dispatcher's daily purge with the stack's
injected clock, each line's retention period, the subject-access export, and `hotline purge`."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.blocklist import service as blocklist
from hotline.calls.models import Call
from hotline.lines.models import Line
from hotline.privacy import caller_hash
from hotline.retention.models import MIN_RETENTION_DAYS
from tests.factories import make_line, make_user
from tests.retention.records import SECRET, days, make_record
from tests.stack import Stack
from tests.staff import Staff

CALLER = "+8613811112222"
SOMEONE_ELSE = "+8613933334444"
DAY_S = 86400


def exists(stack: Stack, call_id: int) -> bool:
    with stack.db.session() as session:
        return session.get(Call, call_id) is not None


def audit_entries(stack: Stack, object_type: str) -> list[AuditEvent]:
    with stack.db.session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.object_type == object_type)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def test_a_legal_hold_set_by_an_admin_survives_the_daily_purge_until_released(
    app_only: Stack,
) -> None:
    line = make_line(app_only.db)
    counselor = make_user(app_only.db, "counselor")
    make_user(app_only.db, "admin", role=Role.admin)
    make_user(app_only.db, "sup", role=Role.supervisor)
    now = app_only.clock.now()
    held = make_record(
        app_only.db, line=line, counselor=counselor, caller=CALLER, created_at=now, ended_at=now
    )
    other = make_record(
        app_only.db, line=line, counselor=counselor, caller=CALLER, created_at=now, ended_at=now
    )
    admin, supervisor = Staff(app_only, "admin"), Staff(app_only, "sup")
    path = f"/api/admin/calls/{held.call_id}/legal-hold"
    assert supervisor.post(path, {"reason": "police inquiry 2026-17"}).status_code == 403
    assert admin.post(path, {"reason": "police inquiry 2026-17"}, csrf=False).status_code == 403
    placed = admin.post(path, {"reason": "police inquiry 2026-17"})
    assert placed.status_code == 201, placed.text
    again = admin.post(path, {"reason": "twice"})
    assert again.status_code == 409 and again.json()["code"] == "already_held"
    assert admin.post("/api/admin/calls/999999/legal-hold", {"reason": "x"}).status_code == 404
    holds = admin.get("/api/admin/legal-holds").json()
    assert [h["call_id"] for h in holds["data"]] == [held.call_id]
    assert holds["data"][0]["reason"] == "police inquiry 2026-17"
    with app_only.db.session() as session:
        raw = session.connection().exec_driver_sql("SELECT reason FROM legal_holds").scalar()
        assert raw is not None and "police" not in raw  # encrypted at rest

    # Three years and a day later the dispatcher's daily job purges all but the held call.
    app_only.clock.advance((MIN_RETENTION_DAYS + 1) * DAY_S)
    result = app_only.dispatcher.run_retention()
    assert result is not None and result.counts["calls"] == 1
    assert app_only.dispatcher.run_retention() is None  # once a day
    assert exists(app_only, held.call_id) and not exists(app_only, other.call_id)

    admin = Staff(app_only, "admin")  # three years on, the old session has long expired
    released = admin.delete(path)
    assert released.status_code == 200 and released.json()["released_at"] is not None
    assert admin.delete(path).status_code == 404
    app_only.clock.advance(DAY_S)
    assert app_only.dispatcher.run_retention() is not None
    assert not exists(app_only, held.call_id)

    details = [(e.action, e.detail) for e in audit_entries(app_only, "call")]
    assert [(action, (detail or "").split(":")[0]) for action, detail in details] == [
        (AuditAction.edit, "legal hold placed (api)"),
        (AuditAction.edit, "legal hold released (api)"),
    ]
    # Before and after, and that lifting it let the purge erase the call.
    assert details[1][1] is not None and '"past_retention":true' in details[1][1]
    purges = audit_entries(app_only, "retention")
    assert [e.action for e in purges] == [AuditAction.purge, AuditAction.purge]
    assert purges[0].detail is not None and "calls=1" in purges[0].detail
    admin.close()
    supervisor.close()


def test_admins_set_a_line_retention_never_below_three_years(app_only: Stack) -> None:
    line = make_line(app_only.db)
    make_user(app_only.db, "admin", role=Role.admin)
    admin = Staff(app_only, "admin")
    listed = admin.get("/api/admin/retention").json()
    assert listed["minimum_days"] == 1095
    assert [(d["line_id"], d["retention_days"]) for d in listed["data"]] == [(line.id, 1095)]
    short = admin.put(f"/api/admin/lines/{line.id}/retention", {"days": 1094})
    assert short.status_code == 422 and "1095" in short.json()["detail"]
    assert admin.put(f"/api/admin/lines/{line.id}/retention", {"days": 1500}).status_code == 200
    with app_only.db.session() as session:
        stored = session.get(Line, line.id)
        assert stored is not None and stored.retention_days == 1500
    assert admin.put("/api/admin/lines/9999/retention", {"days": 1500}).status_code == 404
    admin.close()


def test_subject_access_exports_exactly_that_callers_records_to_admins_only(
    app_only: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    line = make_line(app_only.db)
    counselor = make_user(app_only.db, "counselor")
    admin_user = make_user(app_only.db, "admin", role=Role.admin)
    make_user(app_only.db, "sup", role=Role.supervisor)
    now = app_only.clock.now()
    mine = [
        make_record(
            app_only.db,
            line=line,
            counselor=counselor,
            caller=CALLER,
            created_at=now - days(n),
            ended_at=now - days(n),
        ).call_id
        for n in (10, 2)
    ]
    theirs = make_record(
        app_only.db,
        line=line,
        counselor=counselor,
        caller=SOMEONE_ELSE,
        created_at=now,
        ended_at=now,
    ).call_id
    with app_only.db.session() as session:
        for number in (CALLER, SOMEONE_ELSE):
            blocklist.block(
                session=session,
                caller_hash=caller_hash(SECRET, number),
                secret=SECRET,
                duration="24h",
                reason=f"abusive ({number[-2:]})",
                user=admin_user,
                now=now,
            )

    admin, supervisor = Staff(app_only, "admin"), Staff(app_only, "sup")
    # The number travels in the body (spaces and dashes as typed), never in the URL.
    body = {"number": "+86 138-1111-2222"}
    assert supervisor.post("/api/admin/subject-access", body).status_code == 403
    assert admin.post("/api/admin/subject-access", body, csrf=False).status_code == 403
    with caplog.at_level(logging.DEBUG):
        response = admin.post("/api/admin/subject-access", body)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert [c["id"] for c in export["calls"]] == mine
    assert theirs not in [c["id"] for c in export["calls"]]
    first = export["calls"][0]
    assert [e["state"] for e in first["events"]] == ["ringing", "ivr", "completed"]
    assert first["note"]["summary"] == "private words"  # decrypted
    assert [a["text"] for a in first["note"]["addenda"]] == ["addendum"]
    assert first["escalation"]["reason"] == "plan"
    assert [e["kind"] for e in first["escalation"]["log"]] == ["triggered", "acknowledged"]
    assert len(first["escalation"]["pages"]) == 1
    assert [b["reason"] for b in export["blocklist"]] == ["abusive (22)"]
    assert export["count"] == {"calls": 2, "blocklist": 1}

    nobody = admin.post("/api/admin/subject-access", {"number": "+8610000000000"}).json()
    assert nobody["calls"] == [] and nobody["blocklist"] == []
    # Twilio's keypad spelling of ANONYMOUS: every withheld caller's records, so refused.
    withheld = admin.post("/api/admin/subject-access", {"number": "+266696687"})
    assert withheld.status_code == 422 and withheld.json()["code"] == "withheld"

    exports = audit_entries(app_only, "subject_access")
    assert [(e.action, e.detail) for e in exports] == [
        (AuditAction.export, "calls=2 blocklist=1 (api)"),
        (AuditAction.export, "calls=0 blocklist=0 (api)"),
    ]
    with app_only.db.session() as session:
        everything = " ".join(str(e.model_dump()) for e in session.exec(select(AuditEvent)))
    digits = CALLER.lstrip("+")
    assert digits not in everything and "1111-2222" not in everything
    assert len(caplog.records) > 0
    assert not [r for r in caplog.records if "1111" in r.getMessage()]
    admin.close()
    supervisor.close()


def test_the_purge_command_dry_run_deletes_nothing(database_url: str, tmp_path: Path) -> None:
    from hotline.db import Database, make_engine

    db = Database(make_engine(database_url))
    line = make_line(db)
    counselor = make_user(db, "counselor")
    old = days(MIN_RETENTION_DAYS + 5)
    from datetime import UTC, datetime

    ended = datetime.now(UTC) - old
    record = make_record(
        db, line=line, counselor=counselor, caller=CALLER, created_at=ended, ended_at=ended
    )
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_ENV": "test",
    }
    hotline = str(Path(sys.executable).with_name("hotline"))

    def run(*args: str) -> str:
        done = subprocess.run(
            [hotline, "purge", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run("--dry-run").startswith("would purge: ") and "calls=1" in run("--dry-run")
    with db.session() as session:
        assert session.get(Call, record.call_id) is not None
    assert "calls=1" in run()
    with db.session() as session:
        assert session.get(Call, record.call_id) is None
        cli = session.exec(select(AuditEvent).where(AuditEvent.username == "cli")).all()
        assert [e.object_id for e in cli] == ["dry-run", "dry-run", None]
    db.engine.dispose()
