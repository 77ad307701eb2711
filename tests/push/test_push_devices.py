"""A person's devices over real HTTP: subscribe (the JSON route push.js posts to), list, remove
on the page (audited, before and after), someone else's device not found; the service worker
served at the root as JavaScript under the strict CSP."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.push.models import PushSubscription
from hotline.simulator.console_client import csrf_from
from tests.factories import make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

P256DH = "B" + "A" * 86  # 65 bytes, base64url
SUBSCRIPTION: dict[str, Any] = {
    "endpoint": "https://push.example.org/send/abc",
    "expirationTime": None,
    "keys": {"p256dh": P256DH, "auth": "A" * 22},
}


def test_subscribe_list_and_remove_devices(app_only: Stack) -> None:
    zhao_id = make_user(app_only.db, "zhao", role=Role.crisis).id
    make_user(app_only.db, "li", role=Role.crisis)
    zhao = NoteClient(app_only, "zhao")
    assert zhao.get("/api/push/config").json() == {"configured": False, "public_key": ""}
    bad = zhao.post("/api/push/devices", {**SUBSCRIPTION, "keys": {"p256dh": "x", "auth": "y"}})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_subscription"
    made = zhao.post("/api/push/devices", {**SUBSCRIPTION, "label": "Chrome · Android"})
    assert made.status_code == 200, made.text
    device_id = made.json()["id"]
    listed = zhao.get("/api/push/devices").json()
    assert [d["label"] for d in listed] == ["Chrome · Android"]
    assert "p256dh" not in str(listed) and "endpoint" not in str(listed)  # keys never go back
    with app_only.db.session() as session:
        row = session.exec(select(PushSubscription)).one()
        assert row.p256dh == P256DH  # decrypted on read
        raw = session.connection().exec_driver_sql("SELECT p256dh, auth FROM push_subscriptions")
        stored = raw.one()
        assert stored[0].startswith("v1:") and stored[1].startswith("v1:")  # encrypted at rest

    page = zhao.get("/console/devices?lang=en").text
    assert "Chrome · Android" in page and 'data-testid="push-not-configured"' in page
    li = NoteClient(app_only, "li")
    assert (
        li.http.delete(
            f"/api/push/devices/{device_id}", headers={"X-CSRF-Token": li.token}
        ).status_code
        == 404
    )  # not theirs
    token = csrf_from(page)
    removed = zhao.http.post(f"/console/devices/{device_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert removed.headers["location"] == "/console/devices?done=removed"
    assert zhao.get("/api/push/devices").json() == []
    with app_only.db.session() as session:
        details = [
            e.detail
            for e in session.exec(
                select(AuditEvent)
                .where(AuditEvent.object_type == "push_device")
                .order_by(col(AuditEvent.id))
            )
        ]
    assert details == [
        f"subscribed: before=none after=user={zhao_id}",
        "removed: before=subscribed after=none",
    ]


def test_the_service_worker_is_served_at_the_root(app_only: Stack) -> None:
    """No sign-in needed: the worker is public code, and its scope must cover /console."""
    answer = httpx.get(app_only.url + "/push-sw.js", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert 'addEventListener("push"' in answer.text and "notificationclick" in answer.text
