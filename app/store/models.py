"""The store's tables, as SQLModel classes (the current schema, version ``db.SCHEMA_VERSION``).

Plaintext columns hold only what lists and sync need: random ids, questionnaire id and version,
status, timestamps and sync state. Everything a person said is in ``Record.session``, AES-256-GCM
ciphertext bound to its record (see ``store.record_aad``); ``Record.sealed`` is the HPKE envelope
for the agency. The database itself is created and upgraded only by ``db.migrate``; these classes
must describe exactly what the migrations build (a test compares them).
"""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class StoreModel(SQLModel, registry=registry()):
    """The device store's own table registry: the agency server has tables of the same names
    (``enrolment``), and both may be imported in one process (the demo, the test suite)."""


class Keyring(StoreModel, table=True):
    """The data key, wrapped by Argon2id(PIN); a single row once a PIN is set."""

    __tablename__ = "keyring"

    id: int = Field(default=1, primary_key=True)
    wrapped_key: bytes
    created_at: str
    changed_at: str


class UnlockState(StoreModel, table=True):
    """Wrong PINs in a row and the wall-clock time before which no unlock is tried."""

    __tablename__ = "unlock_state"

    id: int = Field(default=1, primary_key=True)
    failures: int = 0
    not_before: float = 0.0


class EnrolmentRow(StoreModel, table=True):
    """The device's enrolment; token and config are inside ``secrets`` (encrypted JSON)."""

    __tablename__ = "enrolment"

    id: int = Field(default=1, primary_key=True)
    server_url: str
    device_id: str
    site: str
    agency_public_key: bytes
    secrets: bytes
    enrolled_at: str


class Record(StoreModel, table=True):
    """One screening: a draft, then a sealed envelope in the outbox, then sent."""

    __tablename__ = "record"

    id: str = Field(primary_key=True)
    form_id: str
    form_version: str
    status: str
    created_at: str
    updated_at: str
    finalised_at: str | None = None
    revision: int = 0
    session: bytes | None = None
    sealed: bytes | None = None
    digest: str | None = None
    sync_state: str | None = None
    # schema version 2
    sync_attempts: int = 0
    acked_at: str | None = None
    purge_after: str | None = None
    device_id: str | None = None
    sync_detail: str | None = None


class AuditEntry(StoreModel, table=True):
    """One audit event; ``hash`` = SHA-256 over the entry and the previous entry's hash."""

    __tablename__ = "audit"

    seq: int = Field(primary_key=True)
    at: str
    event: str
    record_id: str | None = None
    detail: str
    prev: str
    hash: str


class AuditHead(StoreModel, table=True):
    """The last audit entry's sequence number and hash, so a cut-off tail is noticed."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int
    hash: str
