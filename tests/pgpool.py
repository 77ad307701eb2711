"""Copies of the PostgreSQL template, reused from one test to the next once put back as they were.

A CREATE DATABASE ... TEMPLATE and a DROP DATABASE cost about a second between them (each writes
and syncs files), on every PostgreSQL test. A copy a test has finished with is instead put back
in one transaction: its sessions ended (as DROP ... WITH (FORCE) would), every row deleted, the
rows the migrations wrote (the template's) copied back, every sequence set where the template's
stands. A copy whose schema the test changed (a table created, a trigger disabled, ...: anything
in the catalogs other than rows) is dropped as before, never reused. So a test sees exactly what
a fresh copy would show, and nothing of the test before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

# Everything a test could change in a database other than its rows: the user objects (oid at or
# above FirstNormalObjectId) of the catalogs that describe tables, columns, constraints,
# triggers (and whether they are enabled), functions, types, schemas and defaults, and the
# database's own settings.
_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, '|' ORDER BY item)) FROM (
    SELECT 'class ' || oid || ' ' || relname || ' ' || relkind::text || ' ' || relnamespace
        || ' ' || relrowsecurity AS item FROM pg_class WHERE oid >= 16384
    UNION ALL SELECT 'column ' || attrelid || ' ' || attnum || ' ' || attname || ' '
        || atttypid || ' ' || attnotnull || ' ' || atthasdef || ' ' || attisdropped
        FROM pg_attribute WHERE attrelid >= 16384
    UNION ALL SELECT 'constraint ' || oid || ' ' || conname || ' ' || convalidated
        FROM pg_constraint WHERE oid >= 16384
    UNION ALL SELECT 'trigger ' || oid || ' ' || tgname || ' ' || tgenabled::text
        FROM pg_trigger WHERE oid >= 16384
    UNION ALL SELECT 'function ' || oid || ' ' || md5(prosrc) FROM pg_proc WHERE oid >= 16384
    UNION ALL SELECT 'type ' || oid || ' ' || typname FROM pg_type WHERE oid >= 16384
    UNION ALL SELECT 'enum ' || oid || ' ' || enumlabel FROM pg_enum WHERE oid >= 16384
    UNION ALL SELECT 'schema ' || oid || ' ' || nspname FROM pg_namespace WHERE oid >= 16384
    UNION ALL SELECT 'default ' || oid || ' ' || md5(adbin::text) FROM pg_attrdef
        WHERE oid >= 16384
    UNION ALL SELECT 'policy ' || oid FROM pg_policy WHERE oid >= 16384
    UNION ALL SELECT 'setting ' || setrole || ' ' || array_to_string(setconfig, ',')
        FROM pg_db_role_setting WHERE setdatabase = (
            SELECT oid FROM pg_database WHERE datname = current_database())
) AS catalog
"""

_TABLES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""

_SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, last_value
FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""


@dataclass(frozen=True)
class _Snapshot:
    """A fresh copy as the template left it: its schema, its rows and its sequences."""

    fingerprint: str
    rows: dict[str, bytes]  # table -> COPY ... TO STDOUT of its rows, for tables with rows
    script: str  # the statements that delete every row and set every sequence back


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _fingerprint(connection: psycopg.Connection[tuple[object, ...]]) -> str:
    row = connection.execute(_SCHEMA_FINGERPRINT).fetchone()
    assert row is not None
    return str(row[0])


def _snapshot(url: str) -> _Snapshot:
    with psycopg.connect(_conninfo(url)) as connection:
        tables = [str(row[0]) for row in connection.execute(_TABLES)]
        rows: dict[str, bytes] = {}
        for table in tables:
            data = bytearray()
            with connection.cursor().copy(
                sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.SQL(table))
            ) as copy:
                for chunk in copy:
                    data += chunk
            count = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table)))
            counted = count.fetchone()
            if counted is not None and counted[0]:
                rows[table] = bytes(data)
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f"DELETE FROM {table}" for table in tables]
        for name, start, last in connection.execute(_SEQUENCES):
            value, called = (start, "false") if last is None else (last, "true")
            statements.append(f"SELECT setval('{name}'::regclass, {int(value)}, {called})")
        return _Snapshot(_fingerprint(connection), rows, ";\n".join(statements))


def _put_back(url: str, snapshot: _Snapshot) -> bool:
    """End the test's sessions (as DROP DATABASE ... WITH (FORCE) would), delete every row, copy
    back the template's, set the sequences; False (rows untouched) when the test changed the
    schema, so the copy cannot be reused."""
    with psycopg.connect(_conninfo(url), autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if _fingerprint(connection) != snapshot.fingerprint:
            return False
        with connection.transaction():
            # One round trip (no parameters: the simple protocol takes several statements). No
            # trigger or foreign key fires while the rows go (audit_log refuses deletes; the
            # order of the tables does not matter) and come back.
            connection.execute(snapshot.script.encode())
            for table, data in snapshot.rows.items():
                with connection.cursor().copy(
                    sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.SQL(table))
                ) as copy:
                    copy.write(data)
    return True


class PostgresPool:
    """This process's copies of the template: `take()` one, `give_back()` it after the test."""

    def __init__(
        self,
        admin_url: str,
        template: str,
        create: Callable[[str, str], None],
        drop: Callable[[str], None],
    ) -> None:
        self.admin_url = admin_url
        self.template = template
        self._create = create  # (name, template)
        self._drop = drop  # (name)
        self._free: list[str] = []
        self._all: set[str] = set()
        self._snapshot: _Snapshot | None = None

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def take(self) -> str:
        if self._free:
            return self._free.pop()
        name = f"hotline_test_{uuid.uuid4().hex[:12]}"
        self._create(name, self.template)
        self._all.add(name)
        if self._snapshot is None:
            self._snapshot = _snapshot(self.url(name))
        return name

    def give_back(self, name: str) -> None:
        assert self._snapshot is not None
        reused = False
        try:
            reused = _put_back(self.url(name), self._snapshot)
        finally:
            if reused:
                self._free.append(name)
            else:
                self._all.discard(name)
                self._drop(name)

    def close(self) -> None:
        for name in sorted(self._all):
            self._drop(name)
        self._all.clear()
        self._free.clear()
