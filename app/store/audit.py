"""The append-only, hash-chained audit log: who did what to which record, never what was said.

Each entry's ``hash`` is SHA-256 over its own fields and the previous entry's hash, and the
newest entry's sequence number and hash are kept in ``audit_head``: editing, removing or
reordering an entry, or cutting off the newest ones, breaks the chain and :func:`verify` says
where. (Someone able to rewrite the whole file can forge a fresh chain; the log shows tampering
by the app's own users and by careless tools, it does not stop an attacker with the raw file.)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from app.store import chain, db

GENESIS = chain.GENESIS
Report = chain.Report


class Event(StrEnum):
    """What the log records (details are codes and counts only)."""

    pin_set = "pin_set"
    pin_changed = "pin_changed"
    unlock = "unlock"
    unlock_failed = "unlock_failed"
    lock = "lock"
    enrol = "enrol"
    create = "create"
    view = "view"
    edit = "edit"
    finalise = "finalise"
    seal = "seal"
    sync = "sync"
    purge = "purge"
    withdraw = "withdraw"
    wipe = "wipe"
    migrate = "migrate"


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    event: str
    record_id: str | None
    detail: dict[str, Any]
    prev: str
    hash: str


def entry_hash(seq: int, at: str, event: str, record_id: str | None, detail: str, prev: str) -> str:
    return chain.entry_hash(seq, at, event, record_id, detail, prev)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def append(
    conn: Connection | sqlite3.Cursor,
    event: Event | str,
    record_id: str | None = None,
    *,
    at: str | None = None,
    **detail: Any,
) -> Entry:
    """Add one entry inside the caller's transaction (so it commits with what it records).

    ``detail`` holds codes and counts only, never anything a person said."""
    run = conn.exec_driver_sql if isinstance(conn, Connection) else conn.execute
    head = run("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    seq, prev = (int(head[0]) + 1, str(head[1])) if head else (1, GENESIS)
    at = at or _now()
    detail_text = json.dumps(detail, sort_keys=True, ensure_ascii=True)
    digest = entry_hash(seq, at, str(event), record_id, detail_text, prev)
    run(
        "INSERT INTO audit (seq, at, event, record_id, detail, prev, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, str(event), record_id, detail_text, prev, digest),
    )
    run(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (seq, digest),
    )
    return Entry(seq, at, str(event), record_id, detail, prev, digest)


def _rows(conn: Connection) -> Iterator[tuple[Any, ...]]:
    yield from conn.exec_driver_sql(
        "SELECT seq, at, event, record_id, detail, prev, hash FROM audit ORDER BY rowid"
    )


def links(conn: Connection) -> list[chain.Link]:
    """The stored entries as chain links, in storage order."""
    return [
        chain.Link(int(seq), at, event, record_id, detail, prev, digest)
        for seq, at, event, record_id, detail, prev, digest in _rows(conn)
    ]


def head(conn: Connection) -> tuple[int, str] | None:
    row = conn.exec_driver_sql("SELECT seq, hash FROM audit_head WHERE id = 1").first()
    return (int(row[0]), str(row[1])) if row is not None else None


def verify_connection(conn: Connection) -> Report:
    """Walk the chain in storage order and check every link, then the head."""
    return chain.verify(links(conn), head(conn))


def verify_file(data_dir: Path) -> Report:
    """Verify the log of the store in ``data_dir`` without a PIN (the log holds no secrets)."""
    path = Path(data_dir) / db.DB_NAME
    if not path.exists():
        return Report(False, 0, "no_store")
    engine = db.open_engine(path)
    try:
        with db.translate_errors(), engine.connect() as conn:
            if db.schema_version(conn) < 2:
                conn.rollback()
                return Report(False, 0, "schema_too_old")
            report = verify_connection(conn)
            conn.rollback()
        return report
    finally:
        engine.dispose()


class AuditLog:
    """The store's log, read side: entries and verification (writes happen inside the store)."""

    def __init__(self, engine: Engine, lock: threading.RLock) -> None:
        self._engine = engine
        self._lock = lock

    def entries(self, *, event: str | None = None, record_id: str | None = None) -> list[Entry]:
        with self._lock, db.translate_errors(), self._engine.connect() as conn:
            out = [
                Entry(int(r[0]), r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])
                for r in _rows(conn)
                if (event is None or r[2] == event) and (record_id is None or r[3] == record_id)
            ]
            conn.rollback()
        return out

    def verify(self) -> Report:
        with self._lock, db.translate_errors(), self._engine.connect() as conn:
            report = verify_connection(conn)
            conn.rollback()
        return report
