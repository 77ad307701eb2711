"""A callback request (the "callback" overflow's key press) waits in the voicemail list; its
number is never on a page: the list offers "call back as the line" instead (hotline/dialback/)."""

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


def test_a_supervisor_sees_the_request_and_the_line_calls_back_without_the_number(
    quiet_app: Stack,
) -> None:
    app_only = quiet_app  # no engine: the call back stays asked for, not placed
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
    assert f'data-dialback-url="/api/dialbacks/voicemails/{voicemail_id}"' in listed
    # The page that showed the number is gone.
    token = csrf_from(listed)
    gone = boss.post(f"/supervisor/voicemails/{voicemail_id}/number", data={"csrf_token": token})
    assert gone.status_code in (404, 405) and CALLER not in gone.text
    with app_only.db.session() as session:
        details = [
            e.detail
            for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "voicemail"))
        ]
    assert "callback number shown" not in details

    # A counselor of the line may have the line call the person back; nobody sees the number.
    alice = client(app_only)
    assert post_login(alice, "alice", PASSWORD).status_code == 303
    token = csrf_from(alice.get("/console").text)
    asked = alice.post(
        f"/api/dialbacks/voicemails/{voicemail_id}", json={}, headers={"X-CSRF-Token": token}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["voicemail_id"] == int(voicemail_id) and CALLER not in asked.text
    again = alice.post(
        f"/api/dialbacks/voicemails/{voicemail_id}", json={}, headers={"X-CSRF-Token": token}
    )
    assert again.status_code == 409 and again.json()["code"] == "dialling"
