"""Web push as a paging channel, over the wire: the app's real pywebpush requests reach the
simulator's push service (VAPID checked, the aes128gcm payload decrypted with the device's
keys), and the notification's acknowledge action acknowledges the escalation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from hotline.auth.models import Role
from hotline.escalation.models import (
    Escalation,
    EscalationLog,
    EscalationPolicy,
    EscalationStatus,
    Page,
    PageStatus,
)
from hotline.lines.models import Line
from hotline.push.models import PushSubscription
from hotline.push.vapid import generate_pair
from tests.calls import connected_call
from tests.factories import make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack, running_stack

CALLER = "+8613800000042"
PRIVATE, PUBLIC = generate_pair()


@pytest.fixture
def push_stack(database_url: str) -> Iterator[Stack]:
    with running_stack(
        database_url,
        vapid_private_key=PRIVATE,
        vapid_public_key=PUBLIC,
        vapid_subject="mailto:ops@hotline.test",
    ) as stack:
        yield stack


def push_policy_line(stack: Stack) -> int:
    """A line whose policy pages the crisis on-call by push only; returns the worker's id."""
    make_line(stack.db)
    worker = make_user(stack.db, "crisis1", role=Role.crisis, endpoint="+8613900007777")
    make_rota(stack.db, "crisis", [worker])
    with stack.db.session() as session:
        policy = EscalationPolicy(
            name="push only",
            repeat=1,
            steps=[
                {"targets": [{"kind": "crisis_on_call"}], "channels": ["push"], "wait_minutes": 5}
            ],
        )
        session.add(policy)
        session.flush()
        line = session.exec(select(Line)).one()
        line.escalation_policy_id = policy.id
    stack.dispatcher.sync_numbers()
    assert worker.id is not None
    return worker.id


def allow_device(stack: Stack, username: str) -> dict[str, Any]:
    """A simulated browser subscribes and its subscription is posted as push.js posts it."""
    device: dict[str, Any] = stack.simulator.push_device()
    client = NoteClient(stack, username)
    answer = client.post("/api/push/devices", {**device["subscription"], "label": "Sim browser"})
    assert answer.status_code == 200, answer.text
    return device


def escalate(stack: Stack) -> int:
    call_id, _user_id = connected_call(stack, "CA" + "7" * 32, "alice", caller=CALLER)
    answer = NoteClient(stack, "alice").post(
        f"/api/calls/{call_id}/escalate", {"reason": "Has pills at hand"}
    )
    assert answer.status_code == 200, answer.text
    escalation_id: int = answer.json()["id"]
    return escalation_id


def status_of(stack: Stack, escalation_id: int) -> EscalationStatus:
    with stack.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        return escalation.status


def log_of(stack: Stack, escalation_id: int) -> list[tuple[str, str | None, str | None]]:
    with stack.db.session() as session:
        return [
            (e.kind, e.channel, e.detail)
            for e in session.exec(
                select(EscalationLog)
                .where(EscalationLog.escalation_id == escalation_id)
                .order_by(EscalationLog.id)  # type: ignore[arg-type]
            )
        ]


def pushed(stack: Stack, count: int = 1) -> list[dict[str, Any]]:
    stack.simulator.wait_for(lambda: len(stack.simulator.push_messages()) >= count)
    messages: list[dict[str, Any]] = stack.simulator.push_messages()
    return messages


def test_a_push_page_reaches_the_device_and_its_action_acknowledges(push_stack: Stack) -> None:
    stack = push_stack
    push_policy_line(stack)
    allow_device(stack, "crisis1")
    escalation_id = escalate(stack)
    stack.dispatcher.tick()
    message = pushed(stack)[0]
    payload = message["payload"]
    # What a lock screen may show: that there is a page, nothing of the caller.
    assert payload["body"] in (
        "Hotline: crisis page — open the console",
        "热线：危机呼叫——请打开控制台",
    )
    flat = str(payload)
    assert CALLER not in flat and "pills" not in flat and "Has" not in flat
    assert message["vapid_subject"] == "mailto:ops@hotline.test"
    assert message["vapid_key"] == PUBLIC
    assert message["urgency"] == "high"
    assert status_of(stack, escalation_id) == EscalationStatus.paging

    clicked = stack.simulator.push_click(message["id"], "ack")
    assert clicked["status"] == 200, clicked
    assert clicked["body"] == {"kind": "escalation", "id": escalation_id, "acknowledged": True}
    assert status_of(stack, escalation_id) == EscalationStatus.acknowledged
    kinds = log_of(stack, escalation_id)
    assert ("acknowledged", "push", None) in kinds
    assert any(k == "page_sent" and c == "push" for k, c, _d in kinds)
    with stack.db.session() as session:
        device = session.exec(select(PushSubscription)).one()
        assert device.last_success_at is not None

    # Single use: the same action again is refused, and changes nothing.
    again = stack.simulator.push_click(message["id"], "ack")
    assert again["status"] == 409
    assert again["body"]["code"] == "used_token"


def test_an_expired_or_forged_token_is_refused(push_stack: Stack) -> None:
    stack = push_stack
    push_policy_line(stack)
    allow_device(stack, "crisis1")
    escalation_id = escalate(stack)
    stack.dispatcher.tick()
    message = pushed(stack)[0]
    token: str = message["payload"]["token"]
    ack_url: str = message["payload"]["ack_url"]

    page_id, user_id, expires, nonce, signature = token.split(".")
    forged = [
        f"{page_id}.{user_id}.{int(expires) + 3600}.{nonce}.{signature}",  # stretched
        f"{page_id}.{int(user_id) + 1}.{expires}.{nonce}.{signature}",  # someone else
        f"{page_id}.{user_id}.{expires}.{nonce}.{'A' * len(signature)}",  # made up
        "not a token",
    ]
    for bad in forged:
        answer = httpx.post(ack_url, json={"token": bad}, timeout=10)
        assert answer.status_code == 403, (bad, answer.text)
        assert answer.json()["code"] == "bad_token"
    assert status_of(stack, escalation_id) == EscalationStatus.paging

    stack.clock.advance(stack.settings.push_ack_ttl_s + 1)
    stack.dispatcher.tick()  # the steps' timers, at the new time (not left to the scheduler)
    expired = stack.simulator.push_click(message["id"], "ack")
    assert expired["status"] == 403
    assert expired["body"]["code"] == "expired_token"
    # Meanwhile the policy ran out and the supervisors were alarmed; nobody acknowledged.
    assert status_of(stack, escalation_id) == EscalationStatus.unacknowledged


def test_a_gone_endpoint_is_removed_and_the_failure_recorded(push_stack: Stack) -> None:
    stack = push_stack
    push_policy_line(stack)
    device = allow_device(stack, "crisis1")
    stack.simulator.push_device_gone(device["id"])
    escalation_id = escalate(stack)

    def page() -> Page:
        with stack.db.session() as session:
            found = session.exec(select(Page).where(Page.escalation_id == escalation_id)).one()
            session.expunge(found)
            return found

    def settled(attempts: int) -> bool:
        current = page()
        return current.attempts >= attempts and current.status != PageStatus.sending

    for attempt in (1, 2, 3):  # retried, then failed: never silently lost
        stack.dispatcher.tick()
        stack.simulator.wait_for(lambda attempt=attempt: settled(attempt))
    assert stack.simulator.push_refused()[0]["status"] == 410
    with stack.db.session() as session:
        assert session.exec(select(PushSubscription)).all() == []  # the gone device is removed
    failed = page()
    assert failed.status == PageStatus.failed
    assert failed.error is not None and "no_device" in failed.error
    kinds = [(k, c) for k, c, _d in log_of(stack, escalation_id)]
    assert ("page_retry", "push") in kinds and ("page_failed", "push") in kinds
    assert status_of(stack, escalation_id) == EscalationStatus.paging  # the steps go on
