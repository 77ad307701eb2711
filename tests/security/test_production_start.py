"""What `hotline serve` and `hotline demo` refuse, tried on real processes: production never runs
the simulator, and never holds the demo's accounts (whose password is public)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hotline import crypto
from hotline.simulator.control import TOKEN_HEADER
from tests.servers import free_port
from tests.stack import running_stack

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
