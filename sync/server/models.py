"""Server tables. Only routing metadata and sealed bytes: nothing here can hold an answer.

Times are naive UTC (``utcnow()``) so SQLite and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: An autoincrementing 64-bit key that stays a rowid alias on SQLite.
BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(nullable: bool = False) -> sa.Column[datetime]:
    """A naive-UTC timestamp column (the same on SQLite and PostgreSQL)."""
    return sa.Column(sa.DateTime, nullable=nullable)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


class AgencyKey(SQLModel, table=True):
    __tablename__ = "agency_key"

    id: int | None = Field(default=None, primary_key=True)
    public_raw: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    active: bool = True


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolment"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    site: str = Field(max_length=128)
    role: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(True))
    device_id: str | None = Field(default=None, max_length=64)


class Device(SQLModel, table=True):
    __tablename__ = "device"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    site: str = Field(max_length=128)
    role: str = Field(max_length=32)
    token_hash: str = Field(max_length=64)
    enrolled_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime | None = Field(default=None, sa_column=_ts(True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(True))
    waiting: int | None = None


class Envelope(SQLModel, table=True):
    """A sealed record. ``(record_id, digest)`` is unique: a resend is a duplicate; the same
    record id with another digest is a second row marked ``conflict``, never an overwrite."""

    __tablename__ = "envelope"
    __table_args__ = (sa.UniqueConstraint("record_id", "digest", name="uq_envelope_record_digest"),)

    seq: int | None = Field(default=None, sa_column=sa.Column(BigSeq, primary_key=True))
    record_id: str = Field(max_length=36, index=True)
    digest: str = Field(max_length=64)
    device_id: str = Field(max_length=64, index=True)
    form_id: str = Field(max_length=128)
    form_version: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sealed: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    conflict: bool = False


class Erasure(SQLModel, table=True):
    """A tombstone: this record was erased on request and is never stored again."""

    __tablename__ = "erasure"

    record_id: str = Field(primary_key=True, max_length=36)
    erased_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    coordinator_id: str = Field(max_length=64)


class Coordinator(SQLModel, table=True):
    """A coordinator console credential (never a device token)."""

    __tablename__ = "coordinator"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(True))


class ClaimAttempt(SQLModel, table=True):
    """Claim attempts per client address, for the rate limit shared by all server processes."""

    __tablename__ = "claim_attempt"
    __table_args__ = (sa.Index("ix_claim_attempt_client_at", "client", "at"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigSeq, primary_key=True))
    client: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
