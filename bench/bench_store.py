"""Encrypted store figures, in one run, beside the baseline they are judged against.

1. Autosave latency (median, p99) of ``Store.save_session`` (JSON, AES-256-GCM, UPDATE plus its
   audit entry, committed with ``synchronous=FULL``) against a plain unencrypted SQLite insert
   of the same bytes with the same durability (WAL, ``synchronous=FULL``), measured alternately
   so both see the same machine load. Goal: p99 < 10 ms and within 1.5x the plain insert.
2. Unlock time with the real (default) Argon2id parameters. Goal: >= 0.25 s (it is the cost
   of guessing a PIN) and short enough to wait for.
3. Listing 20,000 records (``Store.records()``). Goal: < 300 ms. Also the time to open a
   store that size (it runs SQLite's ``quick_check``).

Run: ``python bench/bench_store.py`` (about half a minute).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.store import crypto, db  # noqa: E402
from app.store.store import Store, StoreSettings, record_aad  # noqa: E402

SAVES = 1000
LIST_RECORDS = 20_000
PIN = "bench PIN 2580"


def session(i: int) -> dict[str, object]:
    """A mid-interview session: about 60 answers, as the engine would serialise it."""
    answers = {
        f"section_{q // 10}/question_{q}": f"answer {q} to save {i} - جواب" for q in range(60)
    }
    return {"answers": answers, "position": "section_5/question_59", "language": "ar", "n": i}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def plain_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    return conn


def bench_autosave(tmp: Path) -> None:
    store = Store.open(tmp / "store", StoreSettings())
    store.set_pin(PIN)
    record_id = store.new_record("waymark_screening", "2026.11.1")
    plain = plain_connection(tmp / "plain.db")
    ours: list[float] = []
    base: list[float] = []
    for i in range(SAVES):
        data = session(i)
        start = time.perf_counter()
        store.save_session(record_id, data)
        ours.append(time.perf_counter() - start)

        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        start = time.perf_counter()
        plain.execute("BEGIN IMMEDIATE")
        plain.execute("INSERT INTO plain (data) VALUES (?)", (raw,))
        plain.execute("COMMIT")
        base.append(time.perf_counter() - start)
    size = len(json.dumps(session(0), ensure_ascii=False).encode())
    store.close()
    plain.close()
    ms = 1000.0
    print(f"autosave ({SAVES} saves of a {size}-byte session, interleaved with the baseline)")
    print(
        f"  encrypted store   median {statistics.median(ours) * ms:6.2f} ms   p99 "
        f"{pct(ours, 99) * ms:6.2f} ms"
    )
    print(
        f"  plain SQLite      median {statistics.median(base) * ms:6.2f} ms   p99 "
        f"{pct(base, 99) * ms:6.2f} ms"
    )
    print(
        f"  ratio             median {statistics.median(ours) / statistics.median(base):5.2f}x"
        f"       p99 {pct(ours, 99) / pct(base, 99):5.2f}x   (goal: p99 < 10 ms, <= 1.5x)"
    )


def bench_unlock(tmp: Path) -> None:
    with Store.open(tmp / "unlock", StoreSettings()) as store:
        start = time.perf_counter()
        store.set_pin(PIN)
        setup = time.perf_counter() - start
        times = []
        for _ in range(3):
            store.lock()
            start = time.perf_counter()
            store.unlock(PIN)
            times.append(time.perf_counter() - start)
    p = crypto.DEFAULT_KDF
    print(f"unlock (Argon2id {p.iterations} passes, {p.memory_kib // 1024} MiB, {p.lanes} lanes)")
    print(
        f"  set PIN {setup:.3f} s; unlock median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}; goal >= 0.25 s)"
    )


def bench_listing(tmp: Path) -> None:
    data_dir = tmp / "list"
    settings = StoreSettings(kdf=crypto.TEST_KDF)  # the key's cost is not what is measured here
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        key = store._key
        assert key is not None
    engine = db.open_engine(data_dir / db.DB_NAME)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        rows = []
        for i in range(LIST_RECORDS):
            record_id = str(uuid.uuid4())
            at = now.replace(microsecond=i % 1_000_000).isoformat(timespec="milliseconds")
            blob = crypto.encrypt(
                key, json.dumps(session(i)).encode(), record_aad(record_id, "f", "1")
            )
            status = ("draft", "finalised", "sent")[i % 3]
            rows.append((record_id, "f", "1", status, at, at, i % 40, blob))
        conn.exec_driver_sql(
            "INSERT INTO record (id, form_id, form_version, status, created_at, updated_at, "
            "revision, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    engine.dispose()
    start = time.perf_counter()
    store = Store.open(data_dir, settings)
    opened = time.perf_counter() - start
    with store:
        times, drafts = [], []
        for _ in range(5):
            start = time.perf_counter()
            listed = store.records()
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.records("draft")
            drafts.append(time.perf_counter() - start)
        assert len(listed) == LIST_RECORDS
    print(
        f"listing {LIST_RECORDS:,} records (opening the store, quick_check included: "
        f"{opened * 1000:.0f} ms)"
    )
    print(
        f"  all: median {statistics.median(times) * 1000:.1f} ms (max {max(times) * 1000:.1f});"
        f" drafts only: median {statistics.median(drafts) * 1000:.1f} ms   (goal < 300 ms)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_autosave(tmp)
        bench_unlock(tmp)
        bench_listing(tmp)


if __name__ == "__main__":
    main()
