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


class ServerKey(SQLModel, table=True):
    """The server's Ed25519 signing key (one row): devices pin its public half at enrolment
    and believe revocations and acknowledgements only when it signed them."""

    __tablename__ = "server_key"

    id: int | None = Field(default=None, primary_key=True)
    private_raw: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    public_raw: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Enrolment(SQLModel, table=True):
    """A one-time code. ``code_hash`` holds the code's Argon2id lookup value (never the code);
    ``mac_key`` and ``token_key`` authenticate the claim and seal the token sent back."""

    __tablename__ = "enrolment"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    mac_key: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    token_key: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True)
    )
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
    #: the device's own Ed25519 public key: every request it makes is signed by it
    public_key: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True)
    )
    #: the highest request counter seen; a request must carry a higher one (no replays)
    counter: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False,
                                                        server_default="0"))
    #: sealed bytes this device has stored, for its quota
    stored_bytes: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False,
                                                             server_default="0"))
    revoked_by: str | None = Field(default=None, max_length=64)


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
    #: comma-separated: read (envelopes, device list), erase (records), devices (revoke)
    scopes: str = Field(default="read,erase,devices", max_length=64)
    expires_at: datetime | None = Field(default=None, sa_column=_ts(True))

    def allows(self, scope: str) -> bool:
        return scope in self.scopes.split(",")


class RequestSeen(SQLModel, table=True):
    """Request counters a device used lately (within the replay window below its highest):
    a request whose counter is here already is a replay."""

    __tablename__ = "request_seen"

    device_id: str = Field(primary_key=True, max_length=64)
    counter: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )


class CoordinatorAction(SQLModel, table=True):
    """Which coordinator credential did what (reads, erasures, revocations)."""

    __tablename__ = "coordinator_action"

    id: int | None = Field(default=None, sa_column=sa.Column(BigSeq, primary_key=True))
    coordinator_id: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)
    target: str | None = Field(default=None, max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ClaimAttempt(SQLModel, table=True):
    """Claim attempts per client address, for the rate limit shared by all server processes."""

    __tablename__ = "claim_attempt"
    __table_args__ = (sa.Index("ix_claim_attempt_client_at", "client", "at"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigSeq, primary_key=True))
    client: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
