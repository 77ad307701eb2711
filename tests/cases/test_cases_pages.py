"""The case pages over real HTTP: the supervisors' list filtered by tier and status, a case's
page, and closing it from the page only with a reason (422 with the error next to the field)."""

from __future__ import annotations

from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.calls.models import Channel
from hotline.cases.models import Case
from hotline.conversations import service as conversations
from hotline.lines.models import Line
from hotline.privacy import caller_hash
from hotline.simulator.console_client import csrf_from
from tests.factories import make_user
from tests.notes.test_api import NoteClient, start
from tests.retention.records import SECRET
from tests.stack import Stack


def test_the_list_the_page_and_closing_with_a_reason(app_only: Stack) -> None:
    call_id, alice = start(app_only, "CA" + "1" * 32, "alice", "+8613700000077")
    alice.put(call_id, 1, crisis_level="imminent")
    with app_only.db.session() as session:
        case = session.exec(select(Case)).one()
    make_user(app_only.db, "sup", role=Role.supervisor)
    sup = NoteClient(app_only, "sup")
    listed = sup.get("/supervisor/cases?tier=red&status=open")
    assert listed.status_code == 200 and f'data-id="{case.id}"' in listed.text
    assert 'data-testid="no-results"' in sup.get("/supervisor/cases?tier=green").text
    assert sup.get("/supervisor/cases?tier=purple").status_code == 400  # a bad filter
    # Alice's counselor role does not reach the list, only her live caller's case.
    assert alice.get("/supervisor/cases").status_code == 403
    assert alice.get(f"/cases/{case.id}").status_code == 200

    page = sup.get(f"/cases/{case.id}")
    assert page.status_code == 200 and 'data-testid="close-form"' in page.text
    token = csrf_from(page.text)
    blank = sup.http.post(f"/cases/{case.id}/close", data={"csrf_token": token, "reason": " "})
    assert blank.status_code == 422
    assert 'data-testid="error-reason"' in blank.text and 'aria-invalid="true"' in blank.text
    with app_only.db.session() as session:
        assert session.get(Case, case.id).status == "open"  # type: ignore[union-attr]
    closed = sup.http.post(
        f"/cases/{case.id}/close",
        data={"csrf_token": token, "reason": "Linked with the community team"},
    )
    assert closed.status_code == 303
    shown = sup.get(f"/cases/{case.id}")
    assert "Linked with the community team" in shown.text
    with app_only.db.session() as session:
        edits = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "case", AuditEvent.action == "edit")
        ).all()
    details = [event.detail for event in edits]
    assert "status open->closed" in details
    assert all("community" not in (detail or "") for detail in details)  # never the text


def test_the_case_lists_the_callers_contacts_on_every_channel(app_only: Stack) -> None:
    number = "+8613700000078"
    call_id, alice = start(app_only, "CA" + "2" * 32, "alice", number)
    alice.put(call_id, 1, crisis_level="high")
    # The same person texts the line from the same number: one case, two channels.
    with app_only.db.session() as session:
        line = session.exec(select(Line)).first()
        assert line is not None
        text = conversations.begin(
            session=session,
            line=line,
            channel=Channel.sms,
            sender_hash=caller_hash(SECRET, number),
            body="还是睡不着",
            now=app_only.clock.now(),
            max_wait_s=600,
        )
        case = session.exec(select(Case)).one()
    make_user(app_only.db, "sup", role=Role.supervisor)
    sup = NoteClient(app_only, "sup")
    page = sup.get(f"/cases/{case.id}").text
    shown = {
        int(item.split('data-id="')[1].split('"')[0]): item.split('data-testid="contact-channel">')[
            1
        ].split("<")[0]
        for item in page.split('data-testid="case-contact"')[1:]
    }
    assert shown == {call_id: "Phone call", text.id: "SMS"}
    assert "还是睡不着" not in page  # the list names contacts, not their words
    chinese = sup.get(f"/cases/{case.id}?lang=zh_CN").text
    assert 'data-testid="contact-channel">短信<' in chinese
    answer = sup.get(f"/api/cases/{case.id}")  # the JSON shape says the channel too
    assert [c["channel"] for c in answer.json()["contacts"]] == ["voice", "sms"]
