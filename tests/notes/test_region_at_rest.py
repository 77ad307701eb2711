"""The caller's region in a note is free text ("温州鹿城区, near the school"): it is stored
encrypted with the rest of the note's free text, never in the plain profile, and a migration
moves the regions of notes written before into the encrypted part."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, insert, text

from hotline import crypto
from hotline.calls.models import Call
from hotline.db import Database, make_engine
from hotline.lines.models import Line
from hotline.migrate import alembic_config, upgrade
from hotline.notes import service as notes
from hotline.notes.models import CallNote
from tests.conftest import fresh_postgres_database
from tests.notes.test_api import start
from tests.stack import Stack

REGION = "温州鹿城区五马街道"
SECRET = "test-secret-key-that-is-long-enough-000"
REGION_REVISION = "5e1f7c2a9b40"


def stored(db: Database, call_id: int) -> tuple[dict[str, Any], str]:
    """The note's profile (plain JSON) and sensitive column as they are in the database."""
    with db.session() as session:
        row = session.execute(
            text("SELECT profile, sensitive FROM call_notes WHERE call_id = :id"), {"id": call_id}
        ).one()
    profile = row.profile if isinstance(row.profile, dict) else json.loads(row.profile)
    return profile, str(row.sensitive)


def insert_as_then(db: Database, table_name: str, values: dict[str, Any]) -> int:
    """A row of `table_name` with only the columns the database has at its revision."""
    table = Table(table_name, MetaData(), autoload_with=db.engine)
    known = {key: value for key, value in values.items() if key in table.columns}
    with db.engine.begin() as connection:
        key = connection.execute(insert(table).values(known)).inserted_primary_key
    assert key is not None
    return int(key[0])


def test_the_region_is_stored_encrypted_and_read_back(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    profile = {"age_band": "25_34", "gender": "female", "region": REGION}
    saved = alice.put(call_id, 1, profile=profile)
    assert saved.status_code == 200, saved.text
    assert alice.get(f"/api/calls/{call_id}/note").json()["profile"]["region"] == REGION
    plain_profile, sensitive = stored(app_only.db, call_id)
    assert "region" not in plain_profile
    assert plain_profile["age_band"] == "25_34"  # the choices stay countable
    assert REGION not in sensitive and "region" not in sensitive  # ciphertext


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hotline.db"
        return
    with fresh_postgres_database() as url:
        yield url


def test_the_migration_encrypts_the_regions_already_stored(empty_url: str) -> None:
    url = empty_url
    # Just before the migration that moves regions (wherever it ends up in the chain).
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision(REGION_REVISION)
    assert before is not None and isinstance(before.down_revision, str)
    upgrade(url, before.down_revision)
    crypto.configure(crypto.keyring_from(SECRET, None, "test"))
    db = Database(make_engine(url))
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    # The line and the author as the schema was then: today's models have columns added since.
    line = Line(number="+8657796525", name="Line", languages=["zh_CN"])
    line.id = insert_as_then(db, "lines", line.model_dump(exclude={"id"}))
    author_id = insert_as_then(
        db,
        "users",
        {
            "username": "alice",
            "display_name": "Alice",
            "role": "counselor",
            "locale": "zh_CN",
            "endpoint": "",
            "line_ids": [],
            "languages": ["zh_CN"],
            "active": True,
            "password_hash": "x",
            "created_at": now,
            "demo": False,
        },
    )
    # The call too (calls have gained columns since: the dial-back's direction).
    call = Call(call_sid="CA" + "1" * 32, line_id=line.id, caller_hash="h", created_at=now)
    call_id = insert_as_then(db, "calls", call.model_dump(exclude={"id"}))
    with db.session() as session:
        for_call = {"age_band": "25_34", "gender": "male", "population_groups": []}
        session.add(
            CallNote(
                call_id=call_id,
                author_id=author_id,
                profile={**for_call, "region": REGION},
                sensitive=json.dumps({"summary": "words"}),
                created_at=now,
                updated_at=now,
            )
        )
    assert stored(db, call_id)[0]["region"] == REGION

    upgrade(url)
    plain_profile, sensitive = stored(db, call_id)
    assert "region" not in plain_profile and REGION not in sensitive
    with db.session() as session:
        note = notes.note_of(session=session, call_id=call_id)
        assert note is not None
        fields = notes.fields_of(note)
    assert fields.profile.region == REGION and fields.summary == "words"
    assert fields.profile.age_band == "25_34"
    db.engine.dispose()
