"""Alembic environment: runs on the connection the server hands over (SQLite or PostgreSQL).

On PostgreSQL an advisory lock serialises migrations, so several server processes starting
at once on one database migrate it exactly once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import sync.server.models  # noqa: F401 - registers the tables

MIGRATION_LOCK = 7_310_553_001

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
    context.run_migrations()
