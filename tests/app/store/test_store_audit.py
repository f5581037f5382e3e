"""The hash-chained audit log and ``waymark audit verify``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.cli import main as waymark
from app.store import audit, db
from app.store.store import Store, StoreSettings
from tests.app.store.store_helpers import PIN

MARKER = "ANSWER-MARKER-e1f4"


@pytest.fixture
def busy_store(data_dir: Path, settings: StoreSettings) -> Path:
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        for _ in range(3):
            record_id = store.new_record("f", "1")
            store.save_session(record_id, {"answer": MARKER})
            store.load_session(record_id)
        store.withdraw(record_id)
        store.lock()
        with pytest.raises(Exception):  # noqa: B017 - any wrong-PIN error; it is logged
            store.unlock("0000")
        store.unlock(PIN)
    return data_dir


def _sql(data_dir: Path, statement: str, *args: object) -> None:
    conn = sqlite3.connect(data_dir / db.DB_NAME)
    conn.execute(statement, args)
    conn.commit()
    conn.close()


def test_log_records_events_without_content(busy_store: Path, settings: StoreSettings) -> None:
    with Store.open(busy_store, settings) as store:
        entries = store.audit.entries()
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        events = {e.event for e in entries}
        assert {"pin_set", "create", "edit", "view", "withdraw", "lock"} <= events
        assert {"unlock", "unlock_failed"} <= events
        text = json.dumps([e.__dict__ for e in entries])
        assert MARKER not in text and PIN not in text
        assert store.audit.verify().ok


def test_verify_passes_on_an_intact_log(busy_store: Path) -> None:
    report = audit.verify_file(busy_store)
    assert report.ok and report.entries > 10


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("UPDATE audit SET event = 'wipe' WHERE seq = 4", "hash_mismatch"),
        ("UPDATE audit SET record_id = 'other' WHERE seq = 2", "hash_mismatch"),
        ("UPDATE audit SET detail = '{}' WHERE seq = 3", "hash_mismatch"),
        ("DELETE FROM audit WHERE seq = 5", "sequence_gap"),
        ("UPDATE audit SET at = '2020-01-01' WHERE seq = 1", "hash_mismatch"),
    ],
)
def test_verify_finds_edited_and_removed_entries(
    busy_store: Path, damage: str, problem: str
) -> None:
    _sql(busy_store, damage)
    report = audit.verify_file(busy_store)
    assert not report.ok and report.problem == problem


def test_verify_finds_removed_entry_even_when_renumbered(busy_store: Path) -> None:
    _sql(busy_store, "DELETE FROM audit WHERE seq = 5")
    _sql(busy_store, "UPDATE audit SET seq = seq - 1 WHERE seq > 5")
    report = audit.verify_file(busy_store)
    assert not report.ok and report.problem in ("chain_broken", "hash_mismatch")
    assert report.seq == 5


def test_verify_finds_reordered_entries(busy_store: Path) -> None:
    conn = sqlite3.connect(busy_store / db.DB_NAME)
    rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    fourth, fifth = rows[3], rows[4]
    rows[3], rows[4] = (4, *fifth[1:]), (5, *fourth[1:])  # entries 4 and 5 change places
    conn.execute("DELETE FROM audit")
    conn.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    report = audit.verify_file(busy_store)
    assert not report.ok and report.seq == 4


def test_verify_finds_a_cut_off_tail(busy_store: Path) -> None:
    _sql(busy_store, "DELETE FROM audit WHERE seq >= (SELECT max(seq) - 1 FROM audit)")
    report = audit.verify_file(busy_store)
    assert not report.ok and report.problem == "head_mismatch"


def test_cli_reports_intact_log(busy_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert waymark(["audit", "verify", "--data", str(busy_store)]) == 0
    out = capsys.readouterr().out
    assert "Audit log intact" in out and "entries checked" in out


def test_cli_reports_tampering(busy_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sql(busy_store, "UPDATE audit SET event = 'wipe' WHERE seq = 4")
    assert waymark(["audit", "verify", "--data", str(busy_store)]) == 1
    out = capsys.readouterr().out
    assert "NOT intact" in out and "Entry 4 was changed" in out


def test_cli_without_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert waymark(["audit", "verify", "--data", str(tmp_path / "none")]) == 2
    assert "No Waymark store" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()


def test_cli_on_a_damaged_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / db.DB_NAME).write_bytes(b"garbage" * 1000)
    assert waymark(["audit", "verify", "--data", str(tmp_path)]) == 1
    assert "damaged" in capsys.readouterr().out


def test_cli_uses_the_device_data_folder_by_default(
    busy_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAYMARK_DEVICE_DATA", str(busy_store))
    assert waymark(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
