"""Two `hotline serve` processes on one PostgreSQL database, and Twilio's signed requests to them.

No phone network: the webhooks are posted as Twilio would post them, so the processes race for
the same rows exactly as two instances behind a load balancer do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from hotline.calls.models import Call, CallState
from tests.servers import free_port, serve_process
from tests.stack import ACCOUNT_SID, AUTH_TOKEN


def instance_env(database_url: str, name: str) -> dict[str, str]:
    return {
        "HOTLINE_ENV": "test",
        "HOTLINE_DATABASE_URL": database_url,
        # Nothing listens there: these tests make no call that needs the phone network.
        "HOTLINE_SIMULATOR_URL": f"http://127.0.0.1:{free_port()}",
        "HOTLINE_SIMULATOR_EMBEDDED": "false",
        "HOTLINE_TELEPHONY_MODE": "simulator",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": "test-secret-key-that-is-long-enough-000",
        "HOTLINE_SYNC_NUMBERS_ON_START": "false",
        "HOTLINE_INSTANCE_NAME": name,
        "HOTLINE_ENGINE_INTERVAL_S": "0.2",
        # Shedding load is tested elsewhere: here a slow machine must not turn calls away.
        "HOTLINE_WEBHOOK_WAIT_S": "10",
    }


@contextmanager
def two_instances(database_url: str) -> Iterator[tuple[str, str]]:
    """The URLs of instances A and B, both running their dispatcher."""
    with ExitStack() as stack:
        urls = [
            stack.enter_context(serve_process(instance_env(database_url, name), name))[0]
            for name in ("A", "B")
        ]
        yield urls[0], urls[1]


def post_signed(
    client: httpx.Client, base: str, path: str, params: dict[str, str]
) -> httpx.Response:
    """POST a webhook to `base` exactly as Twilio would, signed for that instance's URL."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, params)
    return client.post(
        base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    )


def until_all_completed(engine: Engine, count: int, seconds: float = 90) -> None:
    """Bounded wait for `count` calls (or conversations), all of them completed."""
    deadline = time.monotonic() + seconds
    while True:
        with Session(engine) as session:
            states = [c.state for c in session.exec(select(Call))]
        if len(states) == count and all(s == CallState.completed for s in states):
            return
        assert time.monotonic() < deadline, f"not all completed: {states}"
        time.sleep(0.2)
