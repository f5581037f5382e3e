"""Wrong PIN, tampered ciphertext, swapped records, damaged files: each a clear error, never a
crash and never a silent wrong answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import db
from app.store.errors import Corrupt, StoreError, WrongPin
from app.store.store import Enrolment, Store, StoreSettings
from tests.app.store.store_helpers import PIN


def _sql(data_dir: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(data_dir / db.DB_NAME)
    try:
        rows = conn.execute(statement, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_wrong_pin_is_a_clear_error(store: Store) -> None:
    store.lock()
    with pytest.raises(WrongPin) as wrong:
        store.unlock("1357")
    assert wrong.value.code == "wrong_pin" and store.locked


def test_tampered_session_ciphertext_is_corrupt(data_dir: Path, store: Store) -> None:
    record_id = store.new_record("f", "1")
    store.save_session(record_id, {"a": "b"})
    [(blob,)] = _sql(data_dir, "SELECT session FROM record WHERE id = ?", record_id)
    assert isinstance(blob, bytes)
    for index in (0, 5, len(blob) // 2, len(blob) - 1):
        damaged = blob[:index] + bytes([blob[index] ^ 0x40]) + blob[index + 1 :]
        _sql(data_dir, "UPDATE record SET session = ? WHERE id = ?", damaged, record_id)
        with pytest.raises(Corrupt) as bad:
            store.load_session(record_id)
        assert (bad.value.code, bad.value.record_id) == ("record_corrupt", record_id)
    _sql(data_dir, "UPDATE record SET session = ? WHERE id = ?", blob[:10], record_id)
    with pytest.raises(Corrupt):
        store.load_session(record_id)


def test_swapped_records_are_refused(data_dir: Path, store: Store) -> None:
    first = store.new_record("waymark_screening", "2026.11.1")
    second = store.new_record("waymark_screening", "2026.11.1")
    store.save_session(first, {"who": "first"})
    store.save_session(second, {"who": "second"})
    [(a,)] = _sql(data_dir, "SELECT session FROM record WHERE id = ?", first)
    [(b,)] = _sql(data_dir, "SELECT session FROM record WHERE id = ?", second)
    _sql(data_dir, "UPDATE record SET session = ? WHERE id = ?", b, first)
    _sql(data_dir, "UPDATE record SET session = ? WHERE id = ?", a, second)
    for record_id in (first, second):
        with pytest.raises(Corrupt):
            store.load_session(record_id)


def test_moving_a_record_to_another_questionnaire_version_is_refused(
    data_dir: Path, store: Store
) -> None:
    record_id = store.new_record("waymark_screening", "2026.11.1")
    store.save_session(record_id, {"a": 1})
    _sql(data_dir, "UPDATE record SET form_version = '2026.12.1' WHERE id = ?", record_id)
    with pytest.raises(Corrupt):
        store.load_session(record_id)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("device_id", "dev-other"),
        ("server_url", "https://elsewhere.example.org"),
        ("site", "other-site"),
        ("agency_public_key", bytes(range(32))),
    ],
)
def test_tampered_enrolment_is_corrupt_and_nothing_is_sealed(
    data_dir: Path, store: Store, enrolment: Enrolment, column: str, value: object
) -> None:
    store.save_enrolment(enrolment)
    record_id = store.new_record("f", "1")
    _sql(data_dir, f"UPDATE enrolment SET {column} = ?", value)  # noqa: S608 - test's own names
    with pytest.raises(Corrupt) as bad:
        _ = store.enrolment
    assert bad.value.code == "enrolment_corrupt"
    with pytest.raises(Corrupt):
        store.finalise(record_id, {})
    assert store.record(record_id).status == "draft" and store.outbox.pending(5) == []


def test_tampered_wrapped_key_never_unlocks(data_dir: Path, store: Store) -> None:
    store.lock()
    [(blob,)] = _sql(data_dir, "SELECT wrapped_key FROM keyring")
    assert isinstance(blob, bytes)
    damaged = blob[:-1] + bytes([blob[-1] ^ 1])
    _sql(data_dir, "UPDATE keyring SET wrapped_key = ?", damaged)
    with pytest.raises(WrongPin):
        store.unlock(PIN)
    _sql(data_dir, "UPDATE keyring SET wrapped_key = ?", b"WK")
    with pytest.raises(Corrupt) as bad:
        store.unlock(PIN)
    assert bad.value.code == "key_corrupt"


def _filled(data_dir: Path, settings: StoreSettings, records: int) -> None:
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        for i in range(records):
            record_id = store.new_record("f", "1")
            store.save_session(record_id, {"i": i, "pad": "x" * 500})
        store._checkpoint()


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_database_is_corrupt_on_open(
    data_dir: Path, settings: StoreSettings, keep: float
) -> None:
    _filled(data_dir, settings, 60)
    path = data_dir / db.DB_NAME
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(int(size * keep) // 4096 * 4096 or 4096)
    with pytest.raises(Corrupt) as bad:
        Store.open(data_dir, settings)
    assert bad.value.code == "database_corrupt"


def test_overwritten_pages_are_corrupt_on_open(data_dir: Path, settings: StoreSettings) -> None:
    _filled(data_dir, settings, 60)
    path = data_dir / db.DB_NAME
    with path.open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096)
    with pytest.raises(Corrupt):
        Store.open(data_dir, settings)


def test_foreign_file_is_corrupt_and_can_be_wiped(data_dir: Path, settings: StoreSettings) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / db.DB_NAME).write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(Corrupt):
        Store.open(data_dir, settings)
    Store.wipe_files(data_dir)
    with Store.open(data_dir, settings) as store:
        assert store.needs_pin_setup


def test_newer_schema_is_refused_not_downgraded(data_dir: Path, settings: StoreSettings) -> None:
    _filled(data_dir, settings, 1)
    _sql(data_dir, f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    with pytest.raises(Corrupt) as bad:
        Store.open(data_dir, settings)
    assert bad.value.code == "schema_too_new"


def test_store_errors_form_one_tree() -> None:
    from app.store import errors

    for name in dir(errors):
        obj = getattr(errors, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, Exception)
            and obj.__module__ == errors.__name__
        ):
            assert issubclass(obj, StoreError)
            assert obj.code
