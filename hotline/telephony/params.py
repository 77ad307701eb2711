"""Reading Twilio's webhook values at the edge: anything malformed is refused (400) or read as
"nothing", before any state changes, so no value a signed request carries can reach the database
or an `int()` it does not fit (``"²".isdigit()`` is true, ``int("²")`` fails; a 5,000-digit
string is beyond Python's int parsing limit and every integer column)."""

from __future__ import annotations

import re

from fastapi import HTTPException, Request

# Twilio's SIDs: two letters and 32 hex digits. Conferences we name (CF + our own key in tests and
# the simulator) are only bounded: they are matched against stored values, never parsed.
SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
LOOSE_SID = re.compile(r"[A-Z]{2}[0-9A-Za-z]{1,32}")
STRICT_SID_FIELDS = ("AccountSid", "CallSid", "ParentCallSid", "RecordingSid", "MessageSid")
LOOSE_SID_FIELDS = ("ConferenceSid",)
# The longest value any webhook has reason to carry (an SMS Body is at most 1,600 characters).
MAX_VALUE_CHARS = 2048
# Our ids are 32-bit on PostgreSQL: a larger one names nothing.
MAX_ID = 2**31 - 1
# Keys a caller can press: Twilio sends at most what the <Gather> asked for (one key here).
MAX_KEYS = 32
KEYS = re.compile(r"[0-9*#]+")
# A participant label we set: "<role>:<user id>".
LABEL = re.compile(r"(counselor|supervisor|crisis):([0-9]{1,10})")


def check_form(params: dict[str, str]) -> None:
    """Refuse (400) a form whose values cannot be Twilio's: over-long, or an ill-formed SID."""
    for name, value in params.items():
        if len(name) > 64 or len(value) > MAX_VALUE_CHARS:
            raise HTTPException(status_code=400, detail="a parameter is too long")
    for name in STRICT_SID_FIELDS:
        if params.get(name) and not SID.fullmatch(params[name]):
            raise HTTPException(status_code=400, detail=f"{name} is not a Twilio SID")
    for name in LOOSE_SID_FIELDS:
        if params.get(name) and not LOOSE_SID.fullmatch(params[name]):
            raise HTTPException(status_code=400, detail=f"{name} is not a Twilio SID")


def as_id(value: str | None) -> int | None:
    """A positive database id written in ASCII digits, or None."""
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def query_id(request: Request, name: str) -> int:
    """The id in the query string's `name`: 400 if it is missing or no id."""
    found = as_id(request.query_params.get(name))
    if found is None:
        raise HTTPException(status_code=400, detail=f"{name} is not an id")
    return found


def keys(value: str | None) -> str:
    """The keys a caller pressed, or "" for anything no keypad sends (unknown keys then get the
    menu's default, as a timeout does)."""
    if not value or len(value) > MAX_KEYS or not KEYS.fullmatch(value):
        return ""
    return value


def participant(label: str) -> tuple[str, int] | None:
    """(role, user id) of a participant label we set, or None for any other label."""
    found = LABEL.fullmatch(label)
    if found is None:
        return None
    user_id = as_id(found.group(2))
    return (found.group(1), user_id) if user_id is not None else None
