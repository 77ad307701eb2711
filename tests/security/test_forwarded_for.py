"""X-Forwarded-For counts only from the proxies HOTLINE_FORWARDED_ALLOW_IPS names (none unless
set): otherwise anyone on the host could pick the address the sign-in limit counts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from hotline.auth.models import SignInAttempt
from hotline.db import Database, make_engine
from tests.conftest import migrated_sqlite_url
from tests.factories import make_user
from tests.security.helpers import post_login
from tests.servers import serve_process

PER_IP = 3


def attempts(
    request: pytest.FixtureRequest, tmp_path: Path, **env: str
) -> list[tuple[str | None, str]]:
    """Failed sign-ins through a real `hotline serve`, each with a different forged
    X-Forwarded-For; the (ip, outcome) rows the limiter recorded."""
    url = migrated_sqlite_url(request, tmp_path)
    db = Database(make_engine(url))
    make_user(db, "counselor1")
    settings = {
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_SECRET_KEY": "forwarded-test-secret-key-0123456789",
        "HOTLINE_RUN_ENGINE": "false",
        "HOTLINE_LOGIN_MAX_FAILURES_PER_IP": str(PER_IP),
        **env,
    }
    with serve_process(settings) as (served, _process):
        for i in range(PER_IP + 1):
            with httpx.Client(
                base_url=served, headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}, timeout=10
            ) as http:
                post_login(http, f"nobody{i}", "wrong password")
    with db.session() as session:
        rows = session.exec(select(SignInAttempt).order_by(SignInAttempt.id)).all()  # type: ignore[arg-type]
        return [(row.ip, row.outcome) for row in rows]


def test_a_forged_forwarded_for_from_loopback_is_ignored(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    rows = attempts(request, tmp_path)
    assert {ip for ip, _ in rows} == {"127.0.0.1"}
    assert rows[-1][1] == "locked"  # the address limit holds, whatever the header says


def test_a_trusted_proxy_names_the_client(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    rows = attempts(request, tmp_path, HOTLINE_FORWARDED_ALLOW_IPS="127.0.0.1")
    assert [ip for ip, _ in rows] == [f"203.0.113.{i + 1}" for i in range(PER_IP + 1)]
