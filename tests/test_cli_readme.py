"""Every `hotline` command the README shows, run as the installed entry point in a process of its
own on a fresh database, and checked by its effect (rows, provider state, HTTP answers).

Each command runs in an empty working directory, so no `.env` file leaks settings in."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from hotline import crypto
from hotline.auth import service as auth
from hotline.auth.models import Role, User
from hotline.db import Database, make_engine
from hotline.lines.models import Line
from hotline.notes.models import NoteStatus
from hotline.stats.models import StatsRollup
from tests.conftest import fresh_postgres_database, migrated_sqlite_url
from tests.factories import make_line, make_user
from tests.servers import ServerThread, bind_free_socket, free_port, serve_process
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, SIM_TOKEN

HOTLINE = str(Path(sys.executable).parent / "hotline")
REPOSITORY = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-that-is-long-enough-000"
PASSWORD = "Quiet harbour lamp 42"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: `hotline db upgrade` is the first command run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/cli.db"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at head (a copy of the run's template; `db upgrade` itself is tested above)."""
    return migrated_sqlite_url(request, tmp_path)


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        **extra,
    }


def hotline(
    database_url: str, cwd: Path, *args: str, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run one command; it must succeed."""
    done = subprocess.run(
        [HOTLINE, *args],
        cwd=cwd,
        env=environment(database_url, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, f"hotline {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def database(url: str) -> Database:
    return Database(make_engine(url))


def test_db_upgrade_then_lines_add_list_and_retention(empty_url: str, tmp_path: Path) -> None:
    """The README's own `lines add` on a fresh database (it crashed: not every model loaded)."""
    assert "up to date" in hotline(empty_url, tmp_path, "db", "upgrade").stdout
    added = hotline(
        empty_url,
        tmp_path,
        *("lines", "add", "+8657796525", "温州心理援助热线"),
        *("--languages", "zh_CN,en", "--partner-number", "+8612356"),
    )
    assert "created line +8657796525" in added.stdout
    listed = [
        json.loads(row)
        for row in hotline(empty_url, tmp_path, "lines", "list").stdout.split("\n")
        if row
    ]
    assert [(row["number"], row["name"]) for row in listed] == [("+8657796525", "温州心理援助热线")]
    hotline(empty_url, tmp_path, "lines", "retention", "+8657796525", "2000")
    db = database(empty_url)
    with db.session() as session:
        line = session.exec(select(Line)).one()
        assert line.languages == ["zh_CN", "en"]
        assert line.partner_number == "+8612356"
        assert line.retention_days == 2000
    db.engine.dispose()


def test_users_create_set_password_reset_totp(empty_url: str, tmp_path: Path) -> None:
    hotline(empty_url, tmp_path, "db", "upgrade")
    created = hotline(
        empty_url,
        tmp_path,
        *("users", "create", "wang", "王老师", "--role", "supervisor"),
        *("--endpoint", "+8613800000000"),
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert "created user wang" in created.stdout
    db = database(empty_url)
    crypto.configure(crypto.keyring_from(SECRET, None, "test"))
    with db.session() as session:
        user = auth.get_by_username(session=session, username="wang")
        assert user is not None and user.role == Role.supervisor
        assert user.endpoint == "+8613800000000"
        assert auth.verify_password(user.password_hash, PASSWORD)
        auth.start_totp_enrolment(session=session, user=user)

    new_password = "Another quiet harbour 7"
    hotline(
        empty_url,
        tmp_path,
        *("users", "set-password", "wang"),
        stdin=f"{new_password}\n{new_password}\n",
    )
    hotline(empty_url, tmp_path, "users", "reset-totp", "wang")
    with db.session() as session:
        user = auth.get_by_username(session=session, username="wang")
        assert user is not None
        assert auth.verify_password(user.password_hash, new_password)
        assert not auth.verify_password(user.password_hash, PASSWORD)
        assert user.totp_secret is None
    db.engine.dispose()


def test_lines_sync_points_the_numbers_at_this_deployment(sqlite_url: str, tmp_path: Path) -> None:
    from hotline.simulator.app import SimulatorConfig, create_simulator_app
    from hotline.simulator.client import SimulatorControl

    db = database(sqlite_url)
    make_line(db, number="+8657796525")
    db.engine.dispose()
    sock = bind_free_socket()
    sim_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    simulator = ServerThread(
        create_simulator_app(
            SimulatorConfig(
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                public_url=sim_url,
                control_token=SIM_TOKEN,
            )
        ),
        sock,
    ).start()
    try:
        public = "https://hotline.example.org"
        synced = hotline(
            sqlite_url,
            tmp_path,
            *("lines", "sync"),
            HOTLINE_TELEPHONY_MODE="simulator",
            HOTLINE_SIMULATOR_URL=sim_url,
            HOTLINE_PUBLIC_BASE_URL=public,
        )
        assert "configured +8657796525" in synced.stdout
        with SimulatorControl(sim_url, SIM_TOKEN) as control:
            numbers = {n["number"]: n for n in control.list_numbers()}
        assert numbers["+8657796525"]["voice_url"] == f"{public}/twilio/voice/incoming"
    finally:
        simulator.stop()


def test_keys_generate_rotate_status(sqlite_url: str, tmp_path: Path) -> None:
    first = hotline(sqlite_url, tmp_path, "keys", "generate", "k1").stdout.strip()
    second = hotline(sqlite_url, tmp_path, "keys", "generate", "k2").stdout.strip()
    assert first.startswith("k1:") and second.startswith("k2:")
    db = database(sqlite_url)
    user = make_user(db, "li")
    secret = crypto.keyring_from(SECRET, first, "test").encrypt("JBSWY3DPEHPK3PXP")
    with db.session() as session:
        session.execute(
            text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": secret, "id": user.id}
        )
    status = hotline(sqlite_url, tmp_path, "keys", "status", HOTLINE_DATA_KEYS=first).stdout
    assert "users.totp_secret: k1=1" in status

    both = f"{first},{second}"
    rotated = hotline(sqlite_url, tmp_path, "keys", "rotate", HOTLINE_DATA_KEYS=both).stdout
    assert "users.totp_secret: 1 re-encrypted" in rotated
    status = hotline(sqlite_url, tmp_path, "keys", "status", HOTLINE_DATA_KEYS=both).stdout
    assert "users.totp_secret: k2=1" in status
    with db.session() as session:
        stored = session.execute(text("SELECT totp_secret FROM users")).scalar_one()
    assert crypto.keyring_from(SECRET, second, "test").decrypt(stored) == "JBSWY3DPEHPK3PXP"
    db.engine.dispose()


def test_rollup_and_purge_dry_run(sqlite_url: str, tmp_path: Path) -> None:
    from tests.retention.records import make_record

    db = database(sqlite_url)
    line = make_line(db)
    counselor = make_user(db, "zhao")
    long_ago = datetime.now(UTC) - timedelta(days=1200)
    make_record(
        db,
        line=line,
        counselor=counselor,
        caller="+8613812345678",
        created_at=long_ago,
        ended_at=long_ago + timedelta(minutes=10),
    )
    rolled = hotline(sqlite_url, tmp_path, "rollup").stdout
    assert "rolled up" in rolled and "rolled up 0 " not in rolled
    with db.session() as session:
        assert session.exec(select(StatsRollup)).first() is not None

    dry = hotline(sqlite_url, tmp_path, "purge", "--dry-run").stdout
    assert dry.startswith("would purge: ") and "calls=1" in dry.replace(" ", "")
    with db.session() as session:  # a dry run deletes nothing
        assert session.execute(text("SELECT count(*) FROM calls")).scalar_one() == 1
    db.engine.dispose()


def test_serve_answers_over_http(sqlite_url: str) -> None:
    env = environment(sqlite_url, HOTLINE_SIMULATOR_EMBEDDED="false")
    with serve_process(env) as (url, _process):
        assert httpx.get(url + "/healthz", timeout=10).status_code == 200
        assert httpx.get(url + "/login", timeout=10).status_code == 200


def test_make_demo_serves_on_its_port_and_simulate_finds_it(tmp_path: Path) -> None:
    """`make demo PORT=...` as the README shows it, then `hotline simulate` with no options in the
    same directory: it finds the demo's port and token, and submits its calls' notes."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo_db = f"sqlite:///{tmp_path}/demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    # `make -C` runs the demo in the checkout; the database goes to tmp_path instead of there.
    demo = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(REPOSITORY), "demo", f"PORT={port}"],
        env={**env, "HOTLINE_DATABASE_URL": demo_db},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make and the server it starts stop together below
    )
    try:
        deadline = time.monotonic() + 90
        while True:  # bounded wait for the process to come up
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and demo.poll() is None, "demo did not start"
            time.sleep(0.1)
        assert httpx.get(base + "/login", timeout=10).status_code == 200
        assert httpx.get(base + "/sim/", timeout=10).status_code == 200
        db = database(demo_db)
        with db.session() as session:
            line = session.exec(select(Line)).first()
            assert line is not None
            assert session.exec(select(User).where(User.username == "counselor1")).first()
        assert httpx.get(f"{base}/chat/{line.id}", timeout=10).status_code == 200

        simulated = subprocess.run(
            [HOTLINE, "simulate", "--calls", "2", "--concurrency", "1", "--talk-s", "0.2"],
            cwd=REPOSITORY,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert simulated.returncode == 0, simulated.stderr
        result = json.loads(simulated.stdout.strip().splitlines()[-1])
        assert result["answered"] == 2
        with db.engine.connect() as connection:  # raw: the demo's data keys are not this test's
            statuses = [row[0] for row in connection.execute(text("SELECT status FROM call_notes"))]
        db.engine.dispose()
        assert statuses == [NoteStatus.submitted.value] * 2
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C in the terminal that ran `make demo`
        printed, _ = demo.communicate(timeout=30)
    assert "supervisor1 and admin also need a second factor" in printed
    chat = re.search(r"web chat:  (http://\S+/chat/\d+)", printed)
    assert chat is not None, printed  # the page itself: tests/conversations/test_webchat.py
    assert not (REPOSITORY / ".hotline-demo.json").exists()  # removed when the demo stopped


def test_simulate_says_when_no_server_answers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    nobody = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [HOTLINE, "simulate", "--calls", "1", "--base-url", nobody],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"no server answers at {nobody}" in done.stderr and "make demo" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_numbers_typed_at_the_cli_are_stored_in_e164(sqlite_url: str, tmp_path: Path) -> None:
    hotline(
        sqlite_url, tmp_path, "lines", "add", "0577 9652 5", "Line", "--partner-number", "12356"
    )
    hotline(sqlite_url, tmp_path, "lines", "retention", "057796525", "1500")
    hotline(
        sqlite_url,
        tmp_path,
        *("users", "create", "zhao", "Zhao", "--endpoint", "139 0000 9999"),
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    refused = subprocess.run(
        [HOTLINE, "lines", "add", "call me", "Other line"],
        cwd=tmp_path,
        env=environment(sqlite_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "not a phone number" in refused.stderr and "Traceback" not in refused.stderr
    db = database(sqlite_url)
    with db.session() as session:
        line = session.exec(select(Line)).one()
        assert (line.number, line.partner_number, line.retention_days) == (
            "+8657796525",
            "+8612356",
            1500,
        )
        user = session.exec(select(User).where(User.username == "zhao")).one()
        assert user.endpoint == "+8613900009999"
    db.engine.dispose()
