"""`hotline keys rotate` on a populated database, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from hotline import crypto
from hotline.calls.models import Call, CallState, Channel
from hotline.cli import app as cli
from hotline.config import get_settings
from hotline.conversations import service as conversations
from hotline.conversations.models import Conversation, ConversationMessage, Delivery, Sender
from hotline.crypto import Keyring, keyring_from
from hotline.db import Database, make_engine
from hotline.escalation.models import Escalation
from hotline.key_rotation import encrypted_columns, key_usage, rotate
from hotline.notes.models import CallNote, NoteAddendum
from tests.factories import make_line, make_user

OLD = "old:" + base64.b64encode(bytes(range(32))).decode()
NEW = "new:" + base64.b64encode(bytes(range(50, 82))).decode()
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECRET = "test-secret-key-that-is-long-enough-000"


@pytest.fixture
def keys() -> Iterator[None]:
    """Restore the test keyring afterwards."""
    before = crypto.current_keyring()
    yield
    crypto.configure(before)


def _populate(db: Database, count: int) -> dict[tuple[str, int], str]:
    """Notes, addenda and escalations with sensitive text; what each stored value says."""
    line = make_line(db)
    alice = make_user(db, "alice")
    expected: dict[tuple[str, int], str] = {}
    with db.session() as session:
        for i in range(count):
            call = Call(
                call_sid=f"CA{i:032x}",
                line_id=line.id,  # type: ignore[arg-type]
                caller_hash=f"{i:064x}",
                state=CallState.completed,
                created_at=NOW,
            )
            session.add(call)
            session.flush()
            sensitive = json.dumps({"summary": f"第{i}位来电者：失眠，绝望", "follow_up": i})
            note = CallNote(
                call_id=call.id,  # type: ignore[arg-type]
                author_id=alice.id,  # type: ignore[arg-type]
                sensitive=sensitive if i % 5 else None,  # some notes have no sensitive part
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(note)
            session.flush()
            if i % 5:
                expected[("call_notes.sensitive", note.id)] = sensitive  # type: ignore[index]
            addendum = NoteAddendum(
                note_id=note.id,  # type: ignore[arg-type]
                author_id=alice.id,  # type: ignore[arg-type]
                text=f"补充 {i}: 回拨 +86139{i:08d}",
                created_at=NOW,
            )
            session.add(addendum)
            if i % 2 == 0:
                escalation = Escalation(
                    call_id=call.id,  # type: ignore[arg-type]
                    line_id=line.id,  # type: ignore[arg-type]
                    level="high",
                    reason=f"计划 {i}",
                    created_at=NOW,
                )
                session.add(escalation)
            session.flush()
            expected[("note_addenda.text", addendum.id)] = addendum.text  # type: ignore[index]
            if i % 2 == 0:
                expected[("escalations.reason", escalation.id)] = f"计划 {i}"  # type: ignore[index]
    return expected


def _stored(db: Database) -> dict[tuple[str, int], str]:
    """The raw stored values, read without the EncryptedText type."""
    rows: dict[tuple[str, int], str] = {}
    with db.engine.connect() as connection:
        for table, column in (
            ("call_notes", "sensitive"),
            ("note_addenda", "text"),
            ("escalations", "reason"),
        ):
            query = f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
            for pk, value in connection.execute(text(query)):
                rows[(f"{table}.{column}", pk)] = value
    return rows


def _decrypted(db: Database) -> dict[tuple[str, int], str]:
    with db.session() as session:
        values = {}
        for note in session.exec(select(CallNote)):
            if note.sensitive is not None:
                values[("call_notes.sensitive", note.id)] = note.sensitive
        for addendum in session.exec(select(NoteAddendum)):
            values[("note_addenda.text", addendum.id)] = addendum.text
        for escalation in session.exec(select(Escalation)):
            if escalation.reason is not None:
                values[("escalations.reason", escalation.id)] = escalation.reason
    return values  # type: ignore[return-value]


def test_every_encrypted_column_is_found_from_the_metadata() -> None:
    names = {column.name for column in encrypted_columns()}
    assert {"call_notes.sensitive", "note_addenda.text", "escalations.reason"} <= names
    assert {"conversation_messages.body", "conversations.address"} <= names


def test_rotation_re_encrypts_everything_and_the_old_key_can_go(
    database_url: str, keys: None
) -> None:
    db = Database(make_engine(database_url))
    crypto.configure(keyring_from(SECRET, OLD, "production"))
    expected = _populate(db, 23)
    assert len(expected) > 40
    assert all(v.startswith("v1:old:") for v in _stored(db).values())

    # The operator adds the new key (current); the app keeps running with both.
    both = keyring_from(SECRET, f"{OLD},{NEW}", "production")
    crypto.configure(both)
    with db.session() as session:  # the app writes a new note meanwhile: under the new key
        fresh = NoteAddendum(note_id=1, author_id=1, text="新写的补充", created_at=NOW)
        session.add(fresh)
        session.flush()
        expected[("note_addenda.text", fresh.id)] = "新写的补充"  # type: ignore[index]
    before = _stored(db)
    assert sum(v.startswith("v1:new:") for v in before.values()) == 1

    seen: list[int] = []
    reports = rotate(db=db, keyring=both, batch=7, progress=lambda r: seen.append(r.rotated))
    assert len(seen) > 3  # several small batches, not one long transaction
    by_name = {report.name: report for report in reports}
    assert by_name["call_notes.sensitive"].rotated == sum(1 for i in range(23) if i % 5)
    assert by_name["note_addenda.text"].rotated == 23  # the new one was already current
    assert by_name["escalations.reason"].rotated == 12
    assert all(not report.failed for report in reports)

    after = _stored(db)
    assert after.keys() == expected.keys()
    assert all(v.startswith("v1:new:") for v in after.values())
    assert all(after[k] != before[k] for k in before if before[k].startswith("v1:old:"))
    assert _decrypted(db) == expected
    usage = key_usage(db=db)
    assert set(usage["note_addenda.text"]) == {"new"}
    assert "old" not in usage["call_notes.sensitive"]

    # Idempotent: a second run has nothing left to do.
    again = rotate(db=db, keyring=both, batch=7)
    assert sum(report.rotated for report in again) == 0
    assert _stored(db) == after

    # The old key can now be removed: everything still decrypts with the new key alone.
    crypto.configure(keyring_from(SECRET, NEW, "production"))
    assert _decrypted(db) == expected
    db.engine.dispose()


def test_rotation_resumes_and_never_overwrites_a_concurrent_write(
    database_url: str, keys: None
) -> None:
    db = Database(make_engine(database_url))
    crypto.configure(keyring_from(SECRET, OLD, "production"))
    expected = _populate(db, 10)
    both = keyring_from(SECRET, f"{OLD},{NEW}", "production")
    crypto.configure(both)

    class Interrupted(Exception):
        pass

    def stop_after_first_batch(_report: object) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rotate(db=db, keyring=both, batch=3, progress=stop_after_first_batch)
    partial = _stored(db)
    assert 0 < sum(v.startswith("v1:new:") for v in partial.values()) < len(partial)

    class AppWritesMeanwhile(Keyring):
        """The app saves addendum 5 just after the rotation has read it."""

        def decrypt(self, token: str, *, aad: bytes = b"") -> str:
            plaintext = super().decrypt(token, aad=aad)
            if plaintext == expected[("note_addenda.text", 5)]:
                with db.session() as session:
                    addendum = session.get(NoteAddendum, 5)
                    assert addendum is not None
                    addendum.text = "改过的补充"
            return plaintext

    meddling = AppWritesMeanwhile({"old": bytes(range(32)), "new": bytes(range(50, 82))}, "new")
    reports = rotate(db=db, keyring=meddling, batch=3)
    expected[("note_addenda.text", 5)] = "改过的补充"
    assert sum(report.changed_meanwhile for report in reports) == 1
    assert all(not report.failed for report in reports)
    assert all(v.startswith("v1:new:") for v in _stored(db).values())
    assert _decrypted(db) == expected
    db.engine.dispose()


def test_the_cli_rotates_and_reports(
    database_url: str, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(make_engine(database_url))
    crypto.configure(keyring_from(SECRET, OLD, "production"))
    expected = _populate(db, 4)
    for name, value in {
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_DATA_KEYS": f"{OLD},{NEW}",
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_ENV": "production",
        "HOTLINE_TWILIO_AUTH_TOKEN": "a-real-looking-token",
        "HOTLINE_TELEPHONY_MODE": "twilio",  # production refuses the simulator
        "HOTLINE_PUBLIC_BASE_URL": "https://hotline.example.org",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        status = runner.invoke(cli, ["keys", "status"])
        assert status.exit_code == 0, status.output
        assert "note_addenda.text: old=4" in status.output
        result = runner.invoke(cli, ["keys", "rotate", "--batch", "2"])
        assert result.exit_code == 0, result.output
        assert "note_addenda.text: 4 re-encrypted" in result.output
        assert "all values are under key 'new'" in result.output
        status = runner.invoke(cli, ["keys", "status"])
        assert "note_addenda.text: new=4" in status.output and "old=" not in status.output
    finally:
        get_settings.cache_clear()
        os.environ.pop("HOTLINE_DATA_KEYS", None)
    crypto.configure(keyring_from(SECRET, NEW, "production"))
    assert _decrypted(db) == expected
    db.engine.dispose()


def _conversation_values(db: Database) -> dict[tuple[str, int], str | None]:
    with db.session() as session:
        values: dict[tuple[str, int], str | None] = {}
        for message in session.exec(select(ConversationMessage)):
            assert message.id is not None
            values[("conversation_messages.body", message.id)] = message.body
            values[("conversation_messages.danger_phrase", message.id)] = message.danger_phrase
        for conversation in session.exec(select(Conversation)):
            values[("conversations.address", conversation.call_id)] = conversation.address
    return values


def _conversation_stored(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        return [
            value
            for query in (
                "SELECT body FROM conversation_messages",
                "SELECT danger_phrase FROM conversation_messages WHERE danger_phrase IS NOT NULL",
                "SELECT address FROM conversations WHERE address IS NOT NULL",
            )
            for (value,) in connection.execute(text(query))
        ]


def test_the_cli_re_encrypts_text_conversations(
    database_url: str, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages' bodies, their danger phrases and the SMS number are found from the metadata
    and rotated like a note's free text."""
    db = Database(make_engine(database_url))
    crypto.configure(keyring_from(SECRET, OLD, "production"))
    line = make_line(db)
    with db.session() as session:
        for i in range(3):
            call = conversations.start(
                session=session,
                line=line,
                channel=Channel.sms,
                sender_hash=f"{i:064x}",
                now=NOW,
                max_wait_s=600,
                address=f"+86139{i:08d}",
            )
            conversations.receive(
                session=session, call=call, body=f"第{i}条：我撑不下去了", now=NOW
            )
            assert call.id is not None
            session.add(
                ConversationMessage(
                    call_id=call.id,
                    sender=Sender.person,
                    body=f"我想死 {i}",
                    at=NOW,
                    delivery=Delivery.received,
                    danger_phrase="我想死",
                )
            )
    expected = _conversation_values(db)
    stored = _conversation_stored(db)
    assert len(stored) == 3 * 2 + 3 + 3
    assert all(v.startswith("v1:old:") for v in stored)
    for name, value in {
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_DATA_KEYS": f"{OLD},{NEW}",
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_ENV": "production",
        "HOTLINE_TWILIO_AUTH_TOKEN": "a-real-looking-token",
        "HOTLINE_TELEPHONY_MODE": "twilio",
        "HOTLINE_PUBLIC_BASE_URL": "https://hotline.example.org",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["keys", "rotate", "--batch", "2"])
        assert result.exit_code == 0, result.output
        assert "conversation_messages.body: 6 re-encrypted" in result.output
        assert "conversation_messages.danger_phrase: 3 re-encrypted" in result.output
        assert "conversations.address: 3 re-encrypted" in result.output
    finally:
        get_settings.cache_clear()
        os.environ.pop("HOTLINE_DATA_KEYS", None)
    assert all(v.startswith("v1:new:") for v in _conversation_stored(db))
    crypto.configure(keyring_from(SECRET, NEW, "production"))  # the old key has gone
    assert _conversation_values(db) == expected
    db.engine.dispose()
