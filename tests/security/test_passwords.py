"""The password rules, wherever a password is set; the CLI's set-password and reset-totp."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from hotline.auth import service as auth
from hotline.auth.models import Role, User, UserCreate
from hotline.auth.passwords import PasswordRuleError, check_password
from hotline.cli import app as cli
from hotline.config import get_settings
from hotline.db import Database, make_engine
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-1A", "too_short"),
        ("x" * 257, "too_long"),
        ("alice-is-my-name", "contains_username"),
        ("ALICE1234567890", "contains_username"),
        ("password123!!", "too_common"),
        ("Qwertyuiop", "too_short"),
        ("qwertyuiop12", "too_common"),
        ("abababababab", "too_common"),
        ("aaaaaaaaaaaaaaaa", "too_common"),
        ("allinlowercaseletters", "one_class"),
        ("123456789012345", "one_class"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(PasswordRuleError) as refused:
        check_password(password, username="alice")
    assert refused.value.code == code


@pytest.mark.parametrize(
    "password", [PASSWORD, "hotline-demo-pass", "Sunrise over West Lake", "我的密码很长很安全123"]
)
def test_reasonable_passwords_pass(password: str) -> None:
    check_password(password, username="alice")


def test_creating_a_user_applies_the_rules() -> None:
    with pytest.raises(ValidationError, match="too common"):
        UserCreate(username="bob", display_name="Bob", password="Password123!")


def _cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_ENV", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret-key-that-is-long-enough-000")
    get_settings.cache_clear()
    return CliRunner()


def test_cli_create_set_password_and_reset_totp(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _cli_env(monkeypatch, database_url)
    db = Database(make_engine(database_url))
    try:
        weak = runner.invoke(cli, ["users", "create", "bob", "Bob", "--password", "bob12345678"])
        assert weak.exit_code == 1 and "password" in weak.output
        made = runner.invoke(
            cli,
            ["users", "create", "bob", "Bob", "--role", "supervisor", "--password", PASSWORD],
        )
        assert made.exit_code == 0, made.output

        refused = runner.invoke(cli, ["users", "set-password", "bob", "--password", "123456"])
        assert refused.exit_code == 1
        changed = runner.invoke(
            cli, ["users", "set-password", "bob", "--password", "Night shift at West Lake"]
        )
        assert changed.exit_code == 0, changed.output
        with db.session() as session:
            assert auth.authenticate(session=session, username="bob", password=PASSWORD) is None
            bob = auth.authenticate(
                session=session, username="bob", password="Night shift at West Lake"
            )
            assert bob is not None and bob.password_changed_at is not None
            auth.start_totp_enrolment(session=session, user=bob)
        reset = runner.invoke(cli, ["users", "reset-totp", "bob"])
        assert reset.exit_code == 0, reset.output
        with db.session() as session:
            bob = auth.get_by_username(session=session, username="bob")
            assert bob is not None and bob.totp_secret is None and bob.totp_confirmed_at is None
        assert runner.invoke(cli, ["users", "reset-totp", "nobody"]).exit_code == 1
    finally:
        get_settings.cache_clear()
        db.engine.dispose()


def test_set_password_service_applies_the_rules(database_url: str) -> None:
    db = Database(make_engine(database_url))
    make_user(db, "carol", role=Role.admin)
    with db.session() as session:
        carol = auth.get_by_username(session=session, username="carol")
        assert isinstance(carol, User)
        with pytest.raises(PasswordRuleError):
            auth.set_password(
                session=session, user=carol, password="carol-the-admin", now=carol.created_at
            )
    db.engine.dispose()
