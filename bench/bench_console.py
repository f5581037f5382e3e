"""Submissions table figures on 100,000 records, in one run, beside a plain SQL query.

The console keeps every record encrypted (AES-256-GCM) in its SQLite store; pathways, flags
and dates exist only inside ciphertext (each record's summary sealed with a few thousand others
in the store's listing packs), so the table is an index built in memory when the store is
opened. The baseline is the same rows as PLAIN columns in a SQLite table with indexes
on the columns filtered and sorted on, queried with ``WHERE ... ORDER BY ... LIMIT``: what a
console that gave up encryption at rest could do. Each figure is the median of several runs,
printed beside the baseline's as a ratio.

1. open: the console decrypting every record and building the table, against reading every
   plain row into Python (``SELECT *``).
2. filter: site and pathway filters, newest first, first page (25 rows), against the same
   ``WHERE site = ? AND pathways LIKE ?`` query.
3. page: the 11th page sorted by case code, against ``ORDER BY case_code LIMIT 25 OFFSET 250``.
4. search: one case code, against ``WHERE case_code = ?``.

Run: ``python bench/bench_console.py [N]`` (N records, default 100,000; a few minutes).
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.console.model import Console  # noqa: E402
from app.console.store import ConsoleStore, NewRecord  # noqa: E402
from app.console.table import Column, TableQuery  # noqa: E402
from app.store import crypto  # noqa: E402
from sync.protocol import case_code  # noqa: E402

PASSPHRASE = "bench passphrase 4711"  # noqa: S105 - a throwaway key for the benchmark
SITES = ("north", "south", "east", "west", "harbour")
PATHWAYS = ("urgent", "child", "medical", "mhpss", "trafficking", "legal_aid", "family_tracing")
FLAGS = ("documents_held", "debt", "child", "health_need", "threatened", "deceived_job")
RUNS = 7


def payload(rid: str, rng: random.Random, day: datetime) -> dict[str, object]:
    pathways = rng.sample(PATHWAYS, rng.randint(0, 3))
    flags = rng.sample(FLAGS, rng.randint(0, 3))
    return {
        "record_id": rid,
        "device_id": "d1",
        "form_id": "waymark_screening",
        "form_version": "2026.11.1",
        "language": rng.choice(("en", "ar", "fr", "fa")),
        "started_at": day.isoformat(),
        "finalised_at": day.isoformat(),
        "values": {f"section_{q // 10}/question_{q}": f"answer {q}" for q in range(40)},
        "outcome": {
            "flags": [{"id": f, "dimension": None, "strength": None, "because": []} for f in flags],
            "pathways": [{"id": p, "because": []} for p in pathways],
            "indicators": {},
        },
        "consent": {},
    }


def fill(store: ConsoleStore, plain: sqlite3.Connection, n: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: list[NewRecord] = []
    plain.execute("BEGIN")
    for i in range(n):
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        day = start + timedelta(minutes=5 * i)
        site = SITES[i % len(SITES)]
        p = payload(rid, rng, day)
        outcome = p["outcome"]
        assert isinstance(outcome, dict)
        batch.append(
            NewRecord(rid, f"{i:064x}", i + 1, "d1", site, "waymark_screening", "2026.11.1",
                      day, False, p)
        )
        plain.execute(
            "INSERT INTO plain VALUES (?,?,?,?,?,?,?,?,?,?)",
            (rid, case_code(rid), site, day.date().isoformat(), "waymark_screening",
             "2026.11.1", " ".join(x["id"] for x in outcome["pathways"]),
             " ".join(x["id"] for x in outcome["flags"]), "open", json.dumps(p)),
        )
        if len(batch) == 2000:
            store.add_records(batch)
            batch = []
    if batch:
        store.add_records(batch)
    plain.execute("COMMIT")


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pem, _raw = crypto.new_agency_keypair(PASSPHRASE)
        key = crypto.load_agency_private_key(pem, PASSPHRASE)
        store = ConsoleStore.open(tmp / "console", PASSPHRASE,
                                  agency_fingerprint=key.fingerprint, kdf=crypto.TEST_KDF)
        plain = sqlite3.connect(tmp / "plain.db", isolation_level=None)
        plain.execute(
            "CREATE TABLE plain (id TEXT PRIMARY KEY, case_code TEXT, site TEXT, day TEXT,"
            " form_id TEXT, form_version TEXT, pathways TEXT, flags TEXT, state TEXT,"
            " body TEXT)"
        )
        for col in ("case_code", "site", "day"):
            plain.execute(f"CREATE INDEX ix_{col} ON plain ({col})")
        t0 = time.perf_counter()
        fill(store, plain, n)
        print(f"filled {n:,} records in {time.perf_counter() - t0:.1f} s")
        store.close()

        console = Console("http://unused", "unused", tmp / "console", kdf=crypto.TEST_KDF)

        def open_console() -> None:
            console.unlock(pem, PASSPHRASE)
            console.table()

        def open_plain() -> None:
            plain.execute("SELECT * FROM plain").fetchall()

        open_c = median_ms(open_console, 3)
        open_p = median_ms(open_plain, 3)
        console.unlock(pem, PASSPHRASE)
        rows, _facets = console.submissions()
        wanted = rows[len(rows) // 2].case

        q_filter = TableQuery(sites=frozenset({"north"}), pathways=frozenset({"trafficking"}))
        q_page = replace(TableQuery(sort=Column.case, descending=False), page=10)
        q_search = TableQuery(search=wanted)
        figures = [
            ("open (decrypt all, build table)", open_c, open_p),
            (
                "filter site+pathway, 1st page",
                median_ms(lambda: console.table(q_filter)),
                median_ms(lambda: plain.execute(
                    "SELECT * FROM plain WHERE site = ? AND (' ' || pathways || ' ') LIKE ?"
                    " ORDER BY day DESC LIMIT 25", ("north", "% trafficking %")).fetchall()),
            ),
            (
                "11th page by case code",
                median_ms(lambda: console.table(q_page)),
                median_ms(lambda: plain.execute(
                    "SELECT * FROM plain ORDER BY case_code LIMIT 25 OFFSET 250").fetchall()),
            ),
            (
                "search one case code",
                median_ms(lambda: console.table(q_search)),
                median_ms(lambda: plain.execute(
                    "SELECT * FROM plain WHERE case_code = ?", (wanted,)).fetchall()),
            ),
        ]
        assert console.table(q_search).matching >= 1
        console.lock()
        plain.close()
    print(f"\n{'':34} {'console ms':>11} {'plain SQL ms':>13} {'ratio':>8}")
    for name, ours, base in figures:
        print(f"{name:34} {ours:11.1f} {base:13.1f} {ours / base:8.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
