"""The iCalendar feed: RFC 5545 structure, CRLF, folding at 75 octets, UTC times, the token."""

from __future__ import annotations

from datetime import date, datetime

from hotline.rota import ical
from hotline.rota import service as rota
from hotline.rota.models import ShiftKind
from tests.rota.conftest import Team, local, utc

NAME = "危机干预小组, night line; the long name that a calendar has to fold over lines"
NOW = utc("2026-11-01 12:00")


def unfold(text: str) -> list[str]:
    """Content lines, per RFC 5545 3.1 (a CRLF followed by one space continues a line)."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare line feeds
    assert "\r" not in text.replace("\r\n", "")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    return text[:-2].replace("\r\n ", "").split("\r\n")


def events(lines: list[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def test_folding_never_splits_a_character_and_unfolds_to_the_original() -> None:
    line = "SUMMARY:" + "值班" * 60 + "abc" * 40
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 3
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line
    assert ical.fold("SHORT:x") == "SHORT:x"
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_feed_lists_a_persons_shifts_in_utc(team: Team) -> None:
    schedule_id = team.schedule(NAME)
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)
    lone = team.schedule("Supervisors")
    team.rotation(lone, [team.a], date(2026, 11, 5), shift=ShiftKind.daily)  # a alone: one event
    with team.db.session() as session:
        text = rota.ical_feed(
            session=session,
            user_id=team.a,
            start=local("2026-11-01 00:00"),
            end=local("2026-11-08 00:00"),
            now=NOW,
        )
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 4
    found = events(lines)
    for event in found:
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(event)
        assert event["DTSTAMP"] == "20261101T120000Z"
    assert len({e["UID"] for e in found}) == 4
    # 09:00 in Shanghai is 01:00 UTC; a has the 2nd, 4th and 6th, then all of "Supervisors".
    assert [(e["DTSTART"], e["DTEND"], unescape(e["SUMMARY"])) for e in found] == [
        ("20261102T010000Z", "20261103T010000Z", f"On call: {NAME}"),
        ("20261104T010000Z", "20261105T010000Z", f"On call: {NAME}"),
        ("20261105T010000Z", "20261107T160000Z", "On call: Supervisors"),
        ("20261106T010000Z", "20261107T010000Z", f"On call: {NAME}"),
    ]
    assert any(len(line.encode()) > 75 for line in lines)  # the long summary had to be folded


def test_uids_are_stable_across_fetches(team: Team) -> None:
    schedule_id = team.schedule()
    team.rotation(schedule_id, [team.a, team.b], date(2026, 11, 2), shift=ShiftKind.daily)

    def uids(now: datetime) -> list[str]:
        with team.db.session() as session:
            text = rota.ical_feed(
                session=session,
                user_id=team.a,
                start=local("2026-11-01 00:00"),
                end=local("2026-11-08 00:00"),
                now=now,
            )
        return [e["UID"] for e in events(unfold(text))]

    assert uids(NOW) == uids(utc("2026-11-01 13:00"))


def test_feed_token() -> None:
    token = ical.feed_token("secret-key", 7)
    assert ical.check_feed_token("secret-key", 7, token)
    assert not ical.check_feed_token("secret-key", 8, token)
    assert not ical.check_feed_token("other-key", 7, token)
    assert not ical.check_feed_token("secret-key", 7, None)
    assert not ical.check_feed_token("secret-key", 7, "体")
    assert rota.feed_token("secret-key", 7) == token
