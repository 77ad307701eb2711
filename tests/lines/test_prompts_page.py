"""A line's prompts page (`/admin/lines/{id}/prompts`) over real HTTP: texts, recordings and
settings saved and audited with before and after, bad input shown next to its field with
nothing saved, the TwiML preview, and admins only."""

from __future__ import annotations

import json

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.lines import prompts as rules
from hotline.lines.models import Line
from hotline.lines.prompt_models import PromptAudio
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.lines.audio import MP3, wav
from tests.security.helpers import client, post_login
from tests.stack import Stack


def signed_in(stack: Stack, username: str, role: Role) -> httpx.Client:
    make_user(stack.db, username, role=role)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http


def page(line_id: int | None) -> str:
    return f"/admin/lines/{line_id}/prompts"


def form(http: httpx.Client, line_id: int | None, **fields: str) -> dict[str, str]:
    """What the page's form sends as it stands, with `fields` typed over it."""
    token = csrf_from(http.get(page(line_id) + "?lang=en").text)
    sent = {
        "csrf_token": token,
        "danger_key": "9",
        "callback_key": "1",
        "announce_every_s": "60",
        "hold_music_url": "",
    }
    return {**sent, **fields}


def line_of(stack: Stack, line_id: int | None) -> Line:
    with stack.db.session() as session:
        line = session.get(Line, line_id)
        assert line is not None
        session.expunge(line)
        return line


def audits(stack: Stack) -> list[AuditEvent]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "line_prompts")
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_an_admin_sets_the_prompts_and_recordings_and_it_is_audited(app_only: Stack) -> None:
    line = make_line(app_only.db)
    http = signed_in(app_only, "root", Role.admin)
    greeting = wav(0.2)
    sent = form(
        http,
        line.id,
        **{
            "hold-zh_CN": "请稍候。",
            "hold-en": "Please hold on.",
            "danger-en": "In danger? Press 0.",
            "consent-zh_CN": "本次通话会录音。",
            "danger_key": "0",
            "announce_position": "1",
            "announce_every_s": "90",
            "hold_music_url": "https://media.example.org/calm.mp3",
        },
    )
    saved = http.post(
        page(line.id),
        data=sent,
        files={
            "audio-greeting-en": ("hello.wav", greeting, "audio/wav"),
            "audio-hold-zh_CN": ("hold.mp3", MP3, "audio/mpeg"),
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    stored = line_of(app_only, line.id)
    assert stored.hold_prompts == {"zh_CN": "请稍候。", "en": "Please hold on."}
    assert stored.danger_prompts == {"en": "In danger? Press 0."}
    assert stored.consent_prompts == {"zh_CN": "本次通话会录音。"} and stored.greetings == {}
    assert stored.danger_key == "0" and stored.announce_position
    assert stored.announce_every_s == 90
    assert stored.hold_music_url == "https://media.example.org/calm.mp3"
    with app_only.db.session() as session:
        found = rules.recordings(session=session, line_id=line.id or 0)
        kinds = {key: (row.content_type, row.size) for key, row in found.items()}
    assert kinds == {
        ("greeting", "en"): ("audio/wav", len(greeting)),
        ("hold", "zh_CN"): ("audio/mpeg", len(MP3)),
    }

    events = audits(app_only)
    assert {e.username for e in events} == {"root"}
    assert {e.object_id for e in events} == {str(line.id)}
    changes = {
        entry["field"]: (entry["before"], entry["after"])
        for entry in (json.loads((e.detail or "").removeprefix("prompts: ")) for e in events)
    }
    assert changes["danger_key"] == ("9", "0")
    assert changes["hold_prompts.en"] == (None, "Please hold on.")
    assert changes["announce_every_s"] == (60, 90)
    assert changes["audio greeting-en"] == (None, f"audio/wav {len(greeting)} B")
    assert "hold_prompts.zh_CN" in changes and "greetings.en" not in changes

    shown = http.get(page(line.id) + "?lang=en&done=saved").text
    assert 'data-testid="notice"' in shown
    assert 'data-testid="recording-greeting-en"' in shown
    assert "You are number 2 in the queue." in shown  # the preview's example announcement
    # No music file was uploaded: the hold music is the address, played in the preview.
    assert "calm.mp3&lt;/Play&gt;" in shown.split('data-testid="preview-hold-en"')[1]

    # Removing a recording says the text again; saving nothing changes nothing.
    removed = http.post(page(line.id), data={**sent, "remove": "greeting-en"})
    assert removed.status_code == 303
    with app_only.db.session() as session:
        assert ("greeting", "en") not in rules.recordings(session=session, line_id=line.id or 0)
    assert len(audits(app_only)) == len(events) + 1
    again = http.post(page(line.id), data={**sent, "remove": "greeting-en"})
    assert again.headers["location"].endswith("done=unchanged")
    assert len(audits(app_only)) == len(events) + 1


def test_bad_input_is_shown_by_its_field_and_nothing_is_saved(app_only: Stack) -> None:
    line = make_line(app_only.db)
    http = signed_in(app_only, "root", Role.admin)
    cases = [
        ({"danger_key": "1"}, {}, "danger_key", "chooses a language"),
        ({"danger_key": "#"}, {}, "danger_key", "one digit"),
        ({"callback_key": "9"}, {}, "callback_key", "in danger now"),
        ({"callback_key": ""}, {}, "callback_key", "one digit"),
        ({"callback_key": "12"}, {}, "callback_key", "one digit"),
        ({"announce_every_s": "10"}, {}, "announce_every_s", "from 30 to 300"),
        ({"announce_every_s": "abc"}, {}, "announce_every_s", "from 30 to 300"),
        ({"hold_music_url": "ftp://x"}, {}, "hold_music_url", "https://"),
        ({"hold-en": "x" * 501}, {}, "hold-en", "At most 500"),
        (
            {},
            {"audio-greeting-zh_CN": ("a.mp3", b"<html>not audio</html>", "audio/mpeg")},
            "audio-greeting-zh_CN",
            "MP3 or WAV",
        ),
        (
            {},
            {"music_file": ("big.wav", wav(0.1) + b"\0" * rules.MAX_AUDIO_BYTES, "audio/wav")},
            "music_file",
            "too big",
        ),
    ]
    for fields, files, name, message in cases:
        refused = http.post(page(line.id), data=form(http, line.id, **fields), files=files or None)
        assert refused.status_code == 422, (name, refused.status_code)
        error = refused.text.split(f'data-testid="error-{name}">')[1].split("<")[0]
        assert message.lower() in error.lower(), (name, error)
        assert f'aria-describedby="e-{name}"' in refused.text or f'e-{name}"' in refused.text
    stored = line_of(app_only, line.id)
    assert stored.danger_key == "9" and stored.announce_every_s == 60
    assert stored.callback_key == "1"
    assert stored.hold_prompts == {} and stored.hold_music_url is None
    with app_only.db.session() as session:
        assert session.exec(select(PromptAudio)).all() == []
    assert audits(app_only) == []

    # In Chinese, the message is Chinese.
    sent = form(http, line.id, danger_key="2")
    http.get(page(line.id) + "?lang=zh_CN")  # the reader's language, kept in the session
    zh = http.post(page(line.id), data=sent)
    assert "请换一个" in zh.text


def test_only_admins_reach_the_page(app_only: Stack) -> None:
    line = make_line(app_only.db)
    for username, role in (("boss", Role.supervisor), ("alice", Role.counselor)):
        http = signed_in(app_only, username, role)
        assert http.get(page(line.id)).status_code == 403
        posted = http.post(page(line.id), data={"csrf_token": "x", "danger_key": "0"})
        assert posted.status_code == 403
    assert line_of(app_only, line.id).danger_key == "9"
    anonymous = client(app_only).get(page(line.id))
    assert anonymous.status_code in (303, 307) or "/login" in str(anonymous.url)
    admin = signed_in(app_only, "root", Role.admin)
    assert admin.get(page(9999)).status_code == 404


def test_the_callback_key_is_set_on_the_page_and_audited(app_only: Stack) -> None:
    line = make_line(app_only.db, overflow_action="callback")
    http = signed_in(app_only, "root", Role.admin)
    shown = http.get(page(line.id) + "?lang=en").text
    assert 'name="callback_key" value="1"' in shown
    saved = http.post(page(line.id), data=form(http, line.id, callback_key="3"))
    assert saved.status_code in (200, 303), saved.text[:500]
    assert line_of(app_only, line.id).callback_key == "3"
    assert 'name="callback_key" value="3"' in http.get(page(line.id)).text
    (entry,) = [a for a in audits(app_only) if "callback_key" in (a.detail or "")]
    assert json.loads((entry.detail or "").split(": ", 1)[1]) == {
        "field": "callback_key",
        "before": "1",
        "after": "3",
    }
