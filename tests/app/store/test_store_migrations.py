"""Schema migrations: a tablet's version-1 database upgrades and keeps every record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from app.store import audit, crypto, db, models
from app.store.store import Store, StoreSettings, record_aad
from tests.app.store.store_helpers import PIN

NOW = "2026-11-20T09:00:00.000+00:00"


def _make_v1_store(data_dir: Path, sessions: dict[str, bytes]) -> None:
    """What the first release wrote: version-1 tables, a wrapped key, records, an audit log."""
    data_dir.mkdir(parents=True)
    engine = db.open_engine(data_dir / db.DB_NAME)
    assert db.migrate(engine, target=1) == [1]
    key = crypto.new_data_key()
    prev = audit.GENESIS
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO keyring VALUES (1, ?, ?, ?)",
            (crypto.wrap_key(key, PIN, params=crypto.TEST_KDF), NOW, NOW),
        )
        for seq, (record_id, plaintext) in enumerate(sessions.items(), start=1):
            blob = crypto.encrypt(key, plaintext, record_aad(record_id, "screening", "1"))
            conn.exec_driver_sql(
                "INSERT INTO record (id, form_id, form_version, status, created_at, updated_at,"
                " revision, session) VALUES (?, 'screening', '1', 'draft', ?, ?, 3, ?)",
                (record_id, NOW, NOW, blob),
            )
            digest = audit.entry_hash(seq, NOW, "create", record_id, "{}", prev)
            conn.exec_driver_sql(
                "INSERT INTO audit VALUES (?, ?, 'create', ?, '{}', ?, ?)",
                (seq, NOW, record_id, prev, digest),
            )
            prev = digest
    engine.dispose()


def test_version_one_database_upgrades_and_keeps_its_records(
    data_dir: Path, settings: StoreSettings
) -> None:
    sessions = {f"0000000{i}-rec": f'{{"answers": {{"q": {i}}}}}'.encode() for i in range(5)}
    _make_v1_store(data_dir, sessions)
    with sqlite3.connect(data_dir / db.DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)

    with Store.open(data_dir, settings) as store:
        assert not store.needs_pin_setup
        store.unlock(PIN)
        assert {r.id for r in store.records()} == set(sessions)
        for i, record_id in enumerate(sessions):
            assert store.load_session(record_id) == {"answers": {"q": i}}
        report = store.audit.verify()
        assert report.ok and report.entries == 5 + 1 + 1 + 5  # creates, migrate, unlock, views
        migrate = store.audit.entries(event="migrate")
        assert [e.detail for e in migrate] == [{"from_version": 1, "to_version": 2}]
        record_id = next(iter(sessions))
        assert store.save_session(record_id, {"answers": {"q": "new"}}) == 4

    with sqlite3.connect(data_dir / db.DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (db.SCHEMA_VERSION,)


def test_opening_twice_migrates_once(data_dir: Path, settings: StoreSettings) -> None:
    _make_v1_store(data_dir, {"r1": b"{}"})
    for _ in range(2):
        with Store.open(data_dir, settings) as store:
            assert len(store.audit.entries(event="migrate")) == 1


def test_fresh_database_matches_the_models_exactly(data_dir: Path, settings: StoreSettings) -> None:
    """The SQLModel classes describe exactly what the migrations build."""
    with Store.open(data_dir, settings):
        pass
    engine = sa.create_engine(f"sqlite:///{data_dir / db.DB_NAME}")
    inspector = sa.inspect(engine)
    tables = {
        m.__tablename__
        for m in (
            models.Keyring,
            models.UnlockState,
            models.EnrolmentRow,
            models.Record,
            models.AuditEntry,
            models.AuditHead,
        )
    }
    assert set(inspector.get_table_names()) == tables
    for name in tables:
        table = models.StoreModel.metadata.tables[name]
        built = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(built) == set(table.columns.keys()), name
        for column in table.columns:
            assert bool(built[column.name]["nullable"]) == bool(column.nullable) or (
                column.primary_key
            ), (name, column.name)
    engine.dispose()


def test_every_connection_is_durable_and_scrubs_deletes(store: Store) -> None:
    with store._engine.connect() as conn:
        pragmas = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()
            for p in (
                "journal_mode",
                "synchronous",
                "secure_delete",
                "temp_store",
                "wal_autocheckpoint",
            )
        }
        conn.rollback()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "secure_delete": 1,
        "temp_store": 2,  # MEMORY
        "wal_autocheckpoint": 200,
    }
