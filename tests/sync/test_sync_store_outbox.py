"""The real device store's outbox, the real client and the real server, through faults:
finalised records arrive once, readable copies go only after the server's receipt."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.store import Enrolment, Store, StoreSettings, crypto
from sync.client import SyncClient
from sync.server import admin
from tests.sync.conftest import Server
from tests.sync.test_sync_faults import FaultTransport

PIN = "4826"
FAST = crypto.KdfParams(iterations=1, memory_kib=256, lanes=1)


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_store_outbox_survives_faults_and_purges_only_after_receipt(
    server: Server, tmp_path: Path
) -> None:
    code = admin.create_enrolment(server.settings, "north")
    claimed = server.client().claim(code.code, "tablet", code.fingerprint)
    store = Store.open(tmp_path / "device", StoreSettings(kdf=FAST))
    store.set_pin(PIN)
    store.save_enrolment(Enrolment(
        server_url="http://server", device_id=claimed.device_id, token=claimed.token,
        agency_public_key=claimed.agency_public_key, site=claimed.site,
    ))
    ids = []
    for i in range(12):
        rid = store.new_record("waymark_screening", "2026.11.1")
        store.save_session(rid, {"values": {"intro/name": f"MARKER-{i}"}})
        store.finalise(rid, {"record_id": rid, "values": {"intro/name": f"MARKER-{i}"}})
        ids.append(rid)
    outbox = store.outbox
    rng = random.Random(7)
    faults = FaultTransport(server.transport(), rng, rate=0.5)
    client = SyncClient("http://server", claimed.token, transport=faults, batch_size=3)
    progress: list[tuple[int, int, int]] = []
    first = client.sync_once(outbox, lambda s, t, e: progress.append((s, t, e)))
    assert progress[0] == (0, 12, 0)
    for _ in range(100):
        if len(outbox) == 0:
            break
        client.sync_once(outbox)
    assert len(outbox) == 0, first
    rows = server.rows("SELECT record_id FROM envelope")
    assert sorted(r[0] for r in rows) == sorted(ids)
    infos = {r.id: r for r in store.records()}
    assert all(infos[i].sync_state == "acknowledged" and not infos[i].readable for i in ids)
    store.close()
