"""`make bench-webchat`, as the README shows it, run small on a fresh database: the script starts
a real server, opens web chats, and every timed message reaches a counselor's screen. Counted,
never timed here: the figures are the script's to report, not a test's to assert."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_the_web_chat_benchmark_gets_every_message_to_a_screen() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "scripts/bench_webchat.py",
            "--chats",
            "4",
            "--messages",
            "2",
            "--interval",
            "0.5",
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["chats"] == 4 and figures["counselors"] == 2
    assert figures["screen"]["n"] == 8 and figures["announced"]["n"] == 8
    assert figures["failures"] == [] and figures["page_errors"] == []
    assert figures["kib_per_open_chat"] is not None
