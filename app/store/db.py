"""Opening the SQLite file safely, and the ordered schema migrations.

Every connection is put in the mode of :mod:`app.store.sqlite` (WAL, ``synchronous=FULL``,
``secure_delete=ON``, temporary tables in memory), the one opener the console's store uses
too. The schema version is SQLite's ``user_version``; ``MIGRATIONS[n]`` takes a database
from version ``n`` to ``n + 1`` inside one transaction, so an update that is interrupted
leaves the old, still readable version behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.pool import StaticPool

from app.store import sqlite
from app.store.errors import Corrupt, StoreError

DB_NAME = "waymark.db"
DB_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal")

_V1 = [
    """CREATE TABLE keyring (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        wrapped_key BLOB NOT NULL,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL)""",
    """CREATE TABLE unlock_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        failures INTEGER NOT NULL DEFAULT 0,
        not_before FLOAT NOT NULL DEFAULT 0)""",
    "INSERT INTO unlock_state (id, failures, not_before) VALUES (1, 0, 0)",
    """CREATE TABLE enrolment (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        server_url TEXT NOT NULL,
        device_id TEXT NOT NULL,
        site TEXT NOT NULL,
        agency_public_key BLOB NOT NULL,
        secrets BLOB NOT NULL,
        enrolled_at TEXT NOT NULL)""",
    """CREATE TABLE record (
        id TEXT PRIMARY KEY,
        form_id TEXT NOT NULL,
        form_version TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finalised_at TEXT,
        revision INTEGER NOT NULL DEFAULT 0,
        session BLOB,
        sealed BLOB,
        digest TEXT,
        sync_state TEXT)""",
    "CREATE INDEX ix_record_status ON record (status, created_at)",
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        record_id TEXT,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL)""",
]

_V2 = [
    # Sync bookkeeping and configurable retention after the server's acknowledgement.
    "ALTER TABLE record ADD COLUMN sync_attempts INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE record ADD COLUMN acked_at TEXT",
    "ALTER TABLE record ADD COLUMN purge_after TEXT",
    "ALTER TABLE record ADD COLUMN device_id TEXT",
    "ALTER TABLE record ADD COLUMN sync_detail TEXT",
    "CREATE INDEX ix_record_sync ON record (sync_state, finalised_at)",
    # The audit head, so that removing the newest entries is noticed too.
    """CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL)""",
    "INSERT INTO audit_head (id, seq, hash) "
    "SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
]

#: MIGRATIONS[n] upgrades version n to n + 1.
MIGRATIONS: list[list[str]] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    sqlite.configure(dbapi_connection)  # we issue BEGIN IMMEDIATE ourselves


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(path: Path) -> Engine:
    """One shared connection to the store's file (callers serialise access with a lock)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        poolclass=StaticPool,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def schema_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> list[int]:
    """Apply the missing steps up to ``target``, each in its own transaction; the versions done."""
    done: list[int] = []
    with translate_errors():
        while True:
            with engine.begin() as conn:
                current = schema_version(conn)
                if current > SCHEMA_VERSION:
                    raise Corrupt("schema_too_new", version=current)
                if current >= target:
                    return done
                for statement in MIGRATIONS[current]:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(f"PRAGMA user_version = {current + 1}")
            done.append(current + 1)


def check_integrity(engine: Engine) -> None:
    """``PRAGMA quick_check``; :class:`Corrupt` unless SQLite says ``ok``."""
    with translate_errors(), engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        conn.rollback()
    if rows != ["ok"]:
        raise Corrupt("database_corrupt")


@contextmanager
def translate_errors() -> Iterator[None]:
    """A damaged or foreign file becomes :class:`Corrupt`, never a raw driver error."""
    try:
        yield
    except (SADatabaseError, sqlite3.DatabaseError) as exc:
        raw = getattr(exc, "orig", exc)
        name = getattr(raw, "sqlite_errorname", "")
        if isinstance(raw, sqlite3.OperationalError | sqlite3.IntegrityError) and name not in (
            "SQLITE_CORRUPT",
            "SQLITE_NOTADB",
        ):
            raise StoreError("storage_error", sqlite=name) from exc
        raise Corrupt("database_corrupt") from exc
