"""What a caller hears is the line's: its greeting, danger key and prompt, hold prompt, consent
prompt, uploaded recordings, queue announcements and the callback overflow, as TwiML answered
to signed webhooks (the real twilio library signs and builds them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import PRIORITY_IN_DANGER, Call, CallState
from hotline.lines import prompts as rules
from hotline.lines.models import Line
from hotline.lines.prompts import Upload
from hotline.voicemail import service as voicemails
from hotline.voicemail.models import Voicemail
from tests.calls import inbound
from tests.factories import make_line, make_user
from tests.lines.audio import wav
from tests.stack import Stack


def sid(n: int) -> str:
    return f"CA{n:032d}"


def call_in(stack: Stack, n: int, digits: str, caller: str = "+8613812345678") -> str:
    """A caller rings and presses `digits` at the menu; the TwiML of the key press."""
    params = inbound(sid(n), caller=caller)
    assert stack.webhook("/twilio/voice/incoming", params).status_code == 200
    answer = stack.webhook("/twilio/voice/gather", {**params, "Digits": digits})
    assert answer.status_code == 200
    return answer.text


def hold(stack: Stack, n: int, lang: str) -> str:
    answer = stack.webhook(f"/twilio/voice/hold?lang={lang}", inbound(sid(n)))
    assert answer.status_code == 200
    return answer.text


def the_call(stack: Stack, n: int) -> Call:
    with stack.db.session() as session:
        call = session.exec(select(Call).where(Call.call_sid == sid(n))).one()
        session.expunge(call)
        return call


def change_line(stack: Stack, line_id: int | None, **fields: Any) -> None:
    with stack.db.session() as session:
        line = session.get(Line, line_id)
        assert line is not None
        for name, value in fields.items():
            setattr(line, name, value)
        session.add(line)


def test_the_lines_greeting_danger_prompt_and_key(app_only: Stack) -> None:
    make_line(
        app_only.db,
        greetings={"zh_CN": "您好，这里是西湖心理热线。"},
        danger_key="0",
        danger_prompts={"zh_CN": "如果您现在有危险，请按零。"},
    )
    welcome = app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text
    assert "您好，这里是西湖心理热线。" in welcome and "如果您现在有危险，请按零。" in welcome
    assert "按9" not in welcome
    app_only.webhook("/twilio/voice/gather", {**inbound(sid(1)), "Digits": "0"})
    in_danger = the_call(app_only, 1)
    assert in_danger.in_danger and in_danger.priority == PRIORITY_IN_DANGER
    # The old key is no longer the danger key on this line.
    call_in(app_only, 2, "9")
    assert not the_call(app_only, 2).in_danger


def _heard(twiml: str) -> list[tuple[str, str | None, str]]:
    """(tag, language, text) of each prompt of the welcome menu, in order."""
    from xml.etree import ElementTree

    gather = ElementTree.fromstring(twiml).find("Gather")  # noqa: S314 - our own answer
    assert gather is not None
    return [(e.tag, e.get("language"), (e.text or "").strip()) for e in gather]


def test_the_caller_hears_the_greeting_in_each_of_the_lines_languages(app_only: Stack) -> None:
    make_line(
        app_only.db,
        languages=["en", "zh_CN"],
        greetings={
            "zh_CN": "您好，这里是西湖心理热线。",
            "en": "Hello, this is the West Lake line.",
        },
        danger_prompts={"en": "In danger now? Press 9."},
    )
    heard = _heard(app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text)
    # Each language in the line's order, with its own voice: greeting, then the danger key.
    assert heard[:4] == [
        ("Say", "en-US", "Hello, this is the West Lake line."),
        ("Say", "en-US", "In danger now? Press 9."),
        ("Say", "cmn-CN", "您好，这里是西湖心理热线。"),
        ("Say", "cmn-CN", "如果您现在有危险，请按9。"),
    ]
    # Then the language choice, each in its own language.
    assert [lang for _tag, lang, _text in heard[4:]] == ["en-US", "cmn-CN"]


def test_a_second_language_without_a_greeting_hears_the_default_one(app_only: Stack) -> None:
    make_line(app_only.db, greetings={"zh_CN": "您好，这里是西湖心理热线。"})
    heard = _heard(app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text)
    greetings = [(lang, text) for _tag, lang, text in heard if "热线" in text or "Welcome" in text]
    assert greetings == [
        ("cmn-CN", "您好，这里是西湖心理热线。"),
        ("en-US", "Welcome to the Line +8657796525. You are not alone; we are here to listen."),
    ]


def test_default_danger_prompt_says_the_lines_key(app_only: Stack) -> None:
    make_line(app_only.db, languages=["en"], danger_key="5")
    welcome = app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text
    assert "If you are in danger right now, press 5." in welcome


def test_hold_prompt_per_language_and_consent_before_a_recorded_call(app_only: Stack) -> None:
    line = make_line(
        app_only.db,
        recording=True,
        hold_prompts={
            "zh_CN": "请稍候，咨询员马上就来。",
            "en": "Please hold, a counselor is coming.",
        },
        consent_prompts={"en": "We record this call; tell us if you do not agree."},
    )
    queued = call_in(app_only, 1, "2")  # English
    assert "We record this call; tell us if you do not agree." in queued
    assert queued.index("We record this call") < queued.index("<Dial")
    assert 'record="record-from-start"' in queued
    assert "Please hold, a counselor is coming." in hold(app_only, 1, "en")
    assert "请稍候，咨询员马上就来。" in hold(app_only, 1, "zh_CN")
    # The default consent in the caller's language where the line has none of its own.
    assert "本次通话将被录音" in call_in(app_only, 2, "1")

    change_line(app_only, line.id, recording=False)
    unrecorded = call_in(app_only, 3, "2")
    assert "We record this call" not in unrecorded and "record-from-start" not in unrecorded


def test_uploaded_recordings_are_played_and_served_by_an_unguessable_address(
    app_only: Stack,
) -> None:
    line = make_line(app_only.db)
    admin = make_user(app_only.db, "root", role=Role.admin)
    greeting, music = wav(0.2), wav(0.5)
    with app_only.db.session() as session:
        stored = session.get(Line, line.id)
        assert stored is not None
        form = rules.form_of(stored)
        rules.save(
            session=session,
            line=stored,
            form=form,
            uploads=[Upload("audio-greeting-zh_CN", greeting), Upload("music_file", music)],
            actor=admin,
            now=app_only.clock.now(),
        )
        found = rules.recordings(session=session, line_id=line.id or 0)
        tokens = {key: row.token for key, row in found.items()}
    assert set(tokens) == {("greeting", "zh_CN"), ("music", "")}
    assert all(len(token) >= 40 for token in tokens.values())

    welcome = app_only.webhook("/twilio/voice/incoming", inbound(sid(1))).text
    greeting_url = f"/twilio/prompts/{tokens[('greeting', 'zh_CN')]}"
    assert f"<Play>{greeting_url}" in welcome or greeting_url + "</Play>" in welcome
    # The Mandarin greeting is the recording; English has none, so its greeting is said.
    assert "您并不孤单" not in welcome and "You are not alone" in welcome
    call_in(app_only, 2, "1")
    music_url = f"/twilio/prompts/{tokens[('music', '')]}"
    assert music_url + "</Play>" in hold(app_only, 2, "zh_CN")

    served = httpx.get(app_only.url + greeting_url, timeout=10)
    assert served.status_code == 200 and served.content == greeting
    assert served.headers["content-type"] == "audio/wav"
    assert httpx.get(app_only.url + "/twilio/prompts/not-a-token", timeout=10).status_code == 404


def test_waiting_callers_hear_their_place_and_the_expected_wait(app_only: Stack) -> None:
    line = make_line(app_only.db, announce_position=True, announce_every_s=45)
    call_in(app_only, 1, "2")
    app_only.clock.advance(5)
    call_in(app_only, 2, "2", caller="+8613900000002")
    first, second = hold(app_only, 1, "en"), hold(app_only, 2, "en")
    assert "You are number 1 in the queue." in first
    assert "You are number 2 in the queue." in second
    assert 'Pause length="45"' in first
    # Nothing is said about the wait while no call was answered in the last hour.
    assert "expected wait" not in first

    # A caller in danger goes ahead of both, as routing offers them.
    app_only.clock.advance(5)
    call_in(app_only, 3, "9", caller="+8613900000003")
    assert "You are number 1 in the queue." in hold(app_only, 3, "en")
    assert "You are number 2 in the queue." in hold(app_only, 1, "en")
    assert "You are number 3 in the queue." in hold(app_only, 2, "en")

    # Three calls answered in the last hour after 2, 4 and 9 minutes: the median is 4.
    now = app_only.clock.now()
    with app_only.db.session() as session:
        for n, minutes in enumerate((2, 4, 9), start=10):
            session.add(
                Call(
                    call_sid=sid(n),
                    line_id=line.id or 0,
                    caller_hash=f"h{n}",
                    state=CallState.completed,
                    created_at=now - timedelta(minutes=30),
                    queued_at=now - timedelta(minutes=30),
                    connected_at=now - timedelta(minutes=30 - minutes),
                )
            )
    assert "The expected wait is about 4 minutes." in hold(app_only, 1, "en")
    assert "预计等待时间约为4分钟" in hold(app_only, 1, "zh_CN")

    change_line(app_only, line.id, announce_position=False)
    assert "in the queue" not in hold(app_only, 1, "en")


def test_the_callback_key_files_a_request_that_keeps_the_callers_priority(
    app_only: Stack,
) -> None:
    make_line(app_only.db, overflow_action="callback", max_queue_wait_s=30)
    calm, in_danger = "+8613900000011", "+8613900000012"
    call_in(app_only, 1, "2", caller=calm)
    app_only.clock.advance(5)
    call_in(app_only, 2, "9", caller=in_danger)
    offer = app_only.webhook("/twilio/voice/overflow", inbound(sid(1), caller=calm)).text
    assert "<Gather" in offer and "/twilio/voice/callback" in offer and "press 1" in offer

    for n, caller in ((1, calm), (2, in_danger)):
        app_only.clock.advance(5)
        params = {**inbound(sid(n), caller=caller), "Digits": "1"}
        answer = app_only.webhook("/twilio/voice/callback", params).text
        assert "<Hangup" in answer and "<Record" not in answer
    with app_only.db.session() as session:
        rows, total = voicemails.search(session=session, flt=voicemails.VoicemailFilter())
        numbers = [voicemails.callback_number(session=session, voicemail_id=r["id"]) for r in rows]
        stored = [row[0] for row in session.execute(text("SELECT callback_number FROM voicemails"))]
    assert total == 2
    # The caller in danger first, although they asked later; each with their own number.
    assert [r["in_danger"] for r in rows] == [True, False]
    assert all(r["callback_request"] for r in rows)
    assert numbers == [in_danger, calm]
    assert all(calm not in value and in_danger not in value for value in stored)

    # No key (or a withheld number): a message instead, and no request.
    call_in(app_only, 3, "2", caller="+8613900000013")
    silent = app_only.webhook("/twilio/voice/callback", {**inbound(sid(3)), "Digits": ""}).text
    call_in(app_only, 4, "2", caller="anonymous")
    withheld = {**inbound(sid(4), caller="anonymous"), "Digits": "1"}
    hidden = app_only.webhook("/twilio/voice/callback", withheld).text
    assert "<Record" in silent and "<Record" in hidden
    with app_only.db.session() as session:
        assert len(session.exec(select(Voicemail)).all()) == 2


def test_the_lines_own_callback_key_is_offered_and_heard(app_only: Stack) -> None:
    make_line(app_only.db, overflow_action="callback", max_queue_wait_s=30, callback_key="5")
    caller = "+8613900000021"
    call_in(app_only, 1, "2", caller=caller)
    offer = app_only.webhook("/twilio/voice/overflow", inbound(sid(1), caller=caller)).text
    assert "press 5" in offer and "press 1" not in offer
    # 1 is no longer the callback key on this line: a message instead.
    one = app_only.webhook(
        "/twilio/voice/callback", {**inbound(sid(1), caller=caller), "Digits": "1"}
    )
    assert "<Record" in one.text
    call_in(app_only, 2, "2", caller=caller)
    five = app_only.webhook(
        "/twilio/voice/callback", {**inbound(sid(2), caller=caller), "Digits": "5"}
    )
    assert "<Hangup" in five.text and "<Record" not in five.text
    with app_only.db.session() as session:
        rows, total = voicemails.search(session=session, flt=voicemails.VoicemailFilter())
    assert total == 1 and rows[0]["callback_request"]
