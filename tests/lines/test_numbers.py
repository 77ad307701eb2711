"""A line's second number is seen everywhere its first is: the lookup by dialled number, the
readiness check of where the provider points each number, and the fallback kept in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.config import Settings
from hotline.db import Database
from hotline.lines import service as lines
from hotline.readiness import check
from hotline.telephony.fallback import Fallbacks
from tests.factories import make_line

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LOCAL, NATIONAL = "+8657796525", "+8612356"
PUBLIC = "https://hotline.example.org"


class Directory:
    """Where the provider points each number: the national one still goes elsewhere."""

    def number_voice_urls(self) -> dict[str, str | None]:
        return {
            LOCAL: PUBLIC + "/twilio/voice/incoming",
            NATIONAL: "https://old.example.org/voice",
        }


def test_the_second_number_is_looked_up_checked_and_remembered(
    db: Database, database_url: str
) -> None:
    line = make_line(db, number=LOCAL, other_numbers=[NATIONAL], partner_number="+8657700000")
    settings = Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-000",
        telephony_mode="twilio",
        public_base_url=PUBLIC,
    )  # type: ignore[call-arg]
    with db.session() as session:
        found = lines.get_by_number(session=session, number=NATIONAL)
        assert found is not None and found.id == line.id
        assert lines.active_numbers(session=session) == [LOCAL, NATIONAL]
        findings = check(session, settings, NOW, Directory())
        by_line = lines.numbers_by_line(session=session)
        every = lines.list_lines(session=session)
    assert [f.subject for f in findings if f.code == "number_pointed"] == [LOCAL]
    assert [f.subject for f in findings if f.code == "number_elsewhere"] == [NATIONAL]

    memory = Fallbacks(settings)
    memory.replace(every, by_line)
    assert memory.get(NATIONAL).partner_number == "+8657700000"
    assert memory.get(LOCAL).partner_number == "+8657700000"
