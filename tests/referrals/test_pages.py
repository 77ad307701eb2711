"""Referrals over real HTTP: moved from a follow-up's page and from the call's review (audited;
a move outside the table is a 409 page saying why, nothing changed); a green-channel referral of
a high-risk caller sent by SMS through the real `twilio` library to the simulator, with only the
text the caller agreed to share, then overdue on the supervisors' page until confirmed."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.referrals.models import ReferralStatus
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.referrals.drive import (
    SERVICE_PHONE,
    follow_up_of,
    referrals_of,
    referred_call,
    resource,
)
from tests.security.helpers import client, post_login
from tests.stack import Stack, running_stack

H = timedelta(hours=1)


def _signed_in(stack: Stack, username: str) -> httpx.Client:
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http


def _audits(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == "referral")
            .order_by(col(AuditEvent.id))
        ).all()
        return [row.detail or "" for row in rows]


def test_a_referral_moves_to_attended_from_follow_ups_and_the_review(quiet_app: Stack) -> None:
    stack = quiet_app
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor)
    call_id = referred_call(
        stack.db, line, alice, stack.clock.now() - 2 * H, [resource(stack.db, "City Hospital")]
    )
    (referral,) = referrals_of(stack.db, call_id)
    follow_up = follow_up_of(stack.db, call_id)
    http = _signed_in(stack, "alice")
    page_url = f"/console/followups/{follow_up.id}?lang=en"
    page = http.get(page_url).text
    assert 'data-testid="referral"' in page and "City Hospital" in page
    token = csrf_from(page)
    action = f"/console/followups/{follow_up.id}/referrals/{referral.id}/status"
    for status in ("accepted", "contacted", "appointment_made"):
        moved = http.post(action, data={"csrf_token": token, "status": status})
        assert moved.status_code == 303, moved.text
    # A jump back is refused with the reason on the page, nothing changed.
    refused = http.post(action, data={"csrf_token": token, "status": "suggested"})
    assert refused.status_code == 409
    assert "cannot move to that status" in refused.text
    bad = http.post(action, data={"csrf_token": token, "status": "lost"})
    assert bad.status_code == 422 and "Unknown status." in bad.text
    assert referrals_of(stack.db, call_id)[0].status == ReferralStatus.appointment_made

    # The outcome learnt later, recorded from the call's review by a supervisor.
    sam = _signed_in(stack, "sam")
    review = sam.get(f"/supervisor/calls/{call_id}?lang=en").text
    assert 'data-testid="review-referrals"' in review
    done = sam.post(
        f"/supervisor/calls/{call_id}/referrals/{referral.id}/status",
        data={"csrf_token": csrf_from(review), "status": "attended"},
    )
    assert done.status_code == 303
    assert referrals_of(stack.db, call_id)[0].status == ReferralStatus.attended
    assert _audits(stack) == [
        "status suggested -> accepted",
        "status accepted -> contacted",
        "status contacted -> appointment_made",
        "status appointment_made -> attended",
    ]
    # Not a counselor's route on the review side.
    assert (
        http.post(
            f"/supervisor/calls/{call_id}/referrals/{referral.id}/status",
            data={"csrf_token": token, "status": "attended"},
        ).status_code
        == 403
    )


def test_a_green_channel_referral_reaches_the_service_and_is_tracked(database_url: str) -> None:
    # The simulator without the background engine: the call is routed by hand here, so no
    # timer may take its offer first.
    with running_stack(database_url, run_engine=False) as stack:
        _green_channel(stack)


def _green_channel(stack: Stack) -> None:
    line = make_line(stack.db)
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor)
    green = resource(stack.db, "Psychiatric ER", "hospital", green=True, phone=SERVICE_PHONE)
    plain = resource(stack.db, "School office", "school_counselor", phone="+8657100001111")
    call_id = referred_call(
        stack.db, line, alice, stack.clock.now() - H, [green, plain], level="high"
    )
    green_ref, plain_ref = referrals_of(stack.db, call_id)
    follow_up = follow_up_of(stack.db, call_id)
    http = _signed_in(stack, "alice")
    page = http.get(f"/console/followups/{follow_up.id}?lang=en").text
    assert page.count('data-testid="green-form"') == 1  # only the green-channel service
    token = csrf_from(page)
    base = f"/console/followups/{follow_up.id}/referrals"
    shared = "Wang, 34, plan with pills tonight; agrees to come to the ER with her sister."

    no_consent = http.post(
        f"{base}/{green_ref.id}/green-channel", data={"csrf_token": token, "share": shared}
    )
    assert no_consent.status_code == 422
    assert "The caller must agree" in no_consent.text
    not_green = http.post(
        f"{base}/{plain_ref.id}/green-channel",
        data={"csrf_token": token, "share": shared, "consent": "1"},
    )
    assert not_green.status_code == 409

    sent = http.post(
        f"{base}/{green_ref.id}/green-channel",
        data={"csrf_token": token, "share": shared, "consent": "1"},
    )
    assert sent.status_code == 303, sent.text
    sim = stack.simulator
    bodies = sim.wait_for(
        lambda: [m["body"] for m in sim.list_messages() if m["to"] == SERVICE_PHONE] or None
    )
    assert len(bodies) == 1 and shared in bodies[0]
    assert not any(m["to"] == "+8657100001111" for m in sim.list_messages())
    again = http.post(
        f"{base}/{green_ref.id}/green-channel",
        data={"csrf_token": token, "share": shared, "consent": "1"},
    )
    assert again.status_code == 409  # sent once

    stored = referrals_of(stack.db, call_id)[0]
    assert stored.green_text == shared and stored.green_confirmed_at is None
    with stack.db.session() as session:
        raw = (
            session.connection()
            .exec_driver_sql(f"SELECT green_text FROM referrals WHERE id = {green_ref.id}")
            .scalar_one()
        )
    assert shared not in raw  # encrypted at rest

    sam = _signed_in(stack, "sam")
    assert 'data-testid="green-overdue"' not in sam.get("/supervisor/followups?lang=en").text
    stack.clock.advance(5 * 3600)  # past the 4 hours the service has to confirm
    sam, http = _signed_in(stack, "sam"), _signed_in(stack, "alice")  # sessions idle out
    token = csrf_from(http.get(f"/console/followups/{follow_up.id}?lang=en").text)
    overdue = sam.get("/supervisor/followups?lang=en").text
    assert 'data-testid="green-overdue-row"' in overdue and "Psychiatric ER" in overdue
    assert shared not in overdue

    confirmed = http.post(f"{base}/{green_ref.id}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 303
    assert referrals_of(stack.db, call_id)[0].green_confirmed_at == stack.clock.now()
    assert 'data-testid="green-overdue"' not in sam.get("/supervisor/followups?lang=en").text
    assert _audits(stack) == [
        "green channel sent (with the caller's consent)",
        "green channel: unconfirmed -> confirmed by the service",
    ]
