"""Database engine and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from sync.server.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA synchronous=FULL")  # an acknowledged record survives a power cut
    cur.execute("PRAGMA secure_delete=ON")  # erased envelopes are overwritten, not just freed
    cur.close()


def make_engine(settings: Settings) -> sa.Engine:
    """An engine for the settings' database; creates the data folder for SQLite."""
    url = settings.url
    if url.startswith("sqlite"):
        private_folder(settings.data_dir)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, pool_size=8
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def private_folder(folder: Path) -> None:
    """Make ``folder`` (0700) and keep what the server writes there to its owner (0600):
    the umask covers the database, its WAL and journal, made later by SQLite."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    os.umask(os.umask(0o077) | 0o077)
    for path in folder.glob("waymark-server.db*"):
        os.chmod(path, 0o600)


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe from several processes)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(settings: Settings) -> sa.Engine:
    engine = make_engine(settings)
    if settings.run_migrations:
        migrate(engine)
    return engine
