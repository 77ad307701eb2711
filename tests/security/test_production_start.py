"""What `hotline serve` and `hotline demo` refuse, tried on real processes: production never runs
the simulator, and never holds the demo's accounts (whose password is public)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from hotline import crypto
from hotline.app import create_app
from hotline.auth import service as auth
from hotline.auth.models import User
from hotline.config import Settings
from hotline.db import Database, make_engine
from hotline.seed import DEMO_PASSWORD, demo_accounts_left, seed_demo
from hotline.simulator.control import TOKEN_HEADER
from tests.conftest import migrated_sqlite_url
from tests.factories import make_user
from tests.servers import free_port, serve_process
from tests.stack import make_settings, running_stack

HOTLINE = Path(sys.executable).parent / "hotline"


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """A production configuration that is complete except for what a test leaves out."""
    values = {
        "HOTLINE_ENV": "production",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_SECRET_KEY": "p" * 48,
        "HOTLINE_TWILIO_AUTH_TOKEN": "t" * 32,
        "HOTLINE_DATA_KEYS": f"k1:{crypto.generate_key()}",
        "HOTLINE_PUBLIC_BASE_URL": "https://hotline.example.org",
        "HOTLINE_TELEPHONY_MODE": "twilio",
    }
    values.update(extra)
    return {key: value for key, value in values.items() if value}


def hotline(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the `hotline` command with only these HOTLINE_* settings, in `cwd` (no stray .env)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
    return subprocess.run(
        [str(HOTLINE), *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("mode", ["", "simulator"])
def test_production_refuses_to_start_in_simulator_mode(tmp_path: Path, mode: str) -> None:
    env = production_env(f"sqlite:///{tmp_path}/hotline.db", HOTLINE_TELEPHONY_MODE=mode)
    result = hotline(["serve", "--port", str(free_port())], env, tmp_path, timeout=30)
    assert result.returncode != 0
    assert "HOTLINE_TELEPHONY_MODE must be 'twilio' in production" in result.stderr


def test_production_refuses_a_plain_http_public_address(tmp_path: Path) -> None:
    env = production_env(
        f"sqlite:///{tmp_path}/hotline.db", HOTLINE_PUBLIC_BASE_URL="http://hotline.example.org"
    )
    result = hotline(["serve", "--port", str(free_port())], env, tmp_path, timeout=30)
    assert result.returncode == 2
    assert "HOTLINE_PUBLIC_BASE_URL must be an https:// address in production" in result.stderr


def test_production_without_data_keys_says_so_before_it_listens(tmp_path: Path) -> None:
    env = production_env(f"sqlite:///{tmp_path}/hotline.db", HOTLINE_DATA_KEYS="")
    result = hotline(["serve", "--port", str(free_port())], env, tmp_path, timeout=30)
    assert result.returncode == 2
    assert "refusing to start: data keys must be set in production" in result.stderr


def test_embedded_simulator_control_api_needs_the_token(database_url: str) -> None:
    with running_stack(
        database_url,
        with_simulator=False,
        simulator_embedded=True,
        run_engine=False,
        simulator_control_token="embedded-control-token-0123",
    ) as stack:
        calls = stack.url + "/sim/control/calls"
        assert httpx.get(calls, timeout=10).status_code == 401
        assert httpx.get(calls, headers={TOKEN_HEADER: "guess"}, timeout=10).status_code == 401
        allowed = httpx.get(calls, headers={TOKEN_HEADER: "embedded-control-token-0123"})
        assert allowed.status_code == 200 and allowed.json() == []


def migrated_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Database]:
    url = migrated_sqlite_url(request, tmp_path)
    return url, Database(make_engine(url))


def usernames(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.exec(select(User.username)))


def seed(db: Database) -> None:
    with db.session() as session:
        seed_demo(session=session, now=datetime.now(UTC))


@pytest.mark.parametrize("via", ["environment", ".env file"])
def test_demo_refuses_production_and_writes_nothing(
    request: pytest.FixtureRequest, tmp_path: Path, via: str
) -> None:
    url, db = migrated_sqlite(request, tmp_path)
    make_user(db, "real_counselor")
    db.engine.dispose()  # the file holds every committed write
    before = (tmp_path / "hotline.db").read_bytes()
    fresh = tmp_path / "fresh.db"
    env = production_env(url)
    if via == ".env file":
        (tmp_path / ".env").write_text("HOTLINE_ENV=production\n")
        del env["HOTLINE_ENV"]
    for database in (url, f"sqlite:///{fresh}"):
        env["HOTLINE_DATABASE_URL"] = database
        result = hotline(["demo", "--port", str(free_port())], env, tmp_path, timeout=30)
        assert result.returncode != 0
        assert "HOTLINE_ENV=production" in result.stderr
    assert (tmp_path / "hotline.db").read_bytes() == before
    assert not fresh.exists()


def test_demo_refuses_a_database_with_real_accounts(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, db = migrated_sqlite(request, tmp_path)
    make_user(db, "real_counselor")
    db.engine.dispose()  # the file holds every committed write
    before = (tmp_path / "hotline.db").read_bytes()
    result = hotline(
        ["demo", "--port", str(free_port()), "--database", url], {}, tmp_path, timeout=30
    )
    assert result.returncode != 0
    assert "account(s) that the demo did not create (real_counselor)" in result.stderr
    assert (tmp_path / "hotline.db").read_bytes() == before
    assert usernames(db) == ["real_counselor"]


def test_production_refuses_to_start_while_a_demo_account_can_sign_in(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, db = migrated_sqlite(request, tmp_path)
    seed(db)
    env = production_env(url)
    refused = hotline(["serve", "--port", str(free_port())], env, tmp_path, timeout=30)
    assert refused.returncode != 0
    assert "demo account(s) admin, counselor1" in refused.stderr
    assert "hotline remove-demo" in refused.stderr

    removed = hotline(["remove-demo"], env, tmp_path)
    assert removed.returncode == 0, removed.stderr
    with db.session() as session:
        assert demo_accounts_left(session=session) == []
        admin = auth.get_by_username(session=session, username="admin")
        assert admin is not None and not admin.active
        assert auth.authenticate(session=session, username="admin", password=DEMO_PASSWORD) is None
    with serve_process(env) as (served, _process):  # and now it starts
        assert httpx.get(served + "/healthz", timeout=10).status_code == 200


def test_a_made_up_control_token_is_logged_for_the_developer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stacked = make_settings(f"sqlite:///{tmp_path}/h.db", 8000, None, simulator_embedded=True)
    # The same settings with no control token given (the test stack gives one).
    settings = Settings(
        **{k: v for k, v in stacked.model_dump().items() if k != "simulator_control_token"}
    )
    with caplog.at_level(logging.WARNING, logger="hotline.app"):
        create_app(settings)
    assert any(settings.simulator_control_token in r.getMessage() for r in caplog.records)
    given = make_settings(
        f"sqlite:///{tmp_path}/h.db",
        8000,
        None,
        simulator_embedded=True,
        simulator_control_token="given-control-token-0123",
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hotline.app"):
        create_app(given)
    assert not any("given-control-token" in r.getMessage() for r in caplog.records)
