"""The caller's area is classed at the incoming webhook from the number's prefix; only the class
is kept with the call."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.calls.models import Call
from hotline.lines.models import Line
from hotline.lines.service import caller_area
from tests.calls import LINE, inbound
from tests.factories import make_line
from tests.stack import Stack


@pytest.mark.parametrize(
    ("number", "area"),
    [
        ("+8657112345678", "local"),
        ("057112345678", "local"),
        ("+8613812345678", "out_of_area"),
        ("anonymous", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_prefix_classes(number: str | None, area: str) -> None:
    line = Line(number="96525", name="City line", local_prefixes=["+86571", "0571"])
    assert caller_area(line, number) == area


def test_a_line_without_local_prefixes_knows_no_area() -> None:
    assert caller_area(Line(number="96525", name="x"), "+8657112345678") == "unknown"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_incoming_webhook_stores_the_class_not_the_number(app_only: Stack) -> None:
    make_line(app_only.db, number=LINE, local_prefixes=["+86577"])
    local = inbound("CA" + "1" * 32, caller="+8657712345678")
    away = inbound("CA" + "2" * 32, caller="+8613812345678")
    for params in (local, away):
        assert app_only.webhook("/twilio/voice/incoming", params).status_code == 200
    with app_only.db.session() as session:
        calls = {c.call_sid: c for c in session.exec(select(Call))}
    assert calls[local["CallSid"]].caller_area == "local"
    assert calls[away["CallSid"]].caller_area == "out_of_area"
    assert all("12345678" not in str(c.model_dump()) for c in calls.values())
