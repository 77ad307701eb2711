"""Re-encrypt data at rest under the current data key, while the service keeps running.

Rotation, step by step (see README, "Data at rest"):
1. `hotline keys generate NEW` and append the entry to HOTLINE_DATA_KEYS on every instance (the
   last key is current): new values are written with it, older values still decrypt with theirs.
2. `hotline keys rotate`: every encrypted value not yet under the current key is decrypted and
   written back under it, a small batch per short transaction. Each row is updated only if it
   still holds the value that was read (compare-and-set), so a note saved meanwhile by the app is
   never overwritten; such a row is already under the current key anyway. Running it again, or
   after an interruption, carries on with what is left.
3. `hotline keys status` shows no value under the old key: remove it from HOTLINE_DATA_KEYS.

The encrypted columns are found from the table metadata (every column of type EncryptedText), so
a new table with an encrypted column is rotated without changing this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    Text,
    func,
    literal,
    select,
    type_coerce,
    update,
)

import hotline.models  # noqa: F401 - every table in the metadata
from hotline.crypto import VERSION, DecryptionError, EncryptedText, Keyring
from hotline.db import Database, metadata

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: Column[str]
    primary_key: Column[int]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"


@dataclass
class ColumnReport:
    name: str
    rotated: int = 0  # re-encrypted under the current key
    already_current: int = 0  # found under the current key (counted by `status` only)
    changed_meanwhile: int = 0  # rewritten by the app between read and write: left as it is
    failed: list[str] = field(default_factory=list)  # primary keys that would not decrypt


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedText column of every table, in a stable order."""
    found: list[EncryptedColumn] = []
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                if len(keys) != 1:
                    raise RuntimeError(f"{table.name}: rotation needs a one-column primary key")
                found.append(EncryptedColumn(table, column, keys[0]))
    return found


def _raw(column: Column[str]) -> ColumnElement[str]:
    """The column as stored (the ciphertext), bypassing EncryptedText's decryption."""
    return type_coerce(column, Text())


def _current_prefix(keyring: Keyring) -> str:
    return f"{VERSION}:{keyring.current_id}:"


def _batches(
    db: Database, target: EncryptedColumn, *, prefix: str | None, batch: int
) -> Iterator[list[tuple[int, str]]]:
    """(primary key, stored value) in key order, `batch` at a time; only values not starting
    with `prefix` when it is given. Each batch is read in its own short transaction."""
    raw = _raw(target.column)
    last: int | None = None
    while True:
        query = select(target.primary_key, raw).where(target.column.is_not(None))
        if prefix is not None:
            query = query.where(func.substr(raw, 1, len(prefix)) != prefix)
        if last is not None:
            query = query.where(target.primary_key > last)
        query = query.order_by(target.primary_key).limit(batch)
        with db.session() as session:
            rows = [(int(pk), str(value)) for pk, value in session.execute(query)]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate(
    *,
    db: Database,
    keyring: Keyring,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[ColumnReport], None] | None = None,
) -> list[ColumnReport]:
    """Re-encrypt every stored value that is not under `keyring`'s current key."""
    prefix = _current_prefix(keyring)
    reports: list[ColumnReport] = []
    for target in encrypted_columns():
        report = ColumnReport(target.name)
        raw = _raw(target.column)
        for rows in _batches(db, target, prefix=prefix, batch=batch):
            fresh: list[tuple[int, str, str]] = []
            for pk, stored in rows:
                try:
                    fresh.append((pk, stored, keyring.encrypt(keyring.decrypt(stored))))
                except DecryptionError:
                    report.failed.append(str(pk))
            with db.session() as session:  # one short write transaction per batch
                for pk, stored, sealed in fresh:
                    result = session.execute(
                        update(target.table)
                        .where(target.primary_key == pk, raw == stored)
                        .values({target.column.name: literal(sealed, Text())})
                    )
                    if result.rowcount == 1:  # type: ignore[attr-defined]
                        report.rotated += 1
                    else:
                        report.changed_meanwhile += 1
            if progress is not None:
                progress(report)
        reports.append(report)
    return reports


def key_usage(*, db: Database, batch: int = 1000) -> dict[str, Counter[str]]:
    """For each encrypted column, how many stored values each key id encrypts."""
    usage: dict[str, Counter[str]] = {}
    for target in encrypted_columns():
        counts: Counter[str] = Counter()
        for rows in _batches(db, target, prefix=None, batch=batch):
            for _pk, stored in rows:
                parts = stored.split(":", 2)
                counts[parts[1] if len(parts) == 3 else "(not encrypted)"] += 1
        usage[target.name] = counts
    return usage
