"""When the database is down or the instance overloaded, callers are forwarded, never an error:
the incoming-call webhook answers its line's fallback (the partner line, or the emergency
numbers), other webhooks a safe answer, and readiness tells the load balancer."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from twilio.request_validator import RequestValidator

from agent_console.board.ws import _snapshot
from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.db import Database, make_engine
from tests.calls import LINE, inbound
from tests.conftest import migrated_sqlite_url
from tests.factories import make_line, make_user
from tests.servers import free_port, serve_process
from tests.stack import Stack, running_stack

PARTNER = "+8657712345"
OTHER_LINE = "+8657700000"
TOKEN = "degraded-test-token"


def signed_post(url: str, path: str, params: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(TOKEN).compute_signature(url + path, params)
    return httpx.post(
        url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    )


def dead_database(kind: str, tmp_path: Path) -> str:
    if kind == "postgres":  # nothing listens there
        return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline"
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")  # SQLite cannot open a file under a file (chmod does not stop root)
    return f"sqlite:///{blocker}/hotline.db"


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_with_the_database_down_a_real_instance_forwards_callers_and_is_not_ready(
    kind: str, tmp_path: Path
) -> None:
    env = {
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": dead_database(kind, tmp_path),
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_FALLBACK_PARTNERS": json.dumps({LINE: PARTNER}),
    }
    with serve_process(env) as (url, _process):
        incoming = signed_post(url, "/twilio/voice/incoming", inbound())
        gather = signed_post(url, "/twilio/voice/gather", {**inbound(), "Digits": "1"})
        status = signed_post(url, "/twilio/voice/status", {**inbound(), "CallStatus": "completed"})
        unknown = signed_post(url, "/twilio/voice/incoming", inbound(to=OTHER_LINE))
        forged = httpx.post(url + "/twilio/voice/incoming", data=inbound(), timeout=30)
        health = httpx.get(url + "/healthz", timeout=30)
        ready = httpx.get(url + "/readyz", timeout=30)

    for answer in (incoming, gather):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/xml")
        assert f"<Dial>{PARTNER}</Dial>" in answer.text
        assert "110" in answer.text and "12356" in answer.text  # if the partner does not answer
    assert status.status_code == 200 and "<Response />" in status.text
    # A number with no known partner: the emergency numbers, then the call ends.
    assert unknown.status_code == 200 and "<Dial" not in unknown.text
    assert all(n in unknown.text for n in ("110", "120", "12356")) and "<Hangup" in unknown.text
    assert forged.status_code == 403
    assert health.status_code == 200
    assert ready.status_code == 503 and ready.json()["database"] == "down"


def test_the_partner_line_read_before_the_outage_is_used_during_it(app_only: Stack) -> None:
    make_line(app_only.db, partner_number=PARTNER)
    assert app_only.webhook("/twilio/voice/incoming", inbound()).status_code == 200
    assert httpx.get(app_only.url + "/readyz", timeout=10).status_code == 200
    working = app_only.db.engine
    app_only.db.engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    try:
        answer = app_only.webhook("/twilio/voice/incoming", inbound("CA" + "b" * 32))
        ready = httpx.get(app_only.url + "/readyz", timeout=10)
    finally:
        app_only.db.engine.dispose()
        app_only.db.engine = working
    assert answer.status_code == 200 and f"<Dial>{PARTNER}</Dial>" in answer.text
    assert ready.status_code == 503
    assert app_only.dispatcher.degraded.status()["fallback_answers"] == 1


def test_an_outage_is_logged_once_not_on_every_tick(
    app_only: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    working = app_only.db.engine
    app_only.db.engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    try:
        with caplog.at_level(logging.WARNING, logger="hotline.routing.engine"):
            for _ in range(3):
                app_only.dispatcher._tick_job()
    finally:
        app_only.db.engine.dispose()
        app_only.db.engine = working
    failures = [r for r in caplog.records if r.name == "hotline.routing.engine"]
    assert [r.getMessage() for r in failures] == [
        "dispatcher tick failing (timers wait until it works again)"
    ]


def test_with_no_room_left_incoming_calls_get_the_fallback_and_the_board_says_so(
    database_url: str,
) -> None:
    """webhook_concurrency=0: no slot is ever free, so every incoming call is shed at once."""
    with running_stack(
        database_url,
        with_simulator=False,
        run_engine=False,
        webhook_concurrency=0,
        fallback_partners={LINE: PARTNER},
    ) as stack:
        make_line(stack.db, partner_number=PARTNER)
        boss = make_user(stack.db, "wang", role=Role.supervisor)
        shed = stack.webhook("/twilio/voice/incoming", inbound())
        forged = stack.webhook("/twilio/voice/incoming", inbound(), signature="Zm9yZ2Vk")
        # Other webhooks are still handled.
        callback = stack.webhook("/twilio/voice/status", {**inbound(), "CallStatus": "completed"})
        assert boss.id is not None
        board = _snapshot(stack.dispatcher, boss.id)
        with stack.db.session() as session:
            stored = session.exec(select(Call)).all()
    assert shed.status_code == 200 and f"<Dial>{PARTNER}</Dial>" in shed.text
    assert forged.status_code == 403
    assert callback.status_code == 200
    assert stored == []  # shed before any work
    assert board is not None
    assert board["instance"]["shedding_load"] is True and board["instance"]["calls_shed"] == 1


def hotline_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "hotline"), *args]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=True
    )


def test_lines_fallback_prints_each_lines_static_twiml(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = migrated_sqlite_url(request, tmp_path)
    env = {"HOTLINE_DATABASE_URL": url}
    db = Database(make_engine(url))
    make_line(db, number=LINE, partner_number=PARTNER)
    make_line(db, number=OTHER_LINE, languages=["en"])
    db.engine.dispose()

    printed = hotline_cli("lines", "fallback", env=env).stdout
    written = hotline_cli("lines", "fallback", "--out", str(tmp_path / "twiml"), env=env).stdout

    other, partnered = printed.split(f"# {LINE} Line {LINE}\n")  # in number order
    assert other.startswith(f"# {OTHER_LINE} Line {OTHER_LINE}\n")
    assert f"<Dial>{PARTNER}</Dial>" in partnered
    assert "<Dial" not in other and "12356" in other and 'language="en-US"' in other
    hosted = (tmp_path / "twiml" / f"{LINE.lstrip('+')}.xml").read_text()
    assert hosted.startswith("<?xml") and f"<Dial>{PARTNER}</Dial>" in hosted
    assert "wrote" in written


def test_lines_sync_sets_each_numbers_voice_fallback_url(stack: Stack) -> None:
    make_line(stack.db)
    env = {
        "HOTLINE_DATABASE_URL": stack.settings.database_url,
        "HOTLINE_TELEPHONY_MODE": "simulator",
        "HOTLINE_SIMULATOR_URL": stack.settings.simulator_url,
        "HOTLINE_TWILIO_ACCOUNT_SID": stack.settings.twilio_account_sid,
        "HOTLINE_TWILIO_AUTH_TOKEN": stack.settings.twilio_auth_token,
        "HOTLINE_PUBLIC_BASE_URL": stack.url,
        "HOTLINE_VOICE_FALLBACK_URL": "https://static.example.org/hotline/{number}.xml",
    }
    out = hotline_cli("lines", "sync", env=env).stdout
    numbers = {n["number"]: n for n in stack.simulator.list_numbers()}
    assert numbers[LINE]["voice_url"] == stack.url + "/twilio/voice/incoming"
    fallback = f"https://static.example.org/hotline/{LINE.lstrip('+')}.xml"
    assert numbers[LINE]["voice_fallback_url"] == fallback
    assert numbers[LINE]["voice_fallback_method"] == "GET"
    assert fallback in out


def test_a_free_slot_is_taken_even_with_no_time_to_wait(database_url: str) -> None:
    with running_stack(
        database_url, with_simulator=False, run_engine=False, webhook_wait_s=0
    ) as stack:
        make_line(stack.db, partner_number=PARTNER)
        answer = stack.webhook("/twilio/voice/incoming", inbound())
        shed = stack.dispatcher.degraded.status()["calls_shed"]
    assert answer.status_code == 200 and "<Gather" in answer.text and shed == 0
