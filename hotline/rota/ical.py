"""A person's on-call shifts as an iCalendar (RFC 5545) feed, written by hand, and the token that
lets a calendar app fetch it without a session."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_LINE_OCTETS = 75  # RFC 5545 3.1, not counting the CRLF
PRODID = "-//hotline//rota//EN"
UID_DOMAIN = "rota.hotline"


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets; each continuation line starts with
    one space. A UTF-8 character is never split."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC ("form #2"): 20261123T010000Z."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(*, events: Iterable[Event], now: datetime, name: str) -> str:
    """A VCALENDAR with one VEVENT per event; every line ends with CRLF."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{utc_stamp(now)}",
            f"DTSTART:{utc_stamp(event.start)}",
            f"DTEND:{utc_stamp(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def event_uid(schedule_id: int, user_id: int, start: datetime) -> str:
    """Stable across fetches, so calendar apps update an event instead of duplicating it."""
    return f"{schedule_id}-{user_id}-{utc_stamp(start)}@{UID_DOMAIN}"


def feed_token(secret_key: str, user_id: int, version: int = 0) -> str:
    """The token in a person's feed URL: an HMAC of their id and the link's version (renewing
    the link revokes the older ones; changing the secret revokes all). Version 0 signs what the
    first links signed, so links given out before versions existed keep working."""
    message = f"rota-ical-feed:{user_id}" + (f":{version}" if version else "")
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def check_feed_token(secret_key: str, user_id: int, token: str | None, version: int = 0) -> bool:
    if not token:
        return False
    expected = feed_token(secret_key, user_id, version)
    return hmac.compare_digest(expected.encode(), token.encode())
