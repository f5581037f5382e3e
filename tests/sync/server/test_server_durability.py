"""Nothing acknowledged is lost: the server process is killed (SIGKILL) right after each
acknowledgement, restarted, and every envelope it acknowledged is there, SQLite and PostgreSQL.
SQLite commits with ``synchronous=FULL`` so a power cut keeps them too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.client import SyncClient
from sync.server import Settings, admin
from sync.server.db import make_engine
from tests.pg import free_port
from tests.sync.helpers import AgencyKeys, MemoryOutbox, sealed_record, wait_until_up

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 4


def start(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "app", "server", "--data-dir", str(settings.data_dir),
            "--host", "127.0.0.1", "--port", str(port)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        args, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_killed_right_after_acknowledging_nothing_acknowledged_is_missing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, agency_keys: AgencyKeys
) -> None:
    url = request.getfixturevalue("pg").new_database() if backend == "postgresql" else None
    settings = Settings(data_dir=tmp_path / "server", database_url=url)
    admin.install_agency_key(settings, agency_keys.public_raw)
    code = admin.create_enrolment(settings, "north")
    admin.dispose_engines()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(settings, port)
    acknowledged: set[str] = set()
    try:
        wait_until_up(base, proc)
        client = SyncClient(base)
        client.claim(code.code, "tablet", code.fingerprint)
        device = client.credential.device_id  # type: ignore[union-attr]
        for _ in range(ROUNDS):
            outbox = MemoryOutbox()
            for _ in range(25):
                outbox.add(sealed_record(agency_keys, device))
            report = client.sync_once(outbox)
            os.kill(proc.pid, signal.SIGKILL)  # the moment the receipt is in the device's hands
            proc.wait(10)
            acknowledged |= {str(r.id) for r in outbox.acked if r.acknowledged}
            assert report.acknowledged == 25 and not outbox.items
            proc = start(settings, port)
            wait_until_up(base, proc)
            client.close()
            client = SyncClient(base, client.token)
        client.close()
    finally:
        proc.kill()
        proc.wait(10)
    engine = sa.create_engine(settings.url)
    with engine.connect() as conn:
        kept = {r[0] for r in conn.execute(sa.text("SELECT record_id FROM envelope"))}
    engine.dispose()
    assert len(acknowledged) == ROUNDS * 25 and acknowledged <= kept


def test_sqlite_commits_durably(tmp_path: Path) -> None:
    engine = make_engine(Settings(data_dir=tmp_path))
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(sa.text("PRAGMA secure_delete")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
