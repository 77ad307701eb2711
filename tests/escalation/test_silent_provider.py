"""A phone network that takes the connection and never answers must not swallow a page: the
send gives up after `HOTLINE_TWILIO_TIMEOUT_S`, and the page goes back on the queue, logged,
to be sent again (the real twilio library against a socket that never replies)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from sqlmodel import select

from hotline.clock import FakeClock
from hotline.db import Database
from hotline.escalation import service as escalations
from hotline.escalation.models import EscalationLog, Page, PageStatus
from hotline.routing.engine import Dispatcher
from hotline.telephony.port import TelephonyPort
from tests.escalation.test_engine import START, setup_call, trigger
from tests.stack import make_settings

SMS_ONLY = [{"targets": [{"kind": "crisis_on_call"}], "channels": ["sms"], "wait_minutes": 5}]


@pytest.fixture
def silent_provider() -> Iterator[str]:
    """Listens, so connections succeed, and never reads or answers a byte."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_a_page_to_a_provider_that_never_answers_is_retried(
    db: Database, database_url: str, silent_provider: str
) -> None:
    settings = make_settings(
        database_url, 9, None, simulator_url=silent_provider, twilio_timeout_s=0.5
    )
    clock = FakeClock(START)
    dispatcher = Dispatcher(
        db=db, clock=clock, settings=settings, telephony=TelephonyPort(settings)
    )
    call, _crisis, _supervisor = setup_call(db, steps=SMS_ONLY)
    escalation_id = trigger(db, call, clock.now())
    with db.session() as session:
        escalations.run_due(session=session, now=clock.now())
    with db.session() as session:
        (page_id,) = escalations.claim_pages(session=session, now=clock.now())

    sender = threading.Thread(target=dispatcher.send_page, args=(page_id,), daemon=True)
    sender.start()
    sender.join(timeout=30)  # far above the 0.5 s timeout: only a hung send is still here
    assert not sender.is_alive(), "the send hung on a provider that never answers"

    with db.session() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.status == PageStatus.queued  # to be sent again
        kinds = [
            entry.kind
            for entry in session.exec(
                select(EscalationLog).where(EscalationLog.escalation_id == escalation_id)
            )
        ]
    assert "page_retry" in kinds
