"""The records pages over real HTTP, on both databases: `/admin/records` (retention per line, the
purge runs, legal holds placed and lifted through a confirmation), `/admin/blocklist` and
`/admin/subject-access`; who may open them, bad input next to the field, and the audit log."""

from __future__ import annotations

import json

import httpx
from sqlmodel import select

from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role
from hotline.blocklist.models import BlockedCaller
from hotline.calls.models import Call
from hotline.retention.models import MIN_RETENTION_DAYS, LegalHold
from hotline.simulator.console_client import csrf_from
from tests.blocklist.test_blocklist import assert_blocked_answer, sid
from tests.calls import inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.retention.records import make_record
from tests.security.helpers import client, post_login
from tests.stack import Stack

DAY_S = 86400
CALLER = "+8613811112222"


def _signed_in(stack: Stack, username: str, role: Role) -> tuple[httpx.Client, str]:
    make_user(stack.db, username, role=role)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http, csrf_from(http.get("/console?lang=en").text)


def _audit(stack: Stack, object_type: str) -> list[AuditEvent]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.action != AuditAction.view)
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _active_holds(stack: Stack) -> list[int]:
    with stack.db.session() as session:
        holds = session.exec(select(LegalHold).where(LegalHold.released_at == None))  # noqa: E711
        return [hold.call_id for hold in holds]


def _exists(stack: Stack, call_id: int) -> bool:
    with stack.db.session() as session:
        return session.get(Call, call_id) is not None


def test_only_the_allowed_roles_open_each_page(app_only: Stack) -> None:
    counselor, _ = _signed_in(app_only, "alice", Role.counselor)
    supervisor, _ = _signed_in(app_only, "wang", Role.supervisor)
    admin, _ = _signed_in(app_only, "root", Role.admin)
    for path in ("/admin/records", "/admin/subject-access"):
        assert admin.get(path).status_code == 200
        assert supervisor.get(path).status_code == 403
        assert counselor.get(path).status_code == 403
    assert admin.get("/admin/blocklist").status_code == 200
    assert supervisor.get("/admin/blocklist").status_code == 200
    assert counselor.get("/admin/blocklist").status_code == 403
    # Without a session, off to sign in.
    assert client(app_only).get("/admin/records").status_code in (302, 303, 307)
    home = admin.get("/admin?lang=en").text
    for link in ("/admin/records", "/admin/blocklist", "/admin/subject-access"):
        assert f'href="{link}"' in home


def test_a_hold_is_placed_with_a_reason_and_lifted_only_after_the_confirmation(
    app_only: Stack,
) -> None:
    line = make_line(app_only.db)
    counselor = make_user(app_only.db, "counselor")
    http, token = _signed_in(app_only, "root", Role.admin)
    now = app_only.clock.now()
    held = make_record(
        app_only.db, line=line, counselor=counselor, caller=CALLER, created_at=now, ended_at=now
    )
    other = make_record(
        app_only.db, line=line, counselor=counselor, caller=CALLER, created_at=now, ended_at=now
    )

    page = http.get("/admin/records?lang=en")
    assert page.status_code == 200
    assert 'data-testid="retention-days">1095<' in page.text
    assert f'href="/admin/lines/{line.id}"' in page.text
    assert 'data-testid="no-runs"' in page.text and 'data-testid="no-holds"' in page.text

    # Bad input: next to the field, 4xx, nothing held.
    bad = http.post(
        "/admin/records/holds", data={"call": "yesterday", "reason": "", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert 'data-testid="error-call"' in bad.text and 'data-testid="error-reason"' in bad.text
    missing = http.post(
        "/admin/records/holds", data={"call": "#999999", "reason": "court", "csrf_token": token}
    )
    assert missing.status_code == 422 and "There is no such call." in missing.text
    assert 'value="#999999"' in missing.text  # what was typed is kept
    no_csrf = http.post("/admin/records/holds", data={"call": f"#{held.call_id}", "reason": "x"})
    assert no_csrf.status_code == 403
    assert _active_holds(app_only) == [] and _audit(app_only, "call") == []

    placed = http.post(
        "/admin/records/holds",
        data={"call": f"#{held.call_id}", "reason": "police inquiry 2026-17", "csrf_token": token},
    )
    assert placed.status_code == 303 and placed.headers["location"].endswith("done=held")
    by_sid = http.post(
        "/admin/records/holds",
        data={"call": held.call_sid, "reason": "again", "csrf_token": token},
    )
    assert by_sid.status_code == 409 and "already under legal hold" in by_sid.text
    assert _active_holds(app_only) == [held.call_id]

    # Three years and a day on, the daily purge spares the held call; the page shows the run.
    app_only.clock.advance((MIN_RETENTION_DAYS + 1) * DAY_S)
    assert app_only.dispatcher.run_retention() is not None
    assert _exists(app_only, held.call_id) and not _exists(app_only, other.call_id)
    http, token = _signed_in(app_only, "root2", Role.admin)  # the old session has expired
    page = http.get("/admin/records?lang=en").text
    assert 'data-testid="run-row"' in page and "1 calls" in page
    assert "police inquiry 2026-17" in page and 'data-testid="past-retention"' in page
    assert "Next run: " in page and "00:00 UTC" in page  # today's has run: tomorrow

    # The first POST only asks, stating the consequence; the hold stays.
    release = f"/admin/records/holds/{held.call_id}/release"
    asked = http.post(release, data={"csrf_token": token})
    assert asked.status_code == 200 and 'data-testid="confirm-form"' in asked.text
    assert "will be purged at the next run" in asked.text
    assert _active_holds(app_only) == [held.call_id]
    hold_id = asked.text.split('name="hold_id" value="')[1].split('"')[0]
    # A confirmation without the hold it was shown for only asks again.
    assert http.post(release, data={"csrf_token": token, "confirm": "1"}).status_code == 200
    stale = http.post(release, data={"csrf_token": token, "confirm": "1", "hold_id": "999999"})
    assert stale.status_code == 409 and _active_holds(app_only) == [held.call_id]
    lifted = http.post(release, data={"csrf_token": token, "confirm": "1", "hold_id": hold_id})
    assert lifted.status_code == 303 and _active_holds(app_only) == []
    assert http.post(release, data={"csrf_token": token}).status_code == 404

    audited = _audit(app_only, "call")
    assert [(e.action, e.object_id, e.username) for e in audited] == [
        (AuditAction.edit, str(held.call_id), "root"),
        (AuditAction.edit, str(held.call_id), "root2"),
    ]
    assert audited[0].detail is not None and audited[0].detail.startswith(
        "legal hold placed (admin page)"
    )
    assert '"before":{"held":false}' in audited[0].detail
    assert audited[1].detail is not None and '"past_retention":true' in audited[1].detail
    assert all("police" not in (e.detail or "") for e in audited)  # the reason stays encrypted

    app_only.clock.advance(DAY_S)
    assert app_only.dispatcher.run_retention() is not None
    assert not _exists(app_only, held.call_id)


def test_a_supervisor_blocks_a_typed_number_and_removes_the_block_after_confirming(
    app_only: Stack,
) -> None:
    make_line(app_only.db)
    http, token = _signed_in(app_only, "wang", Role.supervisor)
    page = http.get("/admin/blocklist?lang=en")
    assert page.status_code == 200 and 'data-testid="no-blocks"' in page.text
    assert "cannot press the in-danger key" in page.text and "110" in page.text

    def post(**fields: str) -> httpx.Response:
        form = {"call": "", "number": "", "duration": "24h", "reason": "abuse", **fields}
        return http.post("/admin/blocklist", data={**form, "csrf_token": token})

    bad = post(number="12", reason="", duration="forever")
    assert bad.status_code == 422
    for field in ("number", "reason", "duration"):
        assert f'data-testid="error-{field}"' in bad.text
    nothing = post()
    assert nothing.status_code == 422 and "This is not a phone number" in nothing.text
    both = post(call="#1", number="13812345678")
    assert both.status_code == 422 and "not both" in both.text
    withheld = post(number="anonymous")
    assert withheld.status_code == 422 and "withheld" in withheld.text
    missing = post(call="#999999")
    assert missing.status_code == 422 and 'data-testid="error-call"' in missing.text
    with app_only.db.session() as session:
        assert session.exec(select(BlockedCaller)).all() == []

    # Typed without the country code, it is blocked as the network sends it (E.164).
    made = post(number="138 1234 5678", duration="permanent", reason="threats to staff")
    assert made.status_code == 303, made.text[:400]
    assert post(number="+8613812345678").status_code == 409  # already blocked
    assert_blocked_answer(app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text)

    listed = http.get("/admin/blocklist?lang=en").text
    assert listed.count('data-testid="block-row"') == 1 and "threats to staff" in listed
    assert "A number typed in (hidden)" in listed and "5678" not in listed
    entry_id = listed.split('data-testid="block-row" data-entry="')[1].split('"')[0]

    remove = f"/admin/blocklist/{entry_id}/remove"
    asked = http.post(remove, data={"csrf_token": token})
    assert asked.status_code == 200 and 'data-testid="confirm-form"' in asked.text
    assert "put through to a counselor" in asked.text
    assert "<Gather" not in app_only.webhook("/twilio/voice/incoming", inbound(sid(2))).text
    done = http.post(remove, data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 303
    assert "<Gather" in app_only.webhook("/twilio/voice/incoming", inbound(sid(3))).text
    assert http.post(remove, data={"csrf_token": token, "confirm": "1"}).status_code == 404

    audited = _audit(app_only, "blocklist")
    assert [(e.username, (e.detail or "").split(":")[0]) for e in audited] == [
        ("wang", "blocked permanent (admin page)"),
        ("wang", "unblocked (admin page)"),
    ]
    assert '"removed":true' in (audited[1].detail or "")
    assert all(
        "5678" not in (e.detail or "") and "threats" not in (e.detail or "") for e in audited
    )


def test_the_subject_access_export_downloads_and_is_audited_with_the_reason(
    app_only: Stack,
) -> None:
    line = make_line(app_only.db)
    counselor = make_user(app_only.db, "counselor")
    now = app_only.clock.now()
    for _ in range(2):
        make_record(
            app_only.db, line=line, counselor=counselor, caller=CALLER, created_at=now, ended_at=now
        )
    make_record(
        app_only.db,
        line=line,
        counselor=counselor,
        caller="+8613999998888",
        created_at=now,
        ended_at=now,
    )
    http, token = _signed_in(app_only, "root", Role.admin)
    form = http.get("/admin/subject-access?lang=en")
    assert form.status_code == 200 and 'data-testid="access-form"' in form.text

    def post(number: str, reason: str) -> httpx.Response:
        return http.post(
            "/admin/subject-access", data={"number": number, "reason": reason, "csrf_token": token}
        )

    bad = post("12", "")
    assert bad.status_code == 422
    assert 'data-testid="error-number"' in bad.text and 'data-testid="error-reason"' in bad.text
    leaky = post("13811112222", "request from 138-1111-2222")
    assert leaky.status_code == 422 and "Leave the number out" in leaky.text
    withheld = post("+266696687", "SAR-2026-014")
    assert withheld.status_code == 422 and 'data-testid="error-number"' in withheld.text
    assert _audit(app_only, "subject_access") == []

    got = post("138 1111 2222", "SAR-2026-014")
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith('attachment; filename="subject-access-')
    assert got.headers["cache-control"] == "no-store"
    export = json.loads(got.text)
    assert export["count"] == {"calls": 2, "blocklist": 0}

    (entry,) = _audit(app_only, "subject_access")
    assert entry.action == AuditAction.export and entry.username == "root"
    assert entry.detail == "calls=2 blocklist=0 (admin page) reason: SAR-2026-014"
    with app_only.db.session() as session:
        everything = " ".join(str(e.model_dump()) for e in session.exec(select(AuditEvent)))
    assert "11112222" not in everything and "1111 2222" not in everything
