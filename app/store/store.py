"""The store facade the interface and the demo use.

A random data key, wrapped by Argon2id(PIN), lives only in memory while unlocked. Every session
is AES-256-GCM ciphertext bound to its record id, questionnaire id and version; finalising seals
the payload to the agency key (HPKE) into the outbox. Each save is committed and on disk (WAL,
``synchronous=FULL``) before it returns, together with its audit entry.

Wrong PINs are counted before the PIN is even tried (so killing the app mid-try gives no free
attempt), throttled with growing waits that the store reports rather than sleeps through, and
after ``max_failed_unlocks`` in a row everything is wiped and the wipe is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, Engine

from app.store import audit, db
from app.store.audit import AuditLog, Event
from app.store.errors import (
    Corrupt,
    InvalidState,
    Locked,
    NotEnrolled,
    NotFound,
    PinAlreadySet,
    PinNotSet,
    PinRejected,
    StoreError,
    Throttled,
    Wiped,
    WrongPin,
)
from app.store.outbox import Outbox
from app.store.states import CONFLICT, DRAFT, FINALISED, SENT, STATUSES, iso
from sync import crypto
from sync.protocol import Claim

__all__ = ["CONFLICT", "DRAFT", "FINALISED", "SENT", "STATUSES", "Store", "StoreSettings"]


def default_data_dir() -> Path:
    """``WAYMARK_DEVICE_DATA``, else Flet's app storage on a phone or tablet, else ~/.local."""
    for var in ("WAYMARK_DEVICE_DATA", "FLET_APP_STORAGE_DATA"):
        if os.environ.get(var):
            return Path(os.environ[var]) / ("" if var == "WAYMARK_DEVICE_DATA" else "waymark")
    return Path.home() / ".local" / "share" / "waymark"


@dataclass
class StoreSettings:
    """Per-deployment choices. ``kdf`` may be lowered only explicitly (tests, for speed)."""

    kdf: crypto.KdfParams = crypto.DEFAULT_KDF
    idle_lock_seconds: float = 120.0
    max_failed_unlocks: int = 10
    free_attempts: int = 3  # wrong PINs in a row before the first wait
    throttle_base_seconds: float = 2.0
    throttle_max_seconds: float = 300.0
    retention_seconds: float = 0.0  # how long a readable copy outlives the server's receipt
    #: how long the sealed copy outlives the server's signed receipt (in case the server's
    #: copy is lost): only the agency can open it
    sealed_retention_seconds: float = 7 * 86400.0
    min_pin_length: int = 6
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic

    def unlock_delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` wrong PINs in a row: 0, then doubling, capped."""
        if failures < self.free_attempts:
            return 0.0
        step = failures - self.free_attempts
        return float(min(self.throttle_max_seconds, self.throttle_base_seconds * 2**step))


@dataclass
class Enrolment:
    """What enrolment gave this device. ``token`` and ``config`` are stored encrypted."""

    server_url: str
    device_id: str
    token: str
    agency_public_key: bytes  # raw X25519 public key (32 bytes); base64 text is accepted
    site: str
    config: dict[str, Any] = field(default_factory=dict)
    #: the role the coordinator enrolled this device for (``outreach`` ...); kept encrypted
    role: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.agency_public_key, str):
            self.agency_public_key = base64.b64decode(self.agency_public_key, validate=True)
        if len(self.agency_public_key) != crypto.PUBLIC_KEY_LEN:
            raise StoreError("bad_agency_key")

    @classmethod
    def claimed(
        cls, server_url: str, claim: Claim, config: dict[str, Any] | None = None
    ) -> Enrolment:
        """The enrolment a claim at ``server_url`` gave (the field app's and the demo's)."""
        return cls(
            server_url=server_url,
            device_id=claim.device_id,
            token=claim.token,
            agency_public_key=base64.b64decode(claim.agency_public_key, validate=True),
            site=claim.site,
            config=dict(config or {}),
            role=claim.role,
        )

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.agency_public_key)

    def __repr__(self) -> str:  # never the token
        return f"Enrolment(device_id={self.device_id!r}, site={self.site!r})"


@dataclass(frozen=True)
class RecordInfo:
    """A record's plaintext routing metadata: enough for lists and sync, nothing said."""

    id: str
    form_id: str
    form_version: str
    status: str
    created_at: str
    updated_at: str
    finalised_at: str | None
    revision: int
    sync_state: str | None
    readable: bool  # the readable copy is still on the device


def record_aad(record_id: str, form_id: str, form_version: str) -> bytes:
    """Associated data binding a session ciphertext to its record and questionnaire version."""
    return b"waymark-session\x01" + crypto.envelope_info(record_id, "", form_id, form_version)


def _enrolment_aad(device_id: str, server_url: str, site: str, agency_public_key: bytes) -> bytes:
    """Binds the encrypted token and config to the plaintext columns beside them, so a
    replaced agency key (records sealed to someone else) is noticed before anything is sealed."""
    return (
        b"waymark-enrolment\x01"
        + crypto.envelope_info(device_id, server_url, site, "")
        + agency_public_key
    )


_iso = iso


def _dumps(data: Any) -> bytes:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):
        raise StoreError("not_json_data") from None


class Store:
    """Everything a tablet holds. Thread-safe: each call holds the store's lock."""

    def __init__(self, data_dir: Path, settings: StoreSettings, engine: Engine) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self._engine = engine
        self._lock = threading.RLock()
        self._key: bytes | None = None
        self._raw: tuple[Engine, sqlite3.Connection] | None = None
        self._edited: set[str] = set()  # records with an ``edit`` audit entry this sitting
        self._last_activity = settings.monotonic()
        self._outbox = Outbox(
            write=self._write,
            lock=self._lock,
            clock=lambda: self.settings.clock(),
            retention=lambda: self.settings.retention_seconds,
            sealed_retention=lambda: self.settings.sealed_retention_seconds,
            checkpoint=self._checkpoint,
        )

    # --- opening, closing, wiping -------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, settings: StoreSettings | None = None) -> Store:
        """Open (creating or upgrading) the store in ``data_dir``; :class:`Corrupt` if damaged."""
        settings = settings or StoreSettings()
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = cls._open_engine(data_dir)
        return cls(data_dir, settings, engine)

    @staticmethod
    def _open_engine(data_dir: Path) -> Engine:
        path = data_dir / db.DB_NAME
        existed = path.exists() and path.stat().st_size > 0
        engine = db.open_engine(path)
        try:
            if existed:
                db.check_integrity(engine)
            with db.translate_errors(), engine.connect() as conn:
                before = db.schema_version(conn)
                conn.rollback()
            done = db.migrate(engine)
            for name in db.DB_FILES:  # ciphertext only, but nobody else's business either
                if (data_dir / name).exists():
                    (data_dir / name).chmod(0o600)
            if done and before > 0:
                with db.translate_errors(), engine.begin() as conn:
                    audit.append(conn, Event.migrate, from_version=before, to_version=done[-1])
        except BaseException:
            engine.dispose()
            raise
        return engine

    def close(self) -> None:
        with self._lock:
            self._key = None
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @staticmethod
    def wipe_files(data_dir: Path) -> None:
        """Delete the store's files (also for a database too damaged to open). The WAL and
        shared-memory files go first, so a crash part-way never leaves a WAL to be replayed
        into a fresh database."""
        for name in reversed(db.DB_FILES):
            (Path(data_dir) / name).unlink(missing_ok=True)

    def wipe(self, reason: str = "requested") -> None:
        """Destroy the wrapped key, every record and the enrolment; record that it happened."""
        with self._lock:
            failures = 0
            self._key = None
            try:
                with self._write() as conn:
                    row = conn.exec_driver_sql("SELECT failures FROM unlock_state").first()
                    failures = int(row[0]) if row else 0
                    for table in ("keyring", "enrolment", "record"):
                        conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                self._checkpoint()
            except StoreError:
                pass  # a damaged file is deleted all the same
            self._engine.dispose()
            self.wipe_files(self.data_dir)
            self._engine = self._open_engine(self.data_dir)
            with self._write() as conn:
                audit.append(conn, Event.wipe, reason=reason, failures=failures)

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction (BEGIN IMMEDIATE ... COMMIT, on disk when it returns); a driver error
        becomes :class:`Corrupt`."""
        with db.translate_errors(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _raw_write(self) -> Iterator[sqlite3.Cursor]:
        """Like :meth:`_write` on the bare sqlite3 connection, for the autosave path."""
        with db.translate_errors():
            raw = self._raw_connection()
            cur = raw.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                if raw.in_transaction:
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _raw_connection(self) -> sqlite3.Connection:
        """The engine's single sqlite3 connection (StaticPool), fetched once per engine."""
        if self._raw is None or self._raw[0] is not self._engine:
            with self._engine.connect() as conn:
                raw = conn.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            self._raw = (self._engine, raw)
        return self._raw[1]

    def _checkpoint(self) -> None:
        """Move the WAL into the database and empty it, so deleted pages leave the WAL too."""
        with db.translate_errors(), self._engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # --- PIN and locking ----------------------------------------------------------------

    @property
    def needs_pin_setup(self) -> bool:
        with self._lock, self._write() as conn:
            return conn.exec_driver_sql("SELECT 1 FROM keyring").first() is None

    @property
    def locked(self) -> bool:
        return self._key is None

    def _check_new_pin(self, pin: str) -> None:
        if not isinstance(pin, str) or len(pin.strip()) < self.settings.min_pin_length:
            raise PinRejected(min_length=self.settings.min_pin_length)

    def set_pin(self, pin: str) -> None:
        """First run: make the data key, wrap it with ``pin``, and stay unlocked."""
        self._check_new_pin(pin)
        with self._lock:
            key = crypto.new_data_key()
            wrapped = crypto.wrap_key(key, pin, params=self.settings.kdf)
            now = _iso(self.settings.clock())
            with self._write() as conn:
                if conn.exec_driver_sql("SELECT 1 FROM keyring").first() is not None:
                    raise PinAlreadySet()
                conn.exec_driver_sql(
                    "INSERT INTO keyring (id, wrapped_key, created_at, changed_at) "
                    "VALUES (1, ?, ?, ?)",
                    (wrapped, now, now),
                )
                conn.exec_driver_sql("UPDATE unlock_state SET failures = 0, not_before = 0")
                audit.append(conn, Event.pin_set, at=now)
            self._key = key
            self.touch()

    def unlock_wait(self) -> float:
        """Seconds before the next unlock may be tried (0 when it may be tried now)."""
        with self._lock, self._write() as conn:
            row = conn.exec_driver_sql("SELECT not_before FROM unlock_state").one()
        return max(0.0, float(row[0]) - self.settings.clock())

    def _open_key(self, pin: str) -> bytes:
        """Try ``pin`` under the throttle; the data key, or WrongPin / Throttled / Wiped."""
        if not isinstance(pin, str) or not pin:
            raise PinRejected(min_length=self.settings.min_pin_length)  # nothing typed: no try
        now = self.settings.clock()
        with self._write() as conn:
            keyring = conn.exec_driver_sql("SELECT wrapped_key FROM keyring").first()
            if keyring is None:
                raise PinNotSet()
            failures, not_before = conn.exec_driver_sql(
                "SELECT failures, not_before FROM unlock_state"
            ).one()
            wait = float(not_before) - now
            if wait > self.settings.throttle_max_seconds:  # the clock was set back
                wait = self.settings.throttle_max_seconds
                conn.exec_driver_sql("UPDATE unlock_state SET not_before = ?", (now + wait,))
            if wait <= 0:
                conn.exec_driver_sql("UPDATE unlock_state SET failures = failures + 1")
        if wait > 0:
            raise Throttled(wait_seconds=wait)
        wrapped = bytes(keyring[0])
        try:
            key = crypto.unwrap_key(wrapped, pin)
        except crypto.WrongPin:
            failures = int(failures) + 1
            if failures >= self.settings.max_failed_unlocks:
                with self._write() as conn:
                    audit.append(conn, Event.unlock_failed, failures=failures)
                self.wipe(reason="failed_unlocks")
                raise Wiped() from None
            delay = self.settings.unlock_delay(failures)
            with self._write() as conn:
                conn.exec_driver_sql("UPDATE unlock_state SET not_before = ?", (now + delay,))
                audit.append(conn, Event.unlock_failed, failures=failures)
            raise WrongPin(
                wait_seconds=delay, remaining=self.settings.max_failed_unlocks - failures
            ) from None
        except (crypto.CryptoError, ValueError):
            raise Corrupt("key_corrupt") from None
        with self._write() as conn:
            conn.exec_driver_sql("UPDATE unlock_state SET failures = 0, not_before = 0")
        stored = crypto.wrapped_params(wrapped)
        wanted = self.settings.kdf
        if stored.memory_kib < wanted.memory_kib or stored.iterations < wanted.iterations:
            self._rewrap(key, pin, Event.pin_changed, reason="kdf_upgrade")
        return key

    def _rewrap(self, key: bytes, pin: str, event: Event, **detail: Any) -> None:
        wrapped = crypto.wrap_key(key, pin, params=self.settings.kdf)
        with self._write() as conn:
            conn.exec_driver_sql(
                "UPDATE keyring SET wrapped_key = ?, changed_at = ?",
                (wrapped, _iso(self.settings.clock())),
            )
            audit.append(conn, event, **detail)

    def unlock(self, pin: str) -> None:
        """Unlock with ``pin``. Raises WrongPin (with the wait and tries left), Throttled
        (nothing tried; ``wait_seconds`` to show), Wiped (that was the last try) or PinNotSet.
        Never sleeps: the interface shows the wait."""
        with self._lock:
            key = self._open_key(pin)
            with self._write() as conn:
                audit.append(conn, Event.unlock)
            self._key = key
            self._edited.clear()
            self.touch()
            self.purge_expired()

    def change_pin(self, old: str, new: str) -> None:
        """Rewrap the same data key under ``new`` (records are not re-encrypted)."""
        self._check_new_pin(new)
        with self._lock:
            key = self._open_key(old)
            self._rewrap(key, new, Event.pin_changed)
            self._key = key
            self.touch()

    def lock(self, reason: str = "requested") -> None:
        """Forget the data key (quick exit, idle, or the worker's choice)."""
        with self._lock:
            if self._key is None:
                return
            self._key = None
            self._edited.clear()
            with self._write() as conn:
                audit.append(conn, Event.lock, reason=reason)

    def touch(self) -> None:
        """The worker did something: restart the idle timer."""
        self._last_activity = self.settings.monotonic()

    def idle_seconds(self, now: float | None = None) -> float:
        return (self.settings.monotonic() if now is None else now) - self._last_activity

    def lock_if_idle(self, now: float | None = None) -> bool:
        """Lock when idle for ``idle_lock_seconds`` (``now`` on the monotonic clock); True if
        this call locked the store."""
        with self._lock:
            if self._key is None or self.idle_seconds(now) < self.settings.idle_lock_seconds:
                return False
            self.lock(reason="idle")
            return True

    def _require_key(self) -> bytes:
        key = self._key
        if key is None:
            raise Locked()
        self.touch()
        return key

    # --- enrolment ----------------------------------------------------------------------

    def save_enrolment(self, enrolment: Enrolment) -> None:
        with self._lock:
            key = self._require_key()
            secrets = crypto.encrypt(
                key,
                _dumps(
                    {"token": enrolment.token, "config": enrolment.config, "role": enrolment.role}
                ),
                _enrolment_aad(
                    enrolment.device_id,
                    enrolment.server_url,
                    enrolment.site,
                    enrolment.agency_public_key,
                ),
            )
            with self._write() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO enrolment (id, server_url, device_id, site, agency_public_key, "
                    "secrets, enrolled_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
                    "UPDATE SET server_url = excluded.server_url, device_id = excluded.device_id,"
                    " site = excluded.site, agency_public_key = excluded.agency_public_key, "
                    "secrets = excluded.secrets, enrolled_at = excluded.enrolled_at",
                    (
                        enrolment.server_url,
                        enrolment.device_id,
                        enrolment.site,
                        enrolment.agency_public_key,
                        secrets,
                        _iso(self.settings.clock()),
                    ),
                )
                audit.append(conn, Event.enrol, fingerprint=enrolment.fingerprint)

    @property
    def enrolled(self) -> bool:
        """Whether the device is enrolled (answerable while locked)."""
        with self._lock, self._write() as conn:
            return conn.exec_driver_sql("SELECT 1 FROM enrolment").first() is not None

    @property
    def enrolment(self) -> Enrolment | None:
        with self._lock:
            key = self._require_key()
            with self._write() as conn:
                row = conn.exec_driver_sql(
                    "SELECT server_url, device_id, site, agency_public_key, secrets FROM enrolment"
                ).first()
            if row is None:
                return None
            try:
                secrets = json.loads(
                    crypto.decrypt(
                        key, bytes(row[4]), _enrolment_aad(row[1], row[0], row[2], bytes(row[3]))
                    )
                )
            except crypto.CryptoError:
                raise Corrupt("enrolment_corrupt") from None
            return Enrolment(
                server_url=row[0],
                device_id=row[1],
                token=secrets["token"],
                agency_public_key=bytes(row[3]),
                site=row[2],
                config=secrets["config"],
                role=str(secrets.get("role") or ""),
            )

    # --- records ------------------------------------------------------------------------

    def new_record(self, form_id: str, form_version: str) -> str:
        """A new draft record for one screening; its random id (uuid4)."""
        with self._lock:
            self._require_key()
            record_id = str(uuid4())
            now = _iso(self.settings.clock())
            with self._write() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO record (id, form_id, form_version, status, created_at, "
                    "updated_at, revision) VALUES (?, ?, ?, ?, ?, ?, 0)",
                    (record_id, form_id, form_version, DRAFT, now, now),
                )
                audit.append(conn, Event.create, record_id, at=now)
            return record_id

    def _row(self, conn: Connection, record_id: str) -> Any:
        row = conn.exec_driver_sql(
            "SELECT form_id, form_version, status, session FROM record WHERE id = ?",
            (record_id,),
        ).first()
        if row is None:
            raise NotFound(record_id=record_id)
        return row

    def save_session(self, record_id: str, data: dict[str, Any]) -> int:
        """Encrypt and commit the session; on disk before this returns. The new revision.

        The hot path of every answer, so it talks to SQLite directly. The audit log gets one
        ``edit`` entry per record per unlocked sitting, not one per keystroke."""
        with self._lock:
            key = self._require_key()
            plaintext = _dumps(data)
            now = _iso(self.settings.clock())
            with self._raw_write() as cur:
                row = cur.execute(
                    "SELECT form_id, form_version, status FROM record WHERE id = ?", (record_id,)
                ).fetchone()
                if row is None:
                    raise NotFound(record_id=record_id)
                form_id, form_version, status = row
                if status != DRAFT:
                    raise InvalidState(record_id=record_id, status=status)
                blob = crypto.encrypt(key, plaintext, record_aad(record_id, form_id, form_version))
                revision = int(
                    cur.execute(
                        "UPDATE record SET session = ?, revision = revision + 1, updated_at = ? "
                        "WHERE id = ? RETURNING revision",
                        (blob, now, record_id),
                    ).fetchone()[0]
                )
                first_edit = record_id not in self._edited
                if first_edit:
                    audit.append(cur, Event.edit, record_id, at=now, revision=revision)
            if first_edit:
                self._edited.add(record_id)
            return revision

    def load_session(self, record_id: str) -> dict[str, Any]:
        """The saved session data (``{}`` for a record never saved); Corrupt if tampered."""
        with self._lock:
            key = self._require_key()
            with self._write() as conn:
                form_id, form_version, status, blob = self._row(conn, record_id)
                if blob is None:
                    if status != SENT:
                        return {}  # never saved
                    raise NotFound("record_purged", record_id=record_id)
                audit.append(conn, Event.view, record_id)
            try:
                plaintext = crypto.decrypt(
                    key, bytes(blob), record_aad(record_id, form_id, form_version)
                )
                data = json.loads(plaintext)
            except (crypto.CryptoError, ValueError):
                raise Corrupt("record_corrupt", record_id=record_id) from None
            if not isinstance(data, dict):
                raise Corrupt("record_corrupt", record_id=record_id)
            return data

    _INFO_COLUMNS = (
        "SELECT id, form_id, form_version, status, created_at, updated_at, finalised_at, "
        "revision, sync_state, session IS NOT NULL FROM record"
    )

    @staticmethod
    def _info(r: Any) -> RecordInfo:
        return RecordInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]))

    def records(self, status: str | None = None) -> list[RecordInfo]:
        """Routing metadata of every record (newest first); answerable while locked."""
        if status is not None and status not in STATUSES:
            raise StoreError("unknown_status", status=status)
        query = self._INFO_COLUMNS
        args: tuple[Any, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            args = (status,)
        query += " ORDER BY created_at DESC"
        with self._lock, self._write() as conn:
            rows = conn.exec_driver_sql(query, args).fetchall()
        return [self._info(r) for r in rows]

    def record(self, record_id: str) -> RecordInfo:
        """One record's routing metadata; :class:`NotFound` if there is no such record."""
        with self._lock, self._write() as conn:
            row = conn.exec_driver_sql(self._INFO_COLUMNS + " WHERE id = ?", (record_id,)).first()
        if row is None:
            raise NotFound(record_id=record_id)
        return self._info(row)

    def finalise(self, record_id: str, payload: dict[str, Any]) -> str:
        """Seal ``payload`` to the agency key into the outbox; the envelope's digest.

        The readable copy stays until the server acknowledges the envelope."""
        with self._lock:
            self._require_key()
            enrolment = self.enrolment
            if enrolment is None:
                raise NotEnrolled(record_id=record_id)
            now = _iso(self.settings.clock())
            with self._write() as conn:
                form_id, form_version, status, _ = self._row(conn, record_id)
                if status != DRAFT:
                    raise InvalidState(record_id=record_id, status=status)
                for name, value in (
                    ("record_id", record_id),
                    ("form_id", form_id),
                    ("form_version", form_version),
                    ("device_id", enrolment.device_id),
                ):
                    if name in payload and payload[name] != value:
                        raise InvalidState("payload_mismatch", record_id=record_id, field=name)
                info = crypto.envelope_info(record_id, enrolment.device_id, form_id, form_version)
                try:
                    sealed = crypto.seal(enrolment.agency_public_key, _dumps(payload), info)
                except crypto.CryptoError:
                    raise StoreError("bad_agency_key", record_id=record_id) from None
                digest = hashlib.sha256(sealed).hexdigest()
                revision = conn.exec_driver_sql(
                    "UPDATE record SET status = ?, finalised_at = ?, updated_at = ?, sealed = ?, "
                    "digest = ?, sync_state = 'pending', device_id = ? WHERE id = ? "
                    "RETURNING revision",
                    (FINALISED, now, now, sealed, digest, enrolment.device_id, record_id),
                ).scalar_one()
                audit.append(conn, Event.finalise, record_id, at=now, revision=int(revision))
                audit.append(conn, Event.seal, record_id, at=now, digest=digest)
            return digest

    def withdraw(self, record_id: str) -> None:
        """Consent withdrawn: delete the record, its readable copy and its envelope."""
        with self._lock:
            self._require_key()
            with self._write() as conn:
                _, _, status, _ = self._row(conn, record_id)
                conn.exec_driver_sql("DELETE FROM record WHERE id = ?", (record_id,))
                audit.append(conn, Event.withdraw, record_id, status=status)
            self._checkpoint()

    def purge_expired(self) -> int:
        """Purge readable copies whose retention after the server's receipt is over."""
        with self._lock:
            now = _iso(self.settings.clock())
            with self._write() as conn:
                ids = [
                    r[0]
                    for r in conn.exec_driver_sql(
                        "SELECT id FROM record WHERE purge_after IS NOT NULL "
                        "AND purge_after <= ? AND session IS NOT NULL",
                        (now,),
                    )
                ]
                for record_id in ids:
                    conn.exec_driver_sql(
                        "UPDATE record SET session = NULL, purge_after = NULL WHERE id = ?",
                        (record_id,),
                    )
                    audit.append(conn, Event.purge, record_id, at=now)
                sealed_before = _iso(
                    self.settings.clock() - self.settings.sealed_retention_seconds
                )
                dropped = conn.exec_driver_sql(
                    "UPDATE record SET sealed = NULL WHERE sync_state = 'acknowledged' "
                    "AND sealed IS NOT NULL AND acked_at <= ?",
                    (sealed_before,),
                ).rowcount
            if ids or dropped:
                self._checkpoint()
            return len(ids)

    # --- outbox and audit ---------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        """The sync client's view (``sync.protocol.Outbox``); works while locked."""
        return self._outbox

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self._engine, self._lock)
