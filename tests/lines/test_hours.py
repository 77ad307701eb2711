"""Opening hours as pure functions: spans across midnight, holidays and special days, in a zone
without daylight saving (Asia/Shanghai) and one with it (Europe/Berlin), at the midnight edges."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hotline.lines import service as lines
from hotline.lines.admin import parse_spans, parse_special_days
from hotline.lines.models import Line
from hotline.lines.preview import preview

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NIGHTS = {day: [["20:00", "08:00"]] for day in lines.WEEKDAYS}


def at(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def line(**fields: object) -> Line:
    values: dict[str, object] = {"number": "+8657796525", "name": "Test", "languages": ["en"]}
    values.update(fields)
    return Line(**values)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-11-23 19:59", False),  # Monday, before the span
        ("2026-11-23 20:00", True),  # its start
        ("2026-11-23 23:59", True),
        ("2026-11-24 00:00", True),  # midnight: Monday's span goes on
        ("2026-11-24 07:59", True),
        ("2026-11-24 08:00", False),  # its end
        ("2026-11-24 12:00", False),
    ],
)
def test_a_span_across_midnight_covers_the_next_morning(local: str, expected: bool) -> None:
    hours = {"mon": [["20:00", "08:00"]]}
    assert lines.open_at(hours, None, datetime.fromisoformat(local)) is expected


def test_the_old_rule_never_opened_an_overnight_line_and_this_one_does() -> None:
    night = line(opening_hours=NIGHTS, timezone="Asia/Shanghai")
    assert lines.is_open(night, at(SHANGHAI, "2026-11-23 23:00").astimezone(UTC))
    assert lines.is_open(night, at(SHANGHAI, "2026-11-24 03:00").astimezone(UTC))
    assert not lines.is_open(night, at(SHANGHAI, "2026-11-24 12:00").astimezone(UTC))


def test_sunday_night_runs_into_monday_morning() -> None:
    hours = {"sun": [["22:00", "06:00"]]}
    assert lines.open_at(hours, None, datetime(2026, 11, 30, 5, 59))  # Monday
    assert not lines.open_at(hours, None, datetime(2026, 11, 30, 6, 0))


def test_several_spans_a_day_and_24_00() -> None:
    hours = {"tue": [["09:00", "12:00"], ["14:00", "24:00"]]}
    tuesday = datetime(2026, 11, 24)
    assert lines.open_at(hours, None, tuesday.replace(hour=11, minute=59))
    assert not lines.open_at(hours, None, tuesday.replace(hour=13))
    assert lines.open_at(hours, None, tuesday.replace(hour=23, minute=59))
    assert not lines.open_at(hours, None, datetime(2026, 11, 25, 0, 0))


def test_a_holiday_closed_all_day_replaces_its_weekday() -> None:
    special = {"2026-12-25": []}
    assert not lines.open_at(NIGHTS, special, datetime(2026, 12, 25, 23, 0))
    # The night before the holiday is the 24th's: it still runs into the holiday's morning.
    assert lines.open_at(NIGHTS, special, datetime(2026, 12, 25, 3, 0))
    # The holiday's own night is gone, so is its spill into the 26th.
    assert not lines.open_at(NIGHTS, special, datetime(2026, 12, 26, 3, 0))
    assert lines.open_at(NIGHTS, special, datetime(2026, 12, 26, 23, 0))


def test_a_special_day_with_its_own_hours() -> None:
    special = {"2026-10-01": [["10:00", "16:00"]]}
    assert lines.open_at(NIGHTS, special, datetime(2026, 10, 1, 12, 0))
    assert not lines.open_at(NIGHTS, special, datetime(2026, 10, 1, 21, 0))


def test_special_days_only_open_the_line_those_days_and_nothing_is_24h() -> None:
    assert lines.open_at(None, None, datetime(2026, 1, 1, 3, 0))
    assert not lines.open_at({}, {"2026-10-01": []}, datetime(2026, 10, 1, 3, 0))


def test_the_line_time_zone_decides_not_utc() -> None:
    night = line(opening_hours={"mon": [["20:00", "08:00"]]}, timezone="Asia/Shanghai")
    # Monday 13:00 UTC is Monday 21:00 in Shanghai.
    assert lines.is_open(night, datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    assert not lines.is_open(night, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))


def test_a_dst_zone_keeps_wall_clock_hours_across_the_change() -> None:
    """Europe/Berlin leaves summer time on 2026-10-25 (03:00 -> 02:00): the span is wall clock."""
    night = line(opening_hours={"sat": [["22:00", "02:30"]]}, timezone="Europe/Berlin")
    saturday_night = at(BERLIN, "2026-10-24 23:30")
    assert saturday_night.utcoffset() is not None
    assert lines.is_open(night, saturday_night.astimezone(UTC))
    # 02:15 happens twice that night; both are inside the span.
    first = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 CEST
    second = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET
    assert lines.is_open(night, first) and lines.is_open(night, second)
    assert not lines.is_open(night, datetime(2026, 10, 25, 1, 45, tzinfo=UTC))  # 02:45 CET
    # A summer day: 09:00 local is 07:00 UTC; in winter it is 08:00 UTC.
    day = line(
        opening_hours={d: [["09:00", "17:00"]] for d in lines.WEEKDAYS}, timezone="Europe/Berlin"
    )
    assert lines.is_open(day, datetime(2026, 7, 1, 7, 0, tzinfo=UTC))
    assert not lines.is_open(day, datetime(2026, 12, 1, 7, 30, tzinfo=UTC))
    assert lines.is_open(day, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


def test_decide_says_when_it_is_a_special_day() -> None:
    holiday = line(opening_hours=NIGHTS, special_days={"2026-12-25": []}, timezone="Asia/Shanghai")
    decision = lines.decide(holiday, at(SHANGHAI, "2026-12-25 23:00"))
    assert (decision.open, decision.special_day) == (False, True)
    assert decision.local.hour == 23
    assert lines.local_time(holiday, decision.local.date(), time(3)).hour == 3


def test_parsing_the_spans_people_type() -> None:
    assert parse_spans("09:00-12:00, 20:00-08:00") == [["09:00", "12:00"], ["20:00", "08:00"]]
    assert parse_spans("  ") == []
    for bad in ("9-17", "09:00", "25:00-26:00", "10:00-10:00", "24:00-01:00", "ten to five"):
        with pytest.raises(ValueError):
            parse_spans(bad)
    assert parse_special_days("2026-12-25 closed\n2026-10-01: 10:00-16:00\n") == {
        "2026-10-01": [["10:00", "16:00"]],
        "2026-12-25": [],
    }
    with pytest.raises(ValueError):
        parse_special_days("Christmas closed")


def test_the_preview_follows_the_after_hours_action() -> None:
    night = line(
        opening_hours=NIGHTS,
        special_days={"2026-12-25": []},
        timezone="Asia/Shanghai",
        partner_number="+8612356",
        after_hours_action="forward",
    )
    opened = preview(night, at(SHANGHAI, "2026-11-28 03:00"))  # a Saturday, 03:00
    assert opened.open and opened.action == "open"
    assert opened.heard[0].kind == "say" and "Welcome to the Test" in opened.heard[0].text
    closed = preview(night, at(SHANGHAI, "2026-12-25 23:00"))
    assert not closed.open and closed.special_day and closed.action == "forward"
    assert [h.kind for h in closed.heard] == ["say", "say", "dial", "hangup"]
    assert closed.heard[2].text == "+8612356"
    night.after_hours_action = "voicemail"
    assert [h.kind for h in preview(night, at(SHANGHAI, "2026-12-25 23:00")).heard] == [
        "say",
        "say",
        "record",
        "hangup",
    ]
    night.after_hours_action = "forward"
    night.partner_number = None
    emergency = preview(night, at(SHANGHAI, "2026-12-25 23:00"))
    assert emergency.action == "emergency" and "110" in emergency.heard[1].text


def test_the_preview_of_an_inactive_line_is_not_in_service() -> None:
    gone = line(active=False)
    result = preview(gone, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    assert result.action == "inactive" and not result.open
    assert result.heard[1].text == "This number is not in service."  # after the Chinese


def test_the_preview_greets_in_each_of_the_lines_languages_in_order() -> None:
    both = line(
        languages=["en", "zh_CN"],
        greetings={"en": "Hello from the West Lake line.", "zh_CN": "您好，这里是西湖心理热线。"},
    )
    opened = preview(both, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    said = [h.text for h in opened.heard if h.kind == "say"]
    assert said.index("Hello from the West Lake line.") < said.index("您好，这里是西湖心理热线。")
    # A recording replaces one language's greeting, and the preview names it.
    played = preview(
        both,
        datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        audio={("greeting", "zh_CN"): "https://hotline.example/twilio/prompts/abc"},
    )
    assert [h.kind for h in played.heard][:3] == ["say", "say", "play"]
    assert played.heard[2].text == "https://hotline.example/twilio/prompts/abc"
    assert "您好，这里是西湖心理热线。" not in [h.text for h in played.heard]
