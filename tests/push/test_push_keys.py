"""`hotline keys vapid` on a fresh database: a key pair that `hotline check` accepts, amber
without one, red when the two keys do not belong together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hotline.push.vapid import public_of

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


def _push_finding(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    findings = json.loads(done.stdout)["findings"]
    found: dict[str, str] = next(f for f in findings if f["code"] == "push")
    return found


def test_keys_vapid_makes_a_pair_that_check_accepts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    assert _run(url, tmp_path, "db", "upgrade").returncode == 0
    before = _push_finding(_run(url, tmp_path, "check", "--json"))
    assert before["level"] == "amber"

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
    again = _run(url, tmp_path, "keys", "vapid")
    assert private not in again.stdout  # a fresh pair each time

    after = _push_finding(
        _run(
            url,
            tmp_path,
            "check",
            "--json",
            HOTLINE_VAPID_PRIVATE_KEY=private,
            HOTLINE_VAPID_PUBLIC_KEY=public,
        )
    )
    assert after["level"] == "green"
    other_public = again.stdout.split("HOTLINE_VAPID_PUBLIC_KEY=")[1].split()[0]
    mismatched = _push_finding(
        _run(
            url,
            tmp_path,
            "check",
            "--json",
            HOTLINE_VAPID_PRIVATE_KEY=private,
            HOTLINE_VAPID_PUBLIC_KEY=other_public,
        )
    )
    assert mismatched["level"] == "red"
