"""No phone number, note text or screener answer reaches a log line or an error response."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from hotline import logs
from hotline.calls.models import Call
from hotline.db import Database
from hotline.logs import REDACTED, ScrubFilter, scrub
from hotline.simulator.console_client import csrf_from
from tests.factories import make_line
from tests.stack import Stack

NUMBERS = [
    "+8613912345678",
    "+86 139 1234 5678",
    "+86-139-1234-5678",
    "%2B8613912345678",
    "13912345678",
    "139-1234-5678",
    "139 1234 5678",
    "010-12345678",
    "0571 8765 4321",
    "(0571)87654321",
    "+1 415 555 0100",
    "008613912345678",
]


@pytest.mark.parametrize("number", NUMBERS)
def test_phone_numbers_are_redacted(number: str) -> None:
    out = scrub(f"call from {number} ended")
    assert out == f"call from {REDACTED} ended"


@pytest.mark.parametrize(
    "harmless",
    [
        "CallSid=CA0123456789abcdef0123456789abcdef",
        "call 42 took 1.5 s",
        "at 2026-11-23 03:00:00,123",
        "line 96525 and 12320",
        "id 1391234567",  # ten digits: not a mobile number
    ],
)
def test_ordinary_text_is_left_alone(harmless: str) -> None:
    assert scrub(harmless) == harmless


def test_sensitive_field_values_are_redacted() -> None:
    line = scrub(
        "saved {'summary': '想结束生命', 'screener': {'q1': True, 'q2': True}, 'version': 3} "
        'and {"reason": "has a plan", "call_id": 7} form From=client:bob&Digits=1&CallSid=CA1'
    )
    assert "想结束生命" not in line and "q1" not in line and "has a plan" not in line
    assert "client:bob" not in line and "Digits=1" not in line
    assert "'version': 3" in line and '"call_id": 7' in line and "CallSid=CA1" in line


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A handler on a private logger, fed through the scrubbing record factory."""
    logs.install_scrubbing()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    logger = logging.getLogger("hotline.test.scrub")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)


def test_a_record_is_scrubbed_in_message_args_and_exception(captured: io.StringIO) -> None:
    logger = logging.getLogger("hotline.test.scrub")
    logger.info("callback to +8613912345678 for %s", "13800138000")
    logger.warning("note %s", {"summary": "我不想活了", "call_id": 9})
    try:
        raise ValueError("bad number 0571-87654321 in note: text='吃了药'")
    except ValueError:
        logger.exception("could not save for %s", "+86 139 0000 1111")
    logger.info("stack", stack_info=True)
    output = captured.getvalue()
    for secret in ("13912345678", "13800138000", "我不想活了", "87654321", "吃了药", "0000 1111"):
        assert secret not in output
    assert output.count(REDACTED) >= 6
    assert "ValueError" in output and "Traceback" in output and "'call_id': 9" in output


def test_records_made_elsewhere_are_scrubbed_by_the_handler_filter() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "sms to %s", ("+8613912345678",), None
    )
    assert ScrubFilter().filter(record)
    assert record.getMessage() == f"sms to {REDACTED}"


def test_error_responses_do_not_echo_the_request(app_only: Stack) -> None:
    client = httpx.Client(base_url=app_only.url, timeout=10)
    token = csrf_from(client.get("/login").text)
    secret = "+8613912345678-" + "x" * 300  # too long a password: a validation error
    response = client.post(
        "/login", data={"username": "alice", "password": secret, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "13912345678" not in response.text and "xxxx" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_a_database_error_logs_no_statement_parameters(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A duplicate key's traceback names the statement, never its values (the caller's hash)."""
    line_id = make_line(db).id
    assert line_id is not None
    secret_hash = "f00d" * 16
    now = datetime.now(UTC)

    def insert(caller_hash: str) -> None:
        with db.session() as session:
            session.add(
                Call(
                    call_sid="CA" + "1" * 32,
                    line_id=line_id,
                    caller_hash=caller_hash,
                    created_at=now,
                )
            )

    insert("a" * 64)
    log = logging.getLogger("hotline.test")
    with caplog.at_level(logging.ERROR), pytest.raises(IntegrityError):
        try:
            insert(secret_hash)
        except IntegrityError:
            log.exception("webhook failed")
            raise
    assert "IntegrityError" in caplog.text and "INSERT INTO calls" in caplog.text
    assert secret_hash not in caplog.text
