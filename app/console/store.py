"""The console's own encrypted store: opened records, follow-up history, erasures, audit.

One SQLite file (``console.db``, mode 0600) in the console's data folder, opened by the one
opener the field app's store uses too (:mod:`app.store.sqlite`: WAL, ``synchronous=FULL``,
``secure_delete=ON``, temporary tables in memory). Everything a record says (answers,
outcome, pathways, dates inside the payload) and every follow-up entry is AES-256-GCM
encrypted under a data key that is itself wrapped with Argon2id under the coordinator's
passphrase (``app.store.crypto``). The associated data of each blob
names its row, so a blob moved to another row does not open.

Plaintext columns are routing metadata only: record id, envelope digest and arrival sequence,
device id and its site, form id and version, the day it was received, the conflict marker.
What the submissions table and the dashboard read of each record (those columns with the
screening's date, language, pathways and flags) is sealed in listing packs of up to
:data:`PACK_ROWS` records each, so that opening the console decrypts a few blobs rather than
one per record (``listing``: pack number, how many records it holds, ciphertext bound to the
pack number).
Follow-up entries are append-only (a trigger refuses UPDATE, and DELETE unless the record's
erasure is already recorded). Erasure removes the record's rows and history, truncates the WAL
so no old page image survives, and leaves an audit entry with no content.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from app.console.errors import ConsoleError, ConsoleStoreCorrupt, WrongPassphrase
from app.store import chain, crypto, sqlite

DB_NAME = "console.db"
DB_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal")

#: Follow-up states of one pathway of one record, in their usual order.
STATES = ("referred", "accepted", "declined", "closed")
#: Which state may follow which (``None``: no follow-up yet).
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"referred"}),
    "referred": frozenset({"accepted", "declined", "closed"}),
    "accepted": frozenset({"closed"}),
    "declined": frozenset({"referred", "closed"}),
    "closed": frozenset({"referred"}),
}

_RECORD_AAD = b"waymark-console-record\x00"
_RECORD_SELECT = (
    "SELECT id, digest, seq, device_id, site, form_id, form_version, received_on, conflict,"
    " body FROM record"
)
_FOLLOW_AAD = b"waymark-console-followup\x00"
_SUMMARY_AAD = b"waymark-console-summary\x00"
_LISTING_AAD = b"waymark-console-listing\x00"
#: Record summaries per sealed listing pack: opening 100,000 records decrypts 20 blobs.
PACK_ROWS = 5000
_CORRECT_AAD = b"waymark-console-correction\x00"

_LISTING_TABLE = """CREATE TABLE listing (
        pack INTEGER PRIMARY KEY,
        rows INTEGER NOT NULL,
        body BLOB NOT NULL)"""
SCHEMA = [
    """CREATE TABLE meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        wrapped_key BLOB NOT NULL,
        agency_fingerprint TEXT,
        since INTEGER NOT NULL DEFAULT 0,
        audit_head TEXT NOT NULL DEFAULT '',
        audit_recipe INTEGER NOT NULL DEFAULT 2,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE record (
        id TEXT NOT NULL,
        digest TEXT NOT NULL,
        seq INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        site TEXT NOT NULL,
        form_id TEXT NOT NULL,
        form_version TEXT NOT NULL,
        received_on TEXT NOT NULL,
        conflict INTEGER NOT NULL DEFAULT 0,
        body BLOB NOT NULL,
        summary BLOB,
        PRIMARY KEY (id, digest))""",
    "CREATE INDEX ix_record_seq ON record (seq)",
    _LISTING_TABLE,
    """CREATE TABLE followup (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id TEXT NOT NULL UNIQUE,
        record_id TEXT NOT NULL,
        body BLOB NOT NULL)""",
    "CREATE INDEX ix_followup_record ON followup (record_id, seq)",
    """CREATE TABLE correction (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id TEXT NOT NULL UNIQUE,
        record_id TEXT NOT NULL,
        body BLOB NOT NULL)""",
    "CREATE INDEX ix_correction_record ON correction (record_id, seq)",
    """CREATE TABLE unreadable (
        record_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        seq INTEGER NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (record_id, digest))""",
    """CREATE TABLE device (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        site TEXT NOT NULL,
        role TEXT NOT NULL,
        enrolled_at TEXT,
        last_seen_at TEXT,
        revoked_at TEXT,
        waiting INTEGER)""",
    """CREATE TABLE erasure (
        record_id TEXT PRIMARY KEY,
        requested_at TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        server_done_at TEXT,
        server_count INTEGER)""",
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        record_id TEXT,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    """CREATE TRIGGER followup_no_update BEFORE UPDATE ON followup
        BEGIN SELECT RAISE(ABORT, 'followup_append_only'); END""",
    """CREATE TRIGGER followup_no_delete BEFORE DELETE ON followup
        WHEN NOT EXISTS (SELECT 1 FROM erasure WHERE record_id = OLD.record_id)
        BEGIN SELECT RAISE(ABORT, 'followup_append_only'); END""",
    """CREATE TRIGGER correction_no_update BEFORE UPDATE ON correction
        BEGIN SELECT RAISE(ABORT, 'correction_append_only'); END""",
    """CREATE TRIGGER correction_no_delete BEFORE DELETE ON correction
        WHEN NOT EXISTS (SELECT 1 FROM erasure WHERE record_id = OLD.record_id)
        BEGIN SELECT RAISE(ABORT, 'correction_append_only'); END""",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit_append_only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit_append_only'); END""",
]
SCHEMA_VERSION = 5
#: Steps from an older console store to this one, by the version each step reaches.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: ("ALTER TABLE device ADD COLUMN waiting INTEGER",),
    # what the submissions table and the dashboard read of a record, sealed apart from the
    # whole record so that opening the console does not decrypt every answer (filled in from
    # the record on the first open after this step)
    3: ("ALTER TABLE record ADD COLUMN summary BLOB",),
    # the audit chain moves to the one recipe the device's log uses (app.store.chain); the
    # entries are linked again under it on the first open after this step (recipe 1 -> 2)
    4: ("ALTER TABLE meta ADD COLUMN audit_recipe INTEGER NOT NULL DEFAULT 1",),
    # the summaries of many records sealed together in listing packs (one decryption per
    # 5,000 records when the console opens); built from the per-record summaries on the first
    # open after this step, which are then cleared
    5: (_LISTING_TABLE,),
}
_AUDIT_TRIGGERS = (
    """CREATE TRIGGER audit_no_change BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit_append_only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit_append_only'); END""",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at is not None else None


@dataclass(frozen=True)
class StoredRecord:
    """One opened envelope as the console keeps it."""

    id: str
    digest: str
    seq: int
    device_id: str
    site: str
    form_id: str
    form_version: str
    received_on: str
    conflict: bool
    received_at: str | None
    payload: dict[str, Any]

    @property
    def pathways(self) -> list[str]:
        out = (self.payload.get("outcome") or {}).get("pathways") or []
        return [str(p["id"]) for p in out if isinstance(p, dict) and p.get("id")]

    @property
    def flags(self) -> list[dict[str, Any]]:
        out = (self.payload.get("outcome") or {}).get("flags") or []
        return [f for f in out if isinstance(f, dict) and f.get("id")]


class Summary(NamedTuple):
    """What the table and the dashboard need of one record version, without its answers (a
    named tuple: the console makes one per record when it opens)."""

    id: str
    digest: str
    seq: int
    device_id: str
    site: str
    form_id: str
    form_version: str
    received_on: str
    conflict: bool
    finalised_at: str
    language: str
    pathways: tuple[str, ...]
    flags: tuple[tuple[str, str | None], ...]  # (flag id, ILO dimension or None)


def summarise(payload: dict[str, Any]) -> dict[str, Any]:
    """The summary fields of an opened payload (plain data, sealed in ``record.summary``)."""
    outcome = payload.get("outcome") or {}
    pathways = [
        str(p["id"]) for p in outcome.get("pathways") or [] if isinstance(p, dict) and p.get("id")
    ]
    flags = [
        [str(f["id"]), str(f["dimension"]) if f.get("dimension") else None]
        for f in outcome.get("flags") or []
        if isinstance(f, dict) and f.get("id")
    ]
    return {
        "finalised_at": str(payload.get("finalised_at") or ""),
        "language": str(payload.get("language") or ""),
        "pathways": pathways,
        "flags": flags,
    }


@dataclass(frozen=True)
class NewRecord:
    """An opened envelope to keep (see :meth:`ConsoleStore.add_records`)."""

    record_id: str
    digest: str
    seq: int
    device_id: str
    site: str
    form_id: str
    form_version: str
    received_at: datetime | None
    conflict: bool
    payload: dict[str, Any]


@dataclass(frozen=True)
class FollowUp:
    """One entry of a pathway's history: the state it moved to, when and by whom."""

    seq: int
    entry_id: str
    record_id: str
    pathway: str
    state: str
    at: str
    by: str
    note: str = ""


@dataclass(frozen=True)
class Correction:
    """A correction of one answer, served on the person's request: the original stays in the
    record; exports and the record view show the corrected value."""

    seq: int
    entry_id: str
    record_id: str
    path: str
    value: Any
    at: str
    by: str
    reason: str = ""


@dataclass(frozen=True)
class Erasure:
    record_id: str
    requested_at: str
    requested_by: str
    server_done_at: str | None
    server_count: int | None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    event: str
    record_id: str | None
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


class ConsoleStore:
    """The console's store, unlocked with the coordinator's passphrase.

    Thread-safe: one connection, serialised by a lock (the interface runs slow work in
    threads).
    """

    def __init__(self, conn: sqlite3.Connection, data_key: bytes, path: Path) -> None:
        self._conn = conn
        self._key: bytes | None = data_key
        self.path = path
        self._lock = threading.RLock()
        self._cache: dict[tuple[str, str], StoredRecord] = {}
        self._summaries: list[Summary] | None = None

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        agency_fingerprint: str | None = None,
        kdf: crypto.KdfParams = crypto.DEFAULT_KDF,
    ) -> ConsoleStore:
        """Open (creating on first use) the store in ``data_dir``.

        :class:`WrongPassphrase` if the passphrase does not open it; ``key_mismatch`` if it was
        made for another agency key than ``agency_fingerprint``."""
        if not passphrase:
            raise ConsoleError("passphrase_required")
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DB_NAME
        fresh = not path.exists()
        if fresh:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        conn = _connect(path)
        try:
            _keep_private(data_dir)
            with _translate():
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise ConsoleStoreCorrupt("schema_too_new", version=version)
                if version == 0:
                    data_key = _create(conn, passphrase, agency_fingerprint, kdf)
                else:
                    _migrate(conn, version)
                    data_key = _unwrap(conn, passphrase, agency_fingerprint)
            _keep_private(data_dir)
        except BaseException:
            conn.close()
            raise
        store = cls(conn, data_key, path)
        try:
            store._check_listing()
            store._relink_audit()
        except BaseException:
            store.close()
            raise
        return store

    def change_passphrase(
        self, passphrase: str, by: str, *, kdf: crypto.KdfParams = crypto.DEFAULT_KDF
    ) -> None:
        """Wrap the data key under a new passphrase (after the agency key's passphrase
        changed); the records themselves are not re-encrypted."""
        if not passphrase:
            raise ConsoleError("passphrase_required")
        wrapped = crypto.wrap_key(self._data_key, passphrase, params=kdf)
        with self._tx() as c:
            c.execute("UPDATE meta SET wrapped_key = ? WHERE id = 1", (wrapped,))
            _audit(c, "passphrase_changed", None, by, {})
        self.checkpoint()

    def close(self) -> None:
        with self._lock:
            self._key = None
            self._cache.clear()
            self._summaries = None
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self._conn.close()

    def __enter__(self) -> ConsoleStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def _data_key(self) -> bytes:
        if self._key is None:
            raise ConsoleError("store_closed")
        return self._key

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translate():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, _translate():
            return list(self._conn.execute(sql, tuple(params)).fetchall())

    # --- cursor and devices ----------------------------------------------------------------

    @property
    def since(self) -> int:
        return int(self._read("SELECT since FROM meta WHERE id = 1")[0][0])

    def set_since(self, since: int) -> None:
        with self._tx() as c:
            c.execute("UPDATE meta SET since = ? WHERE id = 1", (int(since),))

    def put_devices(self, devices: Sequence[dict[str, Any]]) -> None:
        """Replace the device list with what the server gave (routing metadata only)."""
        with self._tx() as c:
            c.execute("DELETE FROM device")
            c.executemany(
                "INSERT INTO device"
                " (id, name, site, role, enrolled_at, last_seen_at, revoked_at, waiting)"
                " VALUES (:id, :name, :site, :role, :enrolled_at, :last_seen_at, :revoked_at,"
                " :waiting)",
                [{"waiting": None, **d} for d in devices],
            )

    def devices(self) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT id, name, site, role, enrolled_at, last_seen_at, revoked_at, waiting"
            " FROM device ORDER BY site, name, id"
        )
        keys = (
            "id",
            "name",
            "site",
            "role",
            "enrolled_at",
            "last_seen_at",
            "revoked_at",
            "waiting",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def site_of(self, device_id: str) -> str:
        rows = self._read("SELECT site FROM device WHERE id = ?", (device_id,))
        return str(rows[0][0]) if rows else ""

    # --- records ---------------------------------------------------------------------------

    def add_record(self, **fields: Any) -> bool:
        """Keep one opened envelope; False when it is already kept or the record was erased."""
        return self.add_records([NewRecord(**fields)]) == 1

    def add_records(self, items: Sequence[NewRecord]) -> int:
        """Keep opened envelopes in one transaction (one disk sync for a page of a pull);
        the number newly kept. Already kept envelopes and erased records are skipped. The
        summaries of the new ones join the sealed listing in the same transaction."""
        rows = []
        for item in items:
            received = item.received_at or _now()
            body = json.dumps(
                {"payload": item.payload, "received_at": _iso(received)},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8")
            rows.append(
                (
                    item.record_id,
                    item.digest,
                    int(item.seq),
                    item.device_id,
                    item.site,
                    item.form_id,
                    item.form_version,
                    received.astimezone(UTC).date().isoformat(),
                    1 if item.conflict else 0,
                    crypto.encrypt(self._data_key, body, _record_aad(item.record_id, item.digest)),
                )
            )
        if not rows:
            return 0
        listed: list[list[Any]] = []
        with self._tx() as c:
            for row, item in zip(rows, items, strict=True):
                cur = c.execute(
                    "INSERT OR IGNORE INTO record (id, digest, seq, device_id, site, form_id,"
                    " form_version, received_on, conflict, body)"
                    " SELECT ?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS"
                    " (SELECT 1 FROM erasure WHERE record_id = ?)",
                    (*row, row[0]),
                )
                if cur.rowcount == 1:
                    listed.append(_listing_row(row[:9], summarise(item.payload)))
            self._append_listing(c, listed)
        if listed:
            self._summaries = None
        return len(listed)

    def note_unreadable(self, record_id: str, digest: str, seq: int) -> None:
        """Remember an envelope that did not open (sealed to another key, or damaged)."""
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO unreadable (record_id, digest, seq, seen_at)"
                " VALUES (?, ?, ?, ?)",
                (record_id, digest, int(seq), _iso(_now())),
            )

    def unreadable(self) -> list[str]:
        """Record ids of envelopes that did not open and have not been kept since."""
        rows = self._read(
            "SELECT DISTINCT u.record_id FROM unreadable u WHERE NOT EXISTS"
            " (SELECT 1 FROM record r WHERE r.id = u.record_id AND r.digest = u.digest)"
            " AND NOT EXISTS (SELECT 1 FROM erasure e WHERE e.record_id = u.record_id)"
            " ORDER BY u.seq"
        )
        return [str(r[0]) for r in rows]

    def records(self) -> list[StoredRecord]:
        """Every kept record version, in arrival order (decrypted once, then cached in memory
        while the store is open)."""
        keys = self._read("SELECT id, digest FROM record ORDER BY seq, id, digest")
        missing = [(str(a), str(b)) for a, b in keys if (a, b) not in self._cache]
        if len(missing) > 32:
            self._load(self._read(_RECORD_SELECT + " ORDER BY seq"))
        else:
            for rid, digest in missing:
                self._load(
                    self._read(_RECORD_SELECT + " WHERE id = ? AND digest = ?", (rid, digest))
                )
        return [self._cache[(str(a), str(b))] for a, b in keys if (a, b) in self._cache]

    def summaries(self) -> list[Summary]:
        """Every kept record version's summary, in arrival order: what the table and the
        dashboard read. They are sealed together in listing packs (a few thousand records
        per decryption), never one by one, and kept in memory while the store is open."""
        if self._summaries is not None:
            return self._summaries
        self._check_listing()
        out: list[Summary] = []
        for pack, count, blob in self._read("SELECT pack, rows, body FROM listing ORDER BY pack"):
            entries = self._open_pack(int(pack), blob)
            if len(entries) != int(count):
                raise ConsoleStoreCorrupt("store_corrupt")
            out.extend(
                Summary(
                    e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], bool(e[8]), e[9], e[10],
                    tuple(e[11]), tuple(map(tuple, e[12])) if e[12] else (),
                )
                for e in entries
            )
        out.sort(key=lambda s: (s.seq, s.id, s.digest))
        self._summaries = out
        return out

    def _check_listing(self) -> None:
        """Build the listing again when it does not count every kept record version (the
        first open after it was introduced, or a listing damaged outside Waymark)."""
        kept = int(self._read("SELECT COUNT(*) FROM record")[0][0])
        listed = int(self._read("SELECT COALESCE(SUM(rows), 0) FROM listing")[0][0])
        if kept != listed:
            self._rebuild_listing()

    def _open_pack(self, pack: int, blob: Any) -> list[list[Any]]:
        try:
            entries = json.loads(crypto.decrypt(self._data_key, bytes(blob), _listing_aad(pack)))
        except (crypto.CryptoError, ValueError, TypeError):
            raise ConsoleStoreCorrupt("store_corrupt") from None
        if not isinstance(entries, list):
            raise ConsoleStoreCorrupt("store_corrupt")
        return entries

    def _seal_pack(self, pack: int, entries: list[list[Any]]) -> bytes:
        body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return crypto.encrypt(self._data_key, body, _listing_aad(pack))

    def _append_listing(self, c: sqlite3.Connection, entries: list[list[Any]]) -> None:
        """Add summaries to the listing: into the newest pack while it has room, then into
        new packs of :data:`PACK_ROWS` (inside the caller's transaction)."""
        if not entries:
            return
        last = c.execute(
            "SELECT pack, rows, body FROM listing ORDER BY pack DESC LIMIT 1"
        ).fetchone()
        pack = int(last[0]) if last else 0
        if last is not None and int(last[1]) < PACK_ROWS:
            room = PACK_ROWS - int(last[1])
            merged = self._open_pack(pack, last[2]) + entries[:room]
            entries = entries[room:]
            c.execute(
                "UPDATE listing SET rows = ?, body = ? WHERE pack = ?",
                (len(merged), self._seal_pack(pack, merged), pack),
            )
        for start in range(0, len(entries), PACK_ROWS):
            pack += 1
            chunk = entries[start : start + PACK_ROWS]
            c.execute(
                "INSERT INTO listing (pack, rows, body) VALUES (?, ?, ?)",
                (pack, len(chunk), self._seal_pack(pack, chunk)),
            )

    def _drop_from_listing(self, c: sqlite3.Connection, record_id: str) -> None:
        """Remove a record's summaries from the packs that hold them (erasure)."""
        for pack, _count, blob in c.execute("SELECT pack, rows, body FROM listing").fetchall():
            entries = self._open_pack(int(pack), blob)
            left = [e for e in entries if e[0] != record_id]
            if len(left) == len(entries):
                continue
            if left:
                c.execute(
                    "UPDATE listing SET rows = ?, body = ? WHERE pack = ?",
                    (len(left), self._seal_pack(int(pack), left), pack),
                )
            else:
                c.execute("DELETE FROM listing WHERE pack = ?", (pack,))
        self._summaries = None

    def _rebuild_listing(self) -> None:
        """Seal the listing again from the records themselves: from each record's own sealed
        summary where an older store kept one (cleared afterwards), else from the record."""
        rows = self._read(
            "SELECT id, digest, seq, device_id, site, form_id, form_version, received_on,"
            " conflict, summary FROM record ORDER BY seq, id, digest"
        )
        entries = []
        for row in rows:
            rid, digest = str(row[0]), str(row[1])
            if row[9] is not None:
                try:
                    fields = json.loads(
                        crypto.decrypt(self._data_key, bytes(row[9]), _summary_aad(rid, digest))
                    )
                except (crypto.CryptoError, ValueError, TypeError):
                    raise ConsoleStoreCorrupt("record_unreadable", record_id=rid) from None
            else:
                full = self._read(_RECORD_SELECT + " WHERE id = ? AND digest = ?", (rid, digest))
                fields = summarise(self._open_record(full[0]).payload)
            entries.append(_listing_row(row[:9], fields))
        with self._tx() as c:
            c.execute("DELETE FROM listing")
            self._append_listing(c, entries)
            c.execute("UPDATE record SET summary = NULL WHERE summary IS NOT NULL")
        self._summaries = None
        self.checkpoint()

    def record(self, record_id: str) -> list[StoredRecord]:
        """The versions of one record (more than one only after a conflict)."""
        keys = self._read(
            "SELECT id, digest FROM record WHERE id = ? ORDER BY seq, digest", (record_id,)
        )
        if any((a, b) not in self._cache for a, b in keys):
            self._load(self._read(_RECORD_SELECT + " WHERE id = ?", (record_id,)))
        return [self._cache[(str(a), str(b))] for a, b in keys if (a, b) in self._cache]

    def _load(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            key = (str(row[0]), str(row[1]))
            if key not in self._cache:
                self._cache[key] = self._open_record(row)

    def record_ids(self) -> list[str]:
        return [str(r[0]) for r in self._read("SELECT DISTINCT id FROM record ORDER BY id")]

    def _open_record(self, row: tuple[Any, ...]) -> StoredRecord:
        rid, digest = str(row[0]), str(row[1])
        try:
            body = json.loads(
                crypto.decrypt(self._data_key, bytes(row[9]), _record_aad(rid, digest))
            )
        except (crypto.CryptoError, ValueError):
            raise ConsoleStoreCorrupt("record_unreadable", record_id=rid) from None
        return StoredRecord(
            id=rid,
            digest=digest,
            seq=int(row[2]),
            device_id=str(row[3]),
            site=str(row[4]),
            form_id=str(row[5]),
            form_version=str(row[6]),
            received_on=str(row[7]),
            conflict=bool(row[8]),
            received_at=body.get("received_at"),
            payload=dict(body.get("payload") or {}),
        )

    # --- follow-up -------------------------------------------------------------------------

    def follow(
        self,
        record_id: str,
        pathway: str,
        state: str,
        by: str,
        *,
        note: str = "",
        at: datetime | None = None,
    ) -> FollowUp:
        """Append one follow-up step; ``transition_invalid`` if the pathway cannot move there."""
        if state not in STATES:
            raise ConsoleError("state_unknown", record_id=record_id, state=state)
        by = by.strip()
        if not by:
            raise ConsoleError("actor_required", record_id=record_id)
        versions = self.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        if not any(pathway in v.pathways for v in versions):
            raise ConsoleError("pathway_unknown", record_id=record_id, pathway=pathway)
        when = _iso(at or _now())
        assert when is not None
        entry_id, blob = self._seal_entry(
            _follow_aad,
            record_id,
            {"pathway": pathway, "state": state, "at": when, "by": by[:128], "note": note},
        )
        with self._tx() as c:
            # the current state is read inside the write transaction: two console pages (or
            # processes) cannot both move the same pathway from the same state
            rows = c.execute(
                "SELECT seq, entry_id, record_id, body FROM followup WHERE record_id = ?"
                " ORDER BY seq",
                (record_id,),
            ).fetchall()
            current = [e for e in self._followups(rows) if e.pathway == pathway]
            before = current[-1].state if current else None
            if state not in TRANSITIONS[before]:
                raise ConsoleError(
                    "transition_invalid",
                    record_id=record_id,
                    pathway=pathway,
                    before=before or "",
                    state=state,
                )
            cur = c.execute(
                "INSERT INTO followup (entry_id, record_id, body) VALUES (?, ?, ?)",
                (entry_id, record_id, blob),
            )
            seq = int(cur.lastrowid or 0)
            _audit(c, "follow", record_id, by, {})
        return FollowUp(seq, entry_id, record_id, pathway, state, when, by[:128], note)

    def history(self, record_id: str | None = None) -> list[FollowUp]:
        """Follow-up entries in the order they were made (of one record, or all)."""
        if record_id is None:
            rows = self._read("SELECT seq, entry_id, record_id, body FROM followup ORDER BY seq")
        else:
            rows = self._read(
                "SELECT seq, entry_id, record_id, body FROM followup WHERE record_id = ?"
                " ORDER BY seq",
                (record_id,),
            )
        return self._followups(rows)

    def _followups(self, rows: Sequence[tuple[Any, ...]]) -> list[FollowUp]:
        out = []
        for seq, entry_id, rid, blob in rows:
            d = self._open_entry(blob, _follow_aad(str(rid), str(entry_id)), str(rid))
            out.append(
                FollowUp(
                    int(seq),
                    str(entry_id),
                    str(rid),
                    str(d["pathway"]),
                    str(d["state"]),
                    str(d["at"]),
                    str(d["by"]),
                    str(d.get("note") or ""),
                )
            )
        return out

    def _seal_entry(
        self, aad: Callable[[str, str], bytes], record_id: str, fields: dict[str, Any]
    ) -> tuple[str, bytes]:
        """A new entry id, and ``fields`` as ciphertext bound to the record and the entry."""
        entry_id = str(uuid.uuid4())
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return entry_id, crypto.encrypt(self._data_key, body, aad(record_id, entry_id))

    def _open_entry(self, blob: Any, aad: bytes, record_id: str) -> dict[str, Any]:
        try:
            d = json.loads(crypto.decrypt(self._data_key, bytes(blob), aad))
        except (crypto.CryptoError, ValueError):
            raise ConsoleStoreCorrupt("entry_unreadable", record_id=record_id) from None
        if not isinstance(d, dict):
            raise ConsoleStoreCorrupt("entry_unreadable", record_id=record_id)
        return d

    def states(self, record_id: str | None = None) -> dict[str, FollowUp]:
        """The latest entry per pathway of one record (``record_id``), keyed by pathway."""
        latest: dict[str, FollowUp] = {}
        for entry in self.history(record_id):
            latest[entry.pathway] = entry
        return latest

    def all_states(self) -> dict[tuple[str, str], FollowUp]:
        """The latest entry per (record id, pathway)."""
        latest: dict[tuple[str, str], FollowUp] = {}
        for entry in self.history():
            latest[(entry.record_id, entry.pathway)] = entry
        return latest

    # --- corrections -----------------------------------------------------------------------

    def correct(
        self, record_id: str, path: str, value: Any, by: str, *, reason: str = ""
    ) -> Correction:
        """Append a correction of the answer at ``path`` (audited without the value)."""
        by, path = by.strip(), path.strip()
        if not by:
            raise ConsoleError("actor_required", record_id=record_id)
        versions = self.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        if not path or not any(path in (v.payload.get("values") or {}) for v in versions):
            raise ConsoleError("answer_unknown", record_id=record_id)
        when = _iso(_now()) or ""
        entry_id, blob = self._seal_entry(
            _correct_aad,
            record_id,
            {"path": path, "value": value, "at": when, "by": by[:128], "reason": reason},
        )
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO correction (entry_id, record_id, body) VALUES (?, ?, ?)",
                (entry_id, record_id, blob),
            )
            seq = int(cur.lastrowid or 0)
            _audit(c, "correct", record_id, by, {})
        return Correction(seq, entry_id, record_id, path, value, when, by[:128], reason)

    def corrections(self, record_id: str | None = None) -> list[Correction]:
        """Corrections in the order they were made (of one record, or all)."""
        sql = "SELECT seq, entry_id, record_id, body FROM correction"
        rows = (
            self._read(sql + " ORDER BY seq")
            if record_id is None
            else self._read(sql + " WHERE record_id = ? ORDER BY seq", (record_id,))
        )
        out = []
        for seq, entry_id, rid, blob in rows:
            d = self._open_entry(blob, _correct_aad(str(rid), str(entry_id)), str(rid))
            out.append(
                Correction(
                    int(seq),
                    str(entry_id),
                    str(rid),
                    str(d["path"]),
                    d.get("value"),
                    str(d["at"]),
                    str(d["by"]),
                    str(d.get("reason") or ""),
                )
            )
        return out

    # --- erasure ---------------------------------------------------------------------------

    def erase_local(self, record_id: str, by: str) -> dict[str, int]:
        """Remove a record and its history here; the server's part is :meth:`server_erased`.

        The erasure row is written first (the follow-up trigger allows deletion only then);
        the WAL is truncated afterwards so no old page image of the record stays on disk."""
        by = by.strip()
        if not by:
            raise ConsoleError("actor_required", record_id=record_id)
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO erasure (record_id, requested_at, requested_by)"
                " VALUES (?, ?, ?)",
                (record_id, _iso(_now()), by[:128]),
            )
            versions = c.execute("DELETE FROM record WHERE id = ?", (record_id,)).rowcount
            for key in [k for k in self._cache if k[0] == record_id]:
                del self._cache[key]
            entries = c.execute("DELETE FROM followup WHERE record_id = ?", (record_id,)).rowcount
            fixes = c.execute("DELETE FROM correction WHERE record_id = ?", (record_id,)).rowcount
            if versions:
                self._drop_from_listing(c, record_id)
            detail = {"versions": versions, "followups": entries, "corrections": fixes}
            _audit(c, "erase_local", record_id, by, detail)
        self.checkpoint()
        return detail

    def server_erased(self, record_id: str, count: int, by: str) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE erasure SET server_done_at = ?, server_count = ? WHERE record_id = ?",
                (_iso(_now()), int(count), record_id),
            )
            _audit(c, "erase_server", record_id, by, {"envelopes": int(count)})

    def erasures(self) -> list[Erasure]:
        rows = self._read(
            "SELECT record_id, requested_at, requested_by, server_done_at, server_count"
            " FROM erasure ORDER BY requested_at, record_id"
        )
        return [Erasure(str(a), str(b), str(c), d, e) for a, b, c, d, e in rows]

    def pending_erasures(self) -> list[str]:
        return [e.record_id for e in self.erasures() if e.server_done_at is None]

    def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it to zero bytes."""
        with self._lock, _translate():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- audit -----------------------------------------------------------------------------

    def audit(self, event: str, actor: str, record_id: str | None = None, **detail: Any) -> None:
        """An audit entry: what happened, to which record id, by whom; counts, never content."""
        with self._tx() as c:
            _audit(c, event, record_id, actor, detail)

    def audit_links(self) -> list[chain.Link]:
        """The audit log as chain links (the exact text that was hashed), in order."""
        rows = self._read(
            "SELECT seq, at, event, record_id, actor, detail, prev, hash FROM audit ORDER BY seq"
        )
        return [
            chain.Link(int(seq), str(at), str(event), rid, str(detail), str(prev), str(h),
                       str(actor))
            for seq, at, event, rid, actor, detail, prev, h in rows
        ]

    def audit_head(self) -> tuple[int, str] | None:
        """(sequence number, hash) of the newest entry as the head records it."""
        head = str(self._read("SELECT audit_head FROM meta WHERE id = 1")[0][0])
        if not head:
            return None
        count = int(self._read("SELECT COUNT(*) FROM audit")[0][0])
        return (count, head)

    def verify_audit(self) -> int:
        """Check the audit chain and its head; the number of entries, or
        :class:`ConsoleStoreCorrupt` (``audit_broken``) if any was changed or removed."""
        links = self.audit_links()
        report = chain.verify(links, self.audit_head())
        if not report.ok:
            raise ConsoleStoreCorrupt("audit_broken", seq=report.seq, problem=report.problem)
        for x in links:  # the actor column shown must be the one that was hashed
            if _actor_of(x.detail) != x.actor:
                raise ConsoleStoreCorrupt("audit_broken", seq=x.seq, problem="actor_mismatch")
        return report.entries

    def audit_entries(self) -> list[AuditEntry]:
        return [
            AuditEntry(x.seq, x.at, x.event, x.record_id, x.actor, _detail_of(x.detail))
            for x in self.audit_links()
        ]

    def export_audit(self, fmt: str) -> str:
        """The audit log with its head, as ``json`` or ``csv`` (``waymark audit verify
        --file`` checks either as it checks a device's log)."""
        links, head = self.audit_links(), self.audit_head()
        if fmt == "json":
            return chain.export_json(links, head, "console")
        if fmt == "csv":
            return chain.export_csv(links, head)
        raise ConsoleError("format_unknown", format=fmt)

    def _relink_audit(self) -> None:
        """Link a store's audit entries again under the one chain recipe (once, after the
        migration to it), noting whether the old chain was whole."""
        if int(self._read("SELECT audit_recipe FROM meta WHERE id = 1")[0][0]) >= 2:
            return
        rows = self._read(
            "SELECT seq, at, event, record_id, actor, detail, prev, hash FROM audit ORDER BY seq"
        )
        old_head = str(self._read("SELECT audit_head FROM meta WHERE id = 1")[0][0])
        prev_old, intact = "", True
        for _seq, at, event, rid, actor, detail, stored_prev, stored in rows:
            if stored_prev != prev_old or stored != _legacy_hash(
                prev_old, at, event, rid, actor, detail
            ):
                intact = False
            prev_old = stored
        intact = intact and prev_old == old_head
        with self._tx() as c:
            c.execute("DROP TRIGGER IF EXISTS audit_no_change")
            c.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            prev = chain.GENESIS
            for seq, at, event, rid, actor, detail, _p, _h in rows:
                text = _chain_detail(str(actor), _detail_of_legacy(str(detail)))
                digest = chain.entry_hash(int(seq), at, event, rid, text, prev)
                c.execute(
                    "UPDATE audit SET detail = ?, prev = ?, hash = ? WHERE seq = ?",
                    (text, prev, digest, seq),
                )
                prev = digest
            for trigger in _AUDIT_TRIGGERS:
                c.execute(trigger)
            c.execute("UPDATE meta SET audit_head = ?, audit_recipe = 2 WHERE id = 1", (prev,))
            _audit(c, "audit_relinked", None, "console", {"legacy_intact": intact})


def _audit(
    c: sqlite3.Connection, event: str, record_id: str | None, actor: str, detail: dict[str, Any]
) -> None:
    """Append an entry chained to the one before (:mod:`app.store.chain`, the device's
    recipe); the head is kept in ``meta`` so removing the newest entries is noticed too. The
    hashed detail names who acted, so the actor cannot be changed unseen either."""
    safe = {k: v for k, v in detail.items() if isinstance(v, (int, bool)) or k in _SAFE_TEXT}
    row = c.execute("SELECT audit_head FROM meta WHERE id = 1").fetchone()
    prev = str(row[0]) or chain.GENESIS
    seq = int(c.execute("SELECT COUNT(*) FROM audit").fetchone()[0]) + 1
    at = _iso(_now()) or ""
    text = _chain_detail(actor[:128], safe)
    digest = chain.entry_hash(seq, at, event, record_id, text, prev)
    c.execute(
        "INSERT INTO audit (seq, at, event, record_id, actor, detail, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, event, record_id, actor[:128], text, prev, digest),
    )
    c.execute("UPDATE meta SET audit_head = ? WHERE id = 1", (digest,))


def _chain_detail(actor: str, detail: dict[str, Any]) -> str:
    return json.dumps({"actor": actor, **detail}, sort_keys=True, ensure_ascii=True)


def _detail_of(text: str) -> dict[str, Any]:
    """An entry's detail without the actor (shown in its own column)."""
    try:
        d = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(d, dict):
        return {}
    d.pop("actor", None)
    return d


def _actor_of(text: str) -> str:
    try:
        d = json.loads(text)
    except ValueError:
        return ""
    return str(d.get("actor", "")) if isinstance(d, dict) else ""


def _detail_of_legacy(text: str) -> dict[str, Any]:
    try:
        d = json.loads(text)
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _legacy_hash(
    prev: str, at: str, event: str, record_id: str | None, actor: str, detail: str
) -> str:
    """The console's first audit recipe, read only to note whether an old chain was whole."""
    blob = json.dumps([prev, at, event, record_id, actor, detail], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


#: Detail keys whose text values may go in the audit (formats and codes, never content).
_SAFE_TEXT = frozenset({"format", "code", "pathway", "problem"})


def _record_aad(record_id: str, digest: str) -> bytes:
    return _RECORD_AAD + record_id.encode("utf-8") + b"\x00" + digest.encode("ascii")


def _listing_aad(pack: int) -> bytes:
    return _LISTING_AAD + str(int(pack)).encode("ascii")


def _listing_row(columns: Sequence[Any], fields: dict[str, Any]) -> list[Any]:
    """One record version in a listing pack: its routing columns (id, digest, seq, device,
    site, form, version, day received, conflict), then its summary fields."""
    return [
        *(str(v) for v in columns[:2]),
        int(columns[2]),
        *(str(v) for v in columns[3:8]),
        1 if columns[8] else 0,
        fields["finalised_at"],
        fields["language"],
        list(dict.fromkeys(fields["pathways"])),  # each once: the table lists them as sets
        _first_each(fields["flags"]),
    ]


def _first_each(flags: Sequence[Sequence[Any]]) -> list[Any]:
    """The first (flag id, dimension) of each flag id, in order."""
    seen: dict[Any, Any] = {}
    for f in flags:
        seen.setdefault(f[0], f)
    return list(seen.values())


def _summary_aad(record_id: str, digest: str) -> bytes:
    return _SUMMARY_AAD + record_id.encode("utf-8") + b"\x00" + digest.encode("ascii")


def _correct_aad(record_id: str, entry_id: str) -> bytes:
    return _CORRECT_AAD + record_id.encode("utf-8") + b"\x00" + entry_id.encode("ascii")


def _follow_aad(record_id: str, entry_id: str) -> bytes:
    return _FOLLOW_AAD + record_id.encode("utf-8") + b"\x00" + entry_id.encode("ascii")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn: sqlite3.Connection = sqlite.connect(path)
    except sqlite3.DatabaseError as exc:
        raise ConsoleStoreCorrupt("store_corrupt") from exc
    return conn


@contextmanager
def _translate() -> Iterator[None]:
    """A damaged or foreign file becomes :class:`ConsoleStoreCorrupt`, never a driver error."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise ConsoleError("append_only" if "append_only" in str(exc) else "storage_error") from exc
    except sqlite3.OperationalError as exc:
        if "append_only" in str(exc):
            raise ConsoleError("append_only") from exc
        raise ConsoleError("storage_error") from exc
    except sqlite3.DatabaseError as exc:
        raise ConsoleStoreCorrupt("store_corrupt") from exc


def _keep_private(data_dir: Path) -> None:
    """The store's files (database, journal, WAL) readable by their owner only."""
    for name in DB_FILES:
        if (data_dir / name).exists():
            (data_dir / name).chmod(0o600)


def _create(
    conn: sqlite3.Connection, passphrase: str, agency_fingerprint: str | None, kdf: crypto.KdfParams
) -> bytes:
    """A new store's tables and its data key, wrapped under ``passphrase``."""
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_key(data_key, passphrase, params=kdf)
    conn.execute("BEGIN IMMEDIATE")
    for statement in SCHEMA:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO meta (id, wrapped_key, agency_fingerprint, since, created_at)"
        " VALUES (1, ?, ?, 0, ?)",
        (wrapped, agency_fingerprint, _iso(_now())),
    )
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")
    return data_key


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """An older store's schema brought to :data:`SCHEMA_VERSION`, in one transaction."""
    if version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")


def _unwrap(conn: sqlite3.Connection, passphrase: str, agency_fingerprint: str | None) -> bytes:
    """The store's data key, if ``passphrase`` opens it and the agency key is its own."""
    row = conn.execute("SELECT wrapped_key, agency_fingerprint FROM meta WHERE id = 1").fetchone()
    if row is None:
        raise ConsoleStoreCorrupt("store_corrupt")
    try:
        data_key = crypto.unwrap_key(bytes(row[0]), passphrase)
    except crypto.WrongPin:
        raise WrongPassphrase() from None
    except crypto.CryptoError:
        raise ConsoleStoreCorrupt("store_corrupt") from None
    if agency_fingerprint and row[1] and row[1] != agency_fingerprint:
        raise ConsoleError("key_mismatch")
    return data_key
