"""Initial tables: agency key, enrolment, device, envelope, erasure, coordinator, claim attempts.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agency_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_raw", sa.LargeBinary, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.Column("device_id", sa.String(64), nullable=True),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "envelope",
        sa.Column("seq", BigSeq, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("form_id", sa.String(128), nullable=False),
        sa.Column("form_version", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("conflict", sa.Boolean, nullable=False),
        sa.UniqueConstraint("record_id", "digest", name="uq_envelope_record_digest"),
    )
    op.create_index("ix_envelope_record_id", "envelope", ["record_id"])
    op.create_index("ix_envelope_device_id", "envelope", ["device_id"])
    op.create_table(
        "erasure",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("erased_at", sa.DateTime, nullable=False),
        sa.Column("coordinator_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "coordinator",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "claim_attempt",
        sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_claim_attempt_client_at", "claim_attempt", ["client", "at"])


def downgrade() -> None:
    for table in (
        "claim_attempt", "coordinator", "erasure", "envelope", "device", "enrolment", "agency_key"
    ):
        op.drop_table(table)
