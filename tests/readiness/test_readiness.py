"""`hotline check` and the admin home page's panel: is the line ready?"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hotline.auth.models import Role
from hotline.config import Settings
from hotline.db import Database, make_engine
from hotline.i18n import gettext_for
from hotline.readiness import Finding, Level, _browser_phone, check, worst
from hotline.simulator.console_client import csrf_from
from hotline.telephony.port import TelephonyPort
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.stack import ACCOUNT_SID, AUTH_TOKEN, Stack

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECRET = "test-secret-key-that-is-long-enough-000"
HOTLINE = str(Path(sys.executable).parent / "hotline")


def settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": SECRET,
        "telephony_mode": "simulator",
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def report(db: Database, database_url: str, **overrides: object) -> list[Finding]:
    with db.session() as session:
        return check(session, settings(database_url, **overrides), NOW)


def found(findings: list[Finding], code: str, subject: str | None = None) -> list[Finding]:
    return [f for f in findings if f.code == code and (subject is None or f.subject == subject)]


def test_a_line_is_red_until_its_policy_reaches_someone_with_a_phone(
    db: Database, database_url: str
) -> None:
    make_line(db, number="+8657796525")
    first = report(db, database_url)
    assert worst(first) == Level.red
    [nobody] = found(first, "policy_reaches_nobody", "+8657796525")
    assert nobody.level == Level.red and nobody.fix
    assert found(first, "line_hours", "+8657796525")[0].level == Level.green  # around the clock
    assert {f.level for f in found(first, "counselors_missing")} == {Level.red, Level.amber}

    responder = make_user(db, "chen", role=Role.crisis)
    make_rota(db, "crisis", [responder])
    make_user(db, "li", languages=["zh_CN", "en"])
    ready = report(db, database_url)
    assert not found(ready, "policy_reaches_nobody")
    assert not found(ready, "crisis_on_call_empty")
    [reaches] = found(ready, "policy_reaches", "+8657796525")
    assert reaches.level == Level.green and reaches.params["count"] == "1"
    assert [f.level for f in found(ready, "counselors")] == [Level.green, Level.green]
    reds = [f for f in ready if f.level == Level.red]
    assert reds == [], reds


def test_an_admin_without_totp_is_red_a_supervisor_amber(db: Database, database_url: str) -> None:
    make_user(db, "boss", role=Role.admin)
    make_user(db, "wang", role=Role.supervisor)
    findings = report(db, database_url)
    assert found(findings, "totp_missing", "boss")[0].level == Level.red
    assert found(findings, "totp_missing", "wang")[0].level == Level.amber


def test_demo_accounts_and_keys(db: Database, database_url: str) -> None:
    user = make_user(db, "demo-counselor")
    with db.session() as session:
        from hotline.auth.models import User

        row = session.get(User, user.id)
        assert row is not None
        row.demo = True
    findings = report(db, database_url)
    assert found(findings, "demo_accounts")[0].level == Level.amber
    assert found(findings, "data_keys")[0].level == Level.amber  # derived in test
    assert found(findings, "simulator_mode")[0].level == Level.amber
    keyed = report(db, database_url, data_keys="k1:" + "A" * 43 + "=")
    assert found(keyed, "data_keys")[0].level == Level.green
    bad = report(db, database_url, data_keys="k1:short")
    assert found(bad, "data_keys")[0].level == Level.red


def test_the_translated_message_and_fix(db: Database, database_url: str) -> None:
    from hotline.i18n import gettext_for

    make_line(db, number="+8657796525")
    [nobody] = found(report(db, database_url), "policy_reaches_nobody")
    assert "default" in nobody.text(gettext_for("en"))
    chinese = nobody.text(gettext_for("zh_CN"))
    assert chinese != nobody.text(gettext_for("en")) and "default" in chinese


def test_a_number_pointed_elsewhere_is_red(stack: Stack) -> None:
    make_line(stack.db, number="+8657711111")
    make_line(stack.db, number="+8657722222")
    here = TelephonyPort(stack.settings)
    here.sync_number("+8657711111")
    elsewhere = stack.settings.model_copy(update={"public_base_url": "https://old.example.org"})
    TelephonyPort(elsewhere).sync_number("+8657722222")
    with stack.db.session() as session:
        findings = check(session, stack.settings, NOW, here)
    assert found(findings, "twilio")[0].level == Level.green
    assert found(findings, "number_pointed", "+8657711111")[0].level == Level.green
    [wrong] = found(findings, "number_elsewhere", "+8657722222")
    assert wrong.level == Level.red
    assert wrong.params["actual"] == "https://old.example.org/twilio/voice/incoming"


def test_an_account_that_does_not_answer_is_red(db: Database, database_url: str) -> None:
    make_line(db, number="+8657796525")
    config = settings(
        database_url,
        telephony_mode="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_timeout_s=2,
    )
    port = TelephonyPort(config)
    port._client.api.base_url = "http://127.0.0.1:9"  # nothing listens there
    with db.session() as session:
        findings = check(session, config, NOW, port)
    assert found(findings, "twilio_unreachable")[0].level == Level.red
    assert not found(findings, "simulator_mode")


API_KEY = {
    "twilio_api_key_sid": "SK" + "1" * 32,
    "twilio_api_key_secret": "a-real-api-key-secret",
    "twilio_twiml_app_sid": "AP" + "1" * 32,
}


def test_the_browser_phone_runs_on_the_simulator(db: Database, database_url: str) -> None:
    [phone] = found(report(db, database_url), "browser_phone")
    assert phone.level == Level.green and phone.subject == "HOTLINE_TELEPHONY_MODE"
    assert "simulator" in phone.text(gettext_for("en")) and not phone.fix


@pytest.mark.parametrize(
    ("unset", "names"),
    [
        (
            list(API_KEY),
            "HOTLINE_TWILIO_API_KEY_SID, HOTLINE_TWILIO_API_KEY_SECRET, "
            "HOTLINE_TWILIO_TWIML_APP_SID",
        ),
        (["twilio_api_key_secret"], "HOTLINE_TWILIO_API_KEY_SECRET"),
        (["twilio_twiml_app_sid"], "HOTLINE_TWILIO_TWIML_APP_SID"),
        ([], None),
    ],
)
def test_with_twilio_the_browser_phone_needs_an_api_key_and_a_twiml_app(
    database_url: str, unset: list[str], names: str | None
) -> None:
    """Amber, naming each setting still unset (counselors with a number still take calls), in
    both languages; green once all three are set."""
    given = {key: value for key, value in API_KEY.items() if key not in unset}
    config = settings(database_url, telephony_mode="twilio", **given)
    [phone] = _browser_phone(config)
    assert phone.code == "browser_phone"
    if names is None:
        assert phone.level == Level.green and not phone.fix
        return
    assert phone.level == Level.amber and phone.subject == names
    for locale in ("en", "zh_CN"):
        gettext = gettext_for(locale)
        assert names in phone.text(gettext) and names in phone.fix_text(gettext)
    assert phone.text(gettext_for("zh_CN")) != phone.text(gettext_for("en"))


def test_the_browser_phone_is_in_the_twilio_report(db: Database, database_url: str) -> None:
    config = settings(
        database_url,
        telephony_mode="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_timeout_s=2,
    )
    port = TelephonyPort(config)
    port._client.api.base_url = "http://127.0.0.1:9"  # nothing listens there: not the point
    with db.session() as session:
        findings = check(session, config, NOW, port)
    [phone] = found(findings, "browser_phone")
    assert phone.level == Level.amber and "HOTLINE_TWILIO_API_KEY_SID" in phone.subject


def _run(url: str, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_DEFAULT_LOCALE": "en",
        **extra,
    }
    return subprocess.run(
        [HOTLINE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=90
    )


def test_hotline_check_exits_1_on_red(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/check.db"
    assert _run(url, tmp_path, "db", "upgrade").returncode == 0
    db = Database(make_engine(url))
    make_line(db, number="+8657796525")
    db.engine.dispose()
    done = _run(url, tmp_path, "check")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[RED  ] policy_reaches_nobody +8657796525:" in done.stdout
    assert "\x1b[" not in done.stdout  # plain when not a terminal
    as_json = _run(url, tmp_path, "check", "--json", "--lang", "zh_CN")
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["level"] == "red"
    codes = {f["code"] for f in body["findings"] if f["level"] == "red"}
    assert "policy_reaches_nobody" in codes
    refused = _run(url, tmp_path, "check", HOTLINE_ENV="production")  # simulator, no keys...
    assert refused.returncode == 1
    assert refused.stdout.startswith("[RED  ] settings")


def _signed_in(stack: Stack, username: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=10)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


def test_the_admin_home_page_shows_the_panel_to_admins_only(quiet_app: Stack) -> None:
    make_line(quiet_app.db, number="+8657796525")
    make_user(quiet_app.db, "boss", role=Role.admin)
    make_user(quiet_app.db, "li")
    admin = _signed_in(quiet_app, "boss")
    try:
        page = admin.get("/admin", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert 'data-testid="readiness-panel"' in page.text
        assert 'data-code="policy_reaches_nobody"' in page.text
        assert 'data-level="red"' in page.text
    finally:
        admin.close()
    counselor = _signed_in(quiet_app, "li")
    try:
        assert counselor.get("/admin").status_code == 403
    finally:
        counselor.close()


@pytest.mark.parametrize("level", list(Level))
def test_worst(level: Level) -> None:
    assert worst([Finding(level, "x", "-", "m")]) == level
