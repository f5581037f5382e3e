"""Plaintext scan: after a scripted screening with marker strings, no marker is in the
database, its WAL and journal files, the log files or the temporary directory, as UTF-8 or
UTF-16 bytes."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from app.store import crypto, db
from app.store.store import Enrolment, Store, StoreSettings
from sync.protocol import ItemResult

MARKERS = [
    "MARKER-ANSWER-Qx81",
    "مؤشر-جواب-٧٣",  # Arabic answer text
    "MARKER-NAME-Zebulon",
    "PASSPHRASE-MARKER-77",
    "TOKEN-MARKER-5d1a",
    "CONFIG-MARKER-8b0e",
]
PASSPHRASE = "PASSPHRASE-MARKER-77"  # noqa: S105 - a marker the scan looks for


def _encodings(marker: str) -> list[bytes]:
    return [
        marker.encode("utf-8"),
        marker.encode("utf-16-le"),
        marker.encode("utf-16-be"),
    ]


def find_markers(blob: bytes) -> list[str]:
    return [m for m in MARKERS if any(e in blob for e in _encodings(m))]


def test_the_scan_itself_finds_markers() -> None:
    assert find_markers(("x" + MARKERS[1] + "y").encode("utf-16-le")) == [MARKERS[1]]
    assert find_markers(MARKERS[0].encode("utf-16-be")) == [MARKERS[0]]
    assert find_markers(b"nothing here") == []


def _files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path, Path]]:
    """A private temporary directory and a log file catching everything, SQL included."""
    temp_dir, logs = tmp_path / "tmp", tmp_path / "logs"
    temp_dir.mkdir()
    logs.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_dir))
    monkeypatch.setenv("SQLITE_TMPDIR", str(temp_dir))
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    handler = logging.FileHandler(logs / "waymark.log", encoding="utf-8")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and parameters
    yield tmp_path / "device", temp_dir, logs
    root.removeHandler(handler)
    root.setLevel(old_level)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    handler.close()


def test_no_marker_anywhere_on_disk(scene: tuple[Path, Path, Path]) -> None:
    data_dir, temp_dir, logs = scene
    _, public_raw = crypto.new_agency_keypair("agency")
    settings = StoreSettings(kdf=crypto.TEST_KDF, retention_seconds=0)
    with Store.open(data_dir, settings) as store:
        store.set_pin(PASSPHRASE)
        store.save_enrolment(
            Enrolment(
                "https://sync.example.org",
                "dev-1",
                "TOKEN-MARKER-5d1a",
                public_raw,
                "site",
                {"note": "CONFIG-MARKER-8b0e"},
            )
        )
        ids = []
        for n in range(3):
            record_id = store.new_record("waymark_screening", "2026.11.1")
            answers: dict[str, object] = {}
            for i, text in enumerate([MARKERS[0], MARKERS[1], MARKERS[2]]):
                answers[f"q{i}"] = f"{text} #{n}"
                store.save_session(record_id, {"answers": answers, "position": f"q{i + 1}"})
            assert store.load_session(record_id)["answers"]["q1"].startswith(MARKERS[1])
            ids.append(record_id)
        store.finalise(ids[0], {"record_id": ids[0], "values": answers})
        store.finalise(ids[1], {"record_id": ids[1], "values": answers})
        store.outbox.acknowledge([ItemResult(id=UUID(ids[0]), status="stored")])
        store.withdraw(ids[2])
        store.lock()
        store.unlock(PASSPHRASE)
        store.change_pin(PASSPHRASE, "another 4321")
        store.lock()
        # scanned while the store is still open (WAL and shared-memory files present) ...
        open_files = _files(data_dir, temp_dir, logs)
        hits = {str(p): find_markers(p.read_bytes()) for p in open_files}
    # ... and after closing
    for path in _files(data_dir, temp_dir, logs):
        hits[str(path)] = find_markers(path.read_bytes())
    logging.getLogger().handlers[-1].flush()
    assert any(p.name == db.DB_NAME for p in open_files)
    assert any(p.name == db.DB_NAME + "-wal" for p in open_files)
    assert (logs / "waymark.log").stat().st_size > 1000  # the SQL log really was written
    assert {path: found for path, found in hits.items() if found} == {}
