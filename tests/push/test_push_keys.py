"""`hotline keys vapid` on a fresh database: a key pair that `hotline check` accepts; amber
without one, red when the two keys do not belong together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import Settings
from hotline.push.vapid import generate_pair, public_of
from hotline.readiness import Finding, Level, _push

HOTLINE = str(Path(sys.executable).with_name("hotline"))
SECRET = "test-secret-key-that-is-long-enough-000"


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


@pytest.mark.timeout(300)  # three processes, each importing the app, on a shared machine
def test_keys_vapid_makes_a_pair_that_check_accepts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    assert _run(url, tmp_path, "db", "upgrade").returncode == 0
    made = _run(url, tmp_path, "keys", "vapid")
    assert made.returncode == 0, made.stderr
    settings = dict(
        line.split("  #")[0].strip().split("=", 1)
        for line in made.stdout.splitlines()
        if line.startswith("HOTLINE_VAPID_")
    )
    private, public = settings["HOTLINE_VAPID_PRIVATE_KEY"], settings["HOTLINE_VAPID_PUBLIC_KEY"]
    assert public_of(private) == public
    assert settings["HOTLINE_VAPID_SUBJECT"].startswith("mailto:")

    checked = _run(url, tmp_path, "check", "--json", **settings)
    findings = json.loads(checked.stdout)["findings"]
    assert next(f for f in findings if f["code"] == "push")["level"] == "green"


def _level(**values: str) -> Level:
    found: list[Finding] = _push(Settings(env="test", **values))  # type: ignore[arg-type]
    return found[0].level


def test_check_is_amber_without_keys_and_red_for_keys_that_are_not_a_pair() -> None:
    private, public = generate_pair()
    _other_private, other_public = generate_pair()
    assert _level() == Level.amber
    assert _level(vapid_private_key=private, vapid_public_key=public) == Level.green
    assert _level(vapid_private_key=private, vapid_public_key=other_public) == Level.red
    assert _level(vapid_private_key="not a key", vapid_public_key=public) == Level.red
