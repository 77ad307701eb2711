"""The admins' audit log page and its CSV export, over real HTTP on both databases."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.audit.service import record
from hotline.auth.models import Role
from tests.factories import PASSWORD, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack


def _seed(stack: Stack) -> None:
    """Sixty views by alice on the 22nd, a formula-looking failed sign-in on the 23rd."""
    alice = make_user(stack.db, "alice", role=Role.supervisor)
    now = stack.clock.now()
    with stack.db.session() as session:
        for i in range(60):
            record(
                session=session,
                now=now.replace(day=22, hour=1, minute=0, second=i),
                action=AuditAction.view,
                object_type="call",
                object_id=i,
                user=alice,
                ip="10.0.0.5",
            )
        record(
            session=session,
            now=now,
            action=AuditAction.sign_in_failed,
            object_type="session",
            username="=HYPERLINK(1)",
            ip="10.0.0.6",
        )


def test_only_admins_see_the_log(app_only: Stack) -> None:
    make_user(app_only.db, "sue", role=Role.supervisor)
    assert client(app_only).get("/admin/audit").status_code == 303  # sign in first
    sue = client(app_only)
    post_login(sue, "sue", PASSWORD)
    assert sue.get("/admin/audit").status_code == 403
    assert sue.get("/admin/audit.csv").status_code == 403


def test_filters_pages_and_export_which_is_itself_audited(app_only: Stack) -> None:
    _seed(app_only)
    make_user(app_only.db, "root", role=Role.admin)
    admin = client(app_only)
    assert post_login(admin, "root", PASSWORD).status_code == 303

    first = admin.get("/admin/audit", params={"user": "alice", "lang": "en"})
    assert first.status_code == 200
    assert first.text.count('data-testid="audit-row"') == 50
    assert 'data-testid="audit-next"' in first.text and "audit-prev" not in first.text
    assert "call 59" in first.text  # newest first
    second = admin.get("/admin/audit", params={"user": "alice", "page": "2"})
    assert second.text.count('data-testid="audit-row"') == 10
    assert "call 0<" in second.text and 'data-testid="audit-next"' not in second.text

    failed = admin.get("/admin/audit", params={"action": "sign_in_failed", "lang": "en"})
    assert failed.text.count('data-testid="audit-row"') == 1 and "10.0.0.6" in failed.text
    day = admin.get("/admin/audit", params={"since": "2026-11-22", "until": "2026-11-22"})
    assert day.text.count('data-testid="audit-row"') == 50  # page 1 of alice's 60
    assert "10.0.0.6" not in day.text
    none = admin.get("/admin/audit", params={"since": "2026-11-24"})
    assert 'data-testid="audit-empty"' in none.text
    assert admin.get("/admin/audit", params={"action": "nonsense"}).status_code == 422
    assert admin.get("/admin/audit", params={"since": "22/11/2026"}).status_code == 422

    export = admin.get("/admin/audit.csv", params={"since": "2026-11-22", "lang": "en"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Time (UTC)", "User", "Action"]
    body = rows[1:]
    # Everything since the 22nd: alice's 60, the failed sign-in, root's sign-in and page views.
    assert sum(1 for r in body if r[1] == "alice") == 60
    formula = next(r for r in body if r[3] == "sign_in_failed")
    assert formula[1] == "'=HYPERLINK(1)"  # not run by a spreadsheet
    assert any(r[1] == "root" and r[3] == "view" and r[4] == "audit_log" for r in body)

    with app_only.db.session() as session:
        exports = session.exec(
            select(AuditEvent).where(AuditEvent.action == AuditAction.export)
        ).all()
        views = session.exec(select(AuditEvent).where(AuditEvent.object_type == "audit_log")).all()
    assert len(exports) == 1 and exports[0].username == "root"
    assert exports[0].detail == f"csv since=2026-11-22 rows={len(body)}"
    assert exports[0].object_type == "audit_log" and exports[0].ip == "127.0.0.1"
    assert len(views) == 6  # the five pages shown above (not the refused ones), the export
