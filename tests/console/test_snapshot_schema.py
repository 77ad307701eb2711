"""The console's snapshot has a description (hotline/routing/schemas.py) that every snapshot sent
is checked against: a field it does not name, or a value of the wrong kind, is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from hotline.routing.schemas import ConsoleSnapshot


def counselor_snapshot() -> dict[str, Any]:
    return {
        "type": "snapshot",
        "server_time": "2026-12-07T03:00:00+00:00",
        "agent": {"state": "on_call", "reason": None, "since": "2026-12-07T02:58:00+00:00"},
        "offer": None,
        "call": {
            "call_id": 7,
            "state": "connected",
            "line_name": "96525",
            "line_number": "+8657796525",
            "language": "zh_CN",
            "in_danger": False,
            "repeat_caller": True,
            "high_risk_history": False,
            "crisis_level": "high",
            "escalated": True,
            "escalation": {
                "escalation_id": 3,
                "level": "high",
                "status": "paging",
                "rescue_status": None,
            },
            "connected_at": "2026-12-07T02:58:00+00:00",
            "ended_at": None,
            "help": None,
        },
        "alerts": [],
        "unfinished_notes": [],
        "followups_due": {"count": 2, "priority": 1},
    }


def test_a_counselor_snapshot_is_sent_as_it_was_built() -> None:
    built = counselor_snapshot()
    assert ConsoleSnapshot.model_validate(built).message() == built  # supervisors' parts absent


def test_an_undescribed_field_is_refused() -> None:
    built = counselor_snapshot()
    built["call"]["caller_number"] = "+8613800000000"
    with pytest.raises(ValidationError, match="caller_number"):
        ConsoleSnapshot.model_validate(built)


def test_a_value_of_the_wrong_kind_is_refused() -> None:
    built = counselor_snapshot()
    built["call"]["state"] = "ringing"
    with pytest.raises(ValidationError, match="state"):
        ConsoleSnapshot.model_validate(built)
