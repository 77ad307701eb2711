"""Phone verification on the People page, over real HTTP with the Twilio simulator: a code sent
by SMS or by a call (read back from what the simulator delivered), typed in by the admin; wrong,
late and too many codes refused next to the field; a new phone clears the verification."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import PhoneVerification, Role, User
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

PHONE = "+8613900007777"


def _admin(stack: Stack) -> tuple[httpx.Client, str]:
    make_user(stack.db, "root", role=Role.admin)
    http = client(stack)
    assert post_login(http, "root", PASSWORD).status_code == 303
    return http, csrf_from(http.get("/admin/users?lang=en").text)


def _fresh(stack: Stack, user_id: int | None) -> User:
    with stack.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
        return user


def _set(stack: Stack, user_id: int | None, **fields: str) -> None:
    with stack.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        for name, value in fields.items():
            setattr(user, name, value)
        session.add(user)


def _sent_code(stack: Stack, already: int = 0) -> str:
    """The code in the newest SMS the simulator delivered to PHONE (after `already` of them)."""
    sim = stack.simulator

    def arrived() -> list[str]:
        return [m["body"] for m in sim.list_messages() if m["to"] == PHONE]

    bodies = sim.wait_for(lambda: len(arrived()) > already and arrived())
    found = re.search(r"\b(\d{6})\b", bodies[0])  # the newest first
    assert found, bodies[0]
    return found.group(1)


def _details(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "user").order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        return [row.detail or "" for row in rows]


def test_a_code_by_sms_verifies_the_phone_and_a_new_phone_clears_it(stack: Stack) -> None:
    line = make_line(stack.db)
    http, token = _admin(stack)
    alice = make_user(stack.db, "alice", endpoint=PHONE)
    _set(stack, alice.id, locale="zh_CN")
    page = http.get(f"/admin/users/{alice.id}?lang=en").text
    assert "Not verified" in page and 'data-testid="btn-code-sms"' in page

    sent = http.post(
        f"/admin/users/{alice.id}/phone/send", data={"csrf_token": token, "channel": "sms"}
    )
    assert sent.status_code == 303
    code = _sent_code(stack)
    sms = next(m for m in stack.simulator.list_messages() if m["to"] == PHONE)
    assert sms["from"] == line.number
    assert "验证码" in sms["body"]  # in the person's language (zh_CN)
    with stack.db.session() as session:
        (row,) = session.exec(select(PhoneVerification)).all()
        assert code not in row.code_hash and row.phone == PHONE

    wrong = "000000" if code != "000000" else "111111"
    refused = http.post(
        f"/admin/users/{alice.id}/phone/verify", data={"csrf_token": token, "code": wrong}
    )
    assert refused.status_code == 422 and 'data-testid="error-code"' in refused.text
    assert "not the code that was sent" in refused.text
    assert _fresh(stack, alice.id).phone_verified_at is None
    with stack.db.session() as session:
        assert session.exec(select(PhoneVerification)).one().attempts == 1  # committed

    done = http.post(
        f"/admin/users/{alice.id}/phone/verify", data={"csrf_token": token, "code": code}
    )
    assert done.status_code == 303
    assert _fresh(stack, alice.id).phone_verified_at == stack.clock.now()
    assert "Verified on" in http.get(f"/admin/users/{alice.id}").text
    listed = http.get("/admin/users").text
    row_html = listed.split('data-username="alice"')[1].split("</tr>")[0]
    assert ">Verified<" in row_html
    again = http.post(
        f"/admin/users/{alice.id}/phone/verify", data={"csrf_token": token, "code": code}
    )
    assert again.status_code == 422  # a code is used once

    moved = http.post(
        f"/admin/users/{alice.id}",
        data={
            "csrf_token": token,
            "display_name": "Alice",
            "username": "alice",
            "role": "counselor",
            "locale": "zh_CN",
            "phone": "+8613900008888",
            "languages": ["zh_CN"],
        },
    )
    assert moved.status_code == 303
    assert _fresh(stack, alice.id).phone_verified_at is None
    details = _details(stack)
    assert details[0] == "phone verification code sent by sms (admin page)"
    assert details[1] == "phone verified (admin page)"
    assert '"phone_verified":true' in details[2] and '"phone_verified":false' in details[2]
    assert all(code not in d for d in details)


def test_a_code_by_call_is_spoken(stack: Stack) -> None:
    make_line(stack.db)
    http, token = _admin(stack)
    bob = make_user(stack.db, "bob", endpoint=PHONE)
    sent = http.post(
        f"/admin/users/{bob.id}/phone/send", data={"csrf_token": token, "channel": "voice"}
    )
    assert sent.status_code == 303
    sim = stack.simulator
    sid = sim.wait_for(lambda: sim.list_calls(to=PHONE))[0]["sid"]

    def spoken() -> list[str]:
        return [e["text"] for e in sim.get_call(sid)["transcript"] if e["kind"] == "say"]

    said = sim.wait_for(spoken)
    found = re.search(r"code is ((?:\d ){5}\d)", said[0])
    assert found, said
    code = found.group(1).replace(" ", "")
    done = http.post(
        f"/admin/users/{bob.id}/phone/verify", data={"csrf_token": token, "code": code}
    )
    assert done.status_code == 303
    assert _fresh(stack, bob.id).phone_verified_at is not None


def test_codes_expire_are_limited_and_need_a_phone(stack: Stack) -> None:
    make_line(stack.db)
    http, token = _admin(stack)
    carol = make_user(stack.db, "carol", endpoint=PHONE)
    nophone = make_user(stack.db, "dave")
    _set(stack, nophone.id, endpoint="client:dave")  # a browser phone cannot get a code

    def send(user_id: int | None) -> httpx.Response:
        return http.post(
            f"/admin/users/{user_id}/phone/send", data={"csrf_token": token, "channel": "sms"}
        )

    def verify(code: str) -> httpx.Response:
        return http.post(
            f"/admin/users/{carol.id}/phone/verify", data={"csrf_token": token, "code": code}
        )

    refused = send(nophone.id)
    assert refused.status_code == 409 and "Save a phone number" in refused.text
    bad = http.post(
        f"/admin/users/{carol.id}/phone/send", data={"csrf_token": token, "channel": "fax"}
    )
    assert bad.status_code == 422

    assert send(carol.id).status_code == 303
    first = _sent_code(stack)
    assert send(carol.id).status_code == 429  # within the minute
    stack.clock.advance(11 * 60)
    late = verify(first)
    assert late.status_code == 422 and "has expired" in late.text

    assert send(carol.id).status_code == 303
    second = _sent_code(stack, already=1)
    wrong = "000000" if second != "000000" else "111111"
    for _attempt in range(5):
        assert verify(wrong).status_code in (422, 429)
    locked = verify(second)
    assert locked.status_code == 429 and "Too many wrong codes" in locked.text
    assert _fresh(stack, carol.id).phone_verified_at is None

    for _send in range(3):  # five sent in the hour is the limit
        stack.clock.advance(61)
        assert send(carol.id).status_code == 303
    stack.clock.advance(61)
    assert send(carol.id).status_code == 429
    with stack.db.session() as session:
        assert len(session.exec(select(PhoneVerification)).all()) == 5
