"""A callback request (the "callback" overflow's key press) waits in the voicemail list; its
number is never in the list, and is shown to a supervisor on its own page, each time audited."""

from __future__ import annotations

from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.simulator.console_client import csrf_from
from tests.calls import inbound
from tests.factories import PASSWORD, make_line, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

CALLER = "+8613900000077"


def test_a_supervisor_sees_the_request_and_the_number_on_its_own_audited_page(
    app_only: Stack,
) -> None:
    make_line(app_only.db, overflow_action="callback")
    params = inbound(caller=CALLER)
    app_only.webhook("/twilio/voice/incoming", params)
    app_only.webhook("/twilio/voice/gather", {**params, "Digits": "2"})
    app_only.webhook("/twilio/voice/callback", {**params, "Digits": "1"})
    make_user(app_only.db, "boss", role=Role.supervisor)
    make_user(app_only.db, "alice")

    boss = client(app_only)
    assert post_login(boss, "boss", PASSWORD).status_code == 303
    listed = boss.get("/supervisor/voicemails?lang=en").text
    assert 'data-testid="callback-request"' in listed and CALLER not in listed
    voicemail_id = listed.split('data-testid="voicemail-row" data-id="')[1].split('"')[0]
    shown = boss.post(
        f"/supervisor/voicemails/{voicemail_id}/number", data={"csrf_token": csrf_from(listed)}
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert f'data-testid="callback-number">{CALLER}<' in shown.text
    with app_only.db.session() as session:
        details = [
            e.detail
            for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "voicemail"))
        ]
    assert details == ["callback number shown"]

    alice = client(app_only)
    assert post_login(alice, "alice", PASSWORD).status_code == 303
    token = csrf_from(alice.get("/console").text)
    number_page = f"/supervisor/voicemails/{voicemail_id}/number"
    refused = alice.post(number_page, data={"csrf_token": token})
    assert refused.status_code == 403 and CALLER not in refused.text
