"""Recordings: a conference recorded from its start leaves a recording whose media is served with
the account's credentials, and its recordingStatusCallback is posted after the conference ends."""

from __future__ import annotations

import io
import wave

import httpx
from simtools import ACCOUNT_SID, AUTH_TOKEN, CALLER, LINE, Env
from test_sim_conferences import add_counselor


def recorded_caller_waiting(env: Env) -> str:
    """A caller who pressed 3: they wait in a conference that records from its start."""
    sid = env.control.place_call(CALLER, LINE, digits="3")
    env.control.wait_for(lambda: env.control.get_call(sid)["in_conference"])
    return sid


def test_recorded_conference_posts_its_recording_and_serves_the_media(env: Env) -> None:
    sid = recorded_caller_waiting(env)
    add_counselor(env, sid)
    env.wait_hook("/conference-status", StatusCallbackEvent="conference-start")
    env.control.hangup(sid)

    [hook] = env.wait_hook("/recording-status")
    [ended] = env.wait_hook("/conference-status", StatusCallbackEvent="conference-end")
    assert hook.valid and ended.at <= hook.at  # posted after the conference's end
    params = hook.params
    recording_sid = params["RecordingSid"]
    assert recording_sid.startswith("RE") and len(recording_sid) == 34
    assert params["ConferenceSid"] == ended.params["ConferenceSid"]
    assert params["RecordingStatus"] == "completed"
    assert params["RecordingSource"] == "DialVerb"
    assert params["AccountSid"] == ACCOUNT_SID
    url = params["RecordingUrl"]
    assert url == f"{env.sim_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
    seconds = int(params["RecordingDuration"])
    assert seconds >= 1

    # The media needs the account's credentials, as the proxy in hotline sends them.
    assert httpx.get(url + ".wav").status_code == 401
    assert httpx.get(url + ".wav", auth=(ACCOUNT_SID, "wrong")).status_code == 401
    media = httpx.get(url + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert media.status_code == 200 and media.headers["content-type"] == "audio/x-wav"
    with wave.open(io.BytesIO(media.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() == seconds * 8000
    plain = httpx.get(url, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert plain.content == media.content  # no extension: WAV, as on Twilio
    mp3 = httpx.get(url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
    assert mp3.content[:2] == b"\xff\xfb"  # an MPEG-1 Layer III frame
    assert mp3.headers["accept-ranges"] == "bytes"
    # A byte range, as a player seeking asks for it (Twilio's media URLs answer ranges too).
    size = len(mp3.content)
    for asked, start, end in (
        ("bytes=10-19", 10, 19),
        ("bytes=10-", 10, size - 1),
        ("bytes=-16", size - 16, size - 1),
        (f"bytes=-{size + 5}", 0, size - 1),
        (f"bytes=0-{size * 2}", 0, size - 1),
        ("BYTES=0-0", 0, 0),
    ):
        part = httpx.get(url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.content == mp3.content[start : end + 1], asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}", asked
    for past in (f"bytes={size}-", "bytes=-0"):
        refused = httpx.get(url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), headers={"Range": past})
        assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{size}"
    # What it cannot use (several ranges, a reversed or malformed one) it ignores: the whole file.
    for ignored in ("bytes=0-1,5-6", "bytes=9-3", "bytes=-", "items=0-1", "bytes=a-b"):
        whole = httpx.get(url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), headers={"Range": ignored})
        assert whole.status_code == 200 and whole.content == mp3.content, ignored
    wav_part = httpx.get(url, auth=(ACCOUNT_SID, AUTH_TOKEN), headers={"Range": "bytes=0-3"})
    assert (wav_part.status_code, wav_part.content) == (206, b"RIFF")
    missing = httpx.get(url[:-4] + "0000.wav", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert missing.status_code == 404

    # The REST resource, through the twilio library.
    fetched = env.twilio.recordings(recording_sid).fetch()
    assert (fetched.conference_sid, fetched.status, fetched.duration) == (
        params["ConferenceSid"],
        "completed",
        str(seconds),
    )
    listed = env.twilio.conferences(params["ConferenceSid"]).recordings.list()
    assert [r.sid for r in listed] == [recording_sid]
    [shown] = env.control.list_recordings()
    assert shown["sid"] == recording_sid and shown["url"] == url


def test_a_conference_that_never_started_records_nothing(env: Env) -> None:
    sid = recorded_caller_waiting(env)
    env.control.hangup(sid)
    env.wait_hook("/conference-status", StatusCallbackEvent="participant-leave", CallSid=sid)
    env.control.wait_for_status(sid, "completed")
    assert env.control.list_recordings() == []
    assert env.recorder.find("/recording-status") == []


def test_an_unrecorded_conference_records_nothing(env: Env) -> None:
    sid = env.control.place_call(CALLER, LINE, digits="1")
    env.control.wait_for(lambda: env.control.get_call(sid)["in_conference"])
    add_counselor(env, sid)
    env.wait_hook("/conference-status", StatusCallbackEvent="conference-start")
    env.control.hangup(sid)
    env.wait_hook("/conference-status", StatusCallbackEvent="conference-end")
    assert env.control.list_recordings() == []


def test_a_voicemail_is_a_recording_too(env: Env) -> None:
    env.control.register_number("+8610012320", f"{env.base}/voicemail")
    sid = env.control.place_call(CALLER, "+8610012320")
    env.control.wait_for(
        lambda: any(e["kind"] == "record" for e in env.control.get_call(sid)["transcript"])
    )
    env.control.press(sid, "#")
    [recorded] = env.wait_hook("/recorded", CallSid=sid)
    media = httpx.get(recorded.params["RecordingUrl"] + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert media.status_code == 200
    assert env.twilio.recordings(recorded.params["RecordingSid"]).fetch().source == "RecordVerb"
