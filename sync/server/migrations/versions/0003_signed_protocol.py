"""Protocol v2: the server's signing key, device keys and counters, enrolment-code keys,
coordinator scopes and expiry, who revoked a device, and the coordinators' action log.

Revision ID: 0003_signed_protocol
Revises: 0002_device_waiting
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_signed_protocol"
down_revision = "0002_device_waiting"
branch_labels = None
depends_on = None

BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "server_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("private_raw", sa.LargeBinary, nullable=False),
        sa.Column("public_raw", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("enrolment") as batch:
        batch.add_column(sa.Column("mac_key", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("token_key", sa.LargeBinary, nullable=True))
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("public_key", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("counter", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("stored_bytes", sa.BigInteger, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("revoked_by", sa.String(64), nullable=True))
    with op.batch_alter_table("coordinator") as batch:
        batch.add_column(sa.Column("scopes", sa.String(64), nullable=False,
                                   server_default="read,erase,devices"))
        batch.add_column(sa.Column("expires_at", sa.DateTime, nullable=True))
    op.create_table(
        "request_seen",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("counter", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "coordinator_action",
        sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
        sa.Column("coordinator_id", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coordinator_action")
    op.drop_table("request_seen")
    with op.batch_alter_table("coordinator") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
    with op.batch_alter_table("device") as batch:
        for name in ("revoked_by", "stored_bytes", "counter", "public_key"):
            batch.drop_column(name)
    with op.batch_alter_table("enrolment") as batch:
        batch.drop_column("token_key")
        batch.drop_column("mac_key")
    op.drop_table("server_key")
