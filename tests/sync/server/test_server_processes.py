"""Two server processes on one PostgreSQL, many devices uploading at once: no duplicates."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sync.client import SyncClient
from sync.protocol import UploadRequest
from sync.server import Settings, admin
from tests.pg import PgCluster, free_port
from tests.sync.helpers import AgencyKeys, MemoryOutbox, sealed_record

ROOT = Path(__file__).resolve().parents[3]
DEVICES = 16
RECORDS = 30


@pytest.fixture
def two_servers(pg: PgCluster, tmp_path: Path) -> Iterator[tuple[Settings, list[str]]]:
    settings = Settings(data_dir=tmp_path, database_url=pg.new_database("procs"))
    env = {**os.environ, "WAYMARK_DATABASE_URL": settings.database_url or "",
           "WAYMARK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "uvicorn", "--factory", "sync.server.asgi:app_from_env",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, cwd=ROOT,
        )
        for port in ports  # both start at once: migrations must serialise
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while not SyncClient(url).health(timeout=1):
                assert time.monotonic() < deadline, "server did not start"
                assert all(p.poll() is None for p in procs), "server exited"
                time.sleep(0.2)
        yield settings, urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        engine = admin._ENGINES.pop(settings.url, None)
        if engine is not None:
            engine.dispose()


def test_many_devices_two_processes_one_database(two_servers: tuple[Settings, list[str]],
                                                 agency_keys: AgencyKeys) -> None:
    settings, urls = two_servers
    admin.install_agency_key(settings, agency_keys.public_raw)
    tokens = []
    for i in range(DEVICES):
        code = admin.create_enrolment(settings, "north")
        tokens.append(str(SyncClient(urls[i % 2]).claim(code.code, f"tablet {i}").token))

    def device(i: int) -> set[str]:
        rng = random.Random(i)
        device_id = tokens[i].split(".")[0]
        records = [sealed_record(agency_keys, device_id) for _ in range(RECORDS)]
        clients = [SyncClient(u, tokens[i], batch_size=rng.randint(3, 10)) for u in urls]
        # the same batches go to both processes at once, as a retry after a lost reply would
        with ThreadPoolExecutor(2) as both:
            for start in range(0, RECORDS, 10):
                batch = records[start : start + 10]
                list(both.map(lambda c, b=batch: c.upload(b), clients))
        outbox = MemoryOutbox()
        for r in records:
            outbox.add(r)
        report = clients[rng.randrange(2)].sync_once(outbox)
        assert report.duplicate == RECORDS and not outbox.items
        return {str(r.id) for r in records}

    with ThreadPoolExecutor(DEVICES) as pool:
        expected = set().union(*pool.map(device, range(DEVICES)))
    engine = sa.create_engine(settings.url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT record_id, conflict FROM envelope")).all()
        versions = conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar()
    engine.dispose()
    counts = Counter(r[0] for r in rows)
    assert set(counts) == expected and len(expected) == DEVICES * RECORDS
    assert max(counts.values()) == 1 and not any(r[1] for r in rows)
    assert versions == 1
    assert httpx.get(urls[0] + "/api/v1/health").json()["status"] == "ok"


def test_more_requests_at_once_than_database_connections(
    two_servers: tuple[Settings, list[str]], agency_keys: AgencyKeys
) -> None:
    """150 requests at once at one process with a pool of 30 connections and 40 worker
    threads: every one answered (no request may hold a connection while it waits for a
    thread, or the pool and the threads wait on each other)."""
    settings, urls = two_servers
    admin.install_agency_key(settings, agency_keys.public_raw)
    code = admin.create_enrolment(settings, "north")
    token = str(SyncClient(urls[0]).claim(code.code, "tablet").token)
    device_id = token.split(".")[0]
    coordinator = admin.add_coordinator(settings, "console")
    bodies = [
        UploadRequest(envelopes=[sealed_record(agency_keys, device_id) for _ in range(40)])
        .model_dump_json().encode()
        for _ in range(8)
    ]

    def call(i: int) -> int:
        url = urls[0] + "/api/v1"
        with httpx.Client(timeout=60) as http:
            if i % 3 == 0:
                r = http.get(url + "/config", headers={"Authorization": f"Bearer {token}"})
            elif i % 3 == 1:
                r = http.get(url + "/coordinator/envelopes",
                             headers={"Authorization": f"Bearer {coordinator}"})
            else:
                r = http.post(url + "/envelopes", content=bodies[i % len(bodies)],
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})
            return r.status_code

    with ThreadPoolExecutor(150) as pool:
        statuses = Counter(pool.map(call, range(300)))
    assert statuses == Counter({200: 300})
