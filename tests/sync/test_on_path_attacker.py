"""An on-path attacker (a real proxy process, tests/sync/mitm.py) between a real device store
and a real server process, all over loopback. Each attack fails; the device's records stay
intact and reach the server sealed to the real agency key only."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.store import Enrolment, Store, StoreSettings
from sync import crypto
from sync.client import BackgroundSyncer, SyncClient
from sync.errors import SyncError
from sync.protocol import API_PREFIX
from sync.server import Settings, admin
from tests.pg import free_port
from tests.sync.helpers import AgencyKeys, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
PIN = "730519"
FAST = crypto.KdfParams(iterations=1, memory_kib=256, lanes=1)
FORM = ("waymark_screening", "2026.11.1")


@dataclass
class Net:
    settings: Settings
    keys: AgencyKeys
    attacker: AgencyKeys
    server_url: str
    proxy_url: str
    mode_file: Path
    log_file: Path

    def mode(self, mode: str) -> None:
        self.mode_file.write_text(mode, encoding="utf-8")

    def log(self) -> list[dict[str, object]]:
        text = self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    def envelopes(self) -> list[tuple[str, str, str, str, bytes]]:
        engine = sa.create_engine(self.settings.url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT record_id, device_id, form_id, form_version, sealed FROM envelope"
            )).all()
        engine.dispose()
        return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    keys, attacker = AgencyKeys.new(), AgencyKeys.new()
    settings = Settings(data_dir=tmp_path / "server")
    admin.install_agency_key(settings, keys.public_raw)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port, proxy_port = free_port(), free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "app", "server", "--data-dir", str(settings.data_dir),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    mode_file, log_file = tmp_path / "mode", tmp_path / "mitm.log"
    mode_file.write_text("pass", encoding="utf-8")
    proxy = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "tests" / "sync" / "mitm.py"), str(proxy_port),
         f"http://127.0.0.1:{port}", str(mode_file), str(log_file),
         base64.b64encode(attacker.public_raw).decode()],
        env=env, cwd=ROOT,
    )
    try:
        net = Net(settings, keys, attacker, f"http://127.0.0.1:{port}",
                  f"http://127.0.0.1:{proxy_port}", mode_file, log_file)
        wait_until_up(net.server_url, server)
        wait_until_up(net.proxy_url, proxy)
        yield net
    finally:
        for proc in (proxy, server):
            stop(proc)
        admin.dispose_engines()


def new_store(path: Path) -> Store:
    store = Store.open(path, StoreSettings(kdf=FAST, retention_seconds=0))
    store.set_pin(PIN)
    return store


def enrol(store: Store, net: Net, url: str, qr: bool = False) -> SyncClient:
    code = admin.create_enrolment(net.settings, "north")
    client = SyncClient(url)
    claimed = client.claim(code.code, "tablet", code.fingerprint if qr else None)
    store.save_enrolment(Enrolment(
        server_url=url, device_id=claimed.device_id, token=claimed.token,
        agency_public_key=claimed.agency_public_key, site=claimed.site,
    ))
    return client


def finalise(store: Store, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rid = store.new_record(*FORM)
        store.save_session(rid, {"values": {"intro/name": f"MARKER-{i}"}})
        store.finalise(rid, {"record_id": rid, "values": {"intro/name": f"MARKER-{i}"}})
        ids.append(rid)
    return ids


def syncer(store: Store, client: SyncClient) -> BackgroundSyncer:
    return BackgroundSyncer(client, store.outbox, on_wipe=lambda: store.wipe("revoked"))


def assert_only_the_agency_opens(net: Net, expected: set[str]) -> None:
    rows = net.envelopes()
    assert {r[0] for r in rows} == expected
    real, fake = net.keys.private(), net.attacker.private()
    for rid, device, form, version, sealed in rows:
        info = crypto.envelope_info(rid, device, form, version)
        assert b"MARKER" in crypto.open_sealed(real, sealed, info)
        with pytest.raises(crypto.CryptoError):
            crypto.open_sealed(fake, sealed, info)


@pytest.mark.parametrize("qr", [False, True], ids=["typed_code", "qr_code"])
def test_key_swap_at_enrolment_is_refused(net: Net, tmp_path: Path, qr: bool) -> None:
    store = new_store(tmp_path / "device")
    net.mode("swap_key")
    with pytest.raises(SyncError) as err:
        enrol(store, net, net.proxy_url, qr=qr)
    assert err.value.code == "enrolment_unauthentic"
    assert not store.enrolled
    # the attacker's answer did carry its key: the device refused it, not the proxy's mistake
    claims = [e for e in net.log() if str(e["path"]).endswith("/enrol/claim")]
    answer = json.loads(base64.b64decode(str(claims[-1]["answer"])))
    assert base64.b64decode(answer["agency_public_key"]) == net.attacker.public_raw
    net.mode("pass")
    client = enrol(store, net, net.proxy_url, qr=qr)
    assert store.enrolment is not None
    assert store.enrolment.agency_public_key == net.keys.public_raw
    ids = finalise(store, 3)
    syncer(store, client).step()
    assert_only_the_agency_opens(net, set(ids))


def test_a_stolen_token_and_replayed_requests_get_nothing(net: Net, tmp_path: Path) -> None:
    store = new_store(tmp_path / "device")
    client = enrol(store, net, net.proxy_url)
    ids = finalise(store, 2)
    assert syncer(store, client).step() > 0 and store.outbox.pending_count() == 0
    log = net.log()
    claim = next(e for e in log if str(e["path"]).endswith("/enrol/claim"))
    upload = next(e for e in log if str(e["path"]).endswith("/envelopes"))
    token = str(upload["headers"]["Authorization"]).split(" ", 1)[1]  # type: ignore[index]
    assert token.encode() not in base64.b64decode(str(claim["answer"]))  # sealed at enrolment
    with httpx.Client(base_url=net.server_url + API_PREFIX) as http:
        bearer = {"Authorization": f"Bearer {token}"}
        assert http.get("/config", headers=bearer).status_code == 401
        assert http.post("/envelopes", headers=bearer, json={"envelopes": []}).status_code == 401
        replayed = http.post(
            "/envelopes", content=base64.b64decode(str(upload["body"])),
            headers={k: v for k, v in upload["headers"].items()  # type: ignore[union-attr]
                     if k.lower() not in ("host", "content-length")},
        )
        assert replayed.status_code == 401 and replayed.json()["detail"] == "counter_stale"
        for path in ("/devices", "/coordinator/envelopes"):
            assert http.get(path, headers=bearer).status_code == 401
    assert_only_the_agency_opens(net, set(ids))


def test_a_forged_revocation_changes_nothing_and_a_genuine_one_wipes(
    net: Net, tmp_path: Path
) -> None:
    store = new_store(tmp_path / "device")
    client = enrol(store, net, net.proxy_url)
    ids = finalise(store, 4)
    net.mode("forge_revoke")
    sync = syncer(store, client)
    sync.step()
    assert not sync.wiped and store.enrolled and store.outbox.pending_count() == 4
    assert {r.id for r in store.records()} == set(ids)
    net.mode("pass")
    sync.step()
    assert store.outbox.pending_count() == 0
    assert_only_the_agency_opens(net, set(ids))
    admin.revoke_device(net.settings, store.enrolment.device_id)  # type: ignore[union-attr]
    finalise(store, 1)
    sync.step()
    assert sync.wiped and not store.enrolled and store.records() == []


def test_a_forged_acknowledgement_purges_nothing(net: Net, tmp_path: Path) -> None:
    store = new_store(tmp_path / "device")
    client = enrol(store, net, net.proxy_url)
    ids = finalise(store, 3)
    net.mode("forge_ack")
    report = client.sync_once(store.outbox)
    assert report.error is not None and report.error.code == "statement_invalid"
    assert store.outbox.pending_count() == 3 and net.envelopes() == []
    assert all(r.readable and r.sync_state != "acknowledged" for r in store.records())
    net.mode("pass")
    assert client.sync_once(store.outbox).stored == 3
    net.mode("replay_answer")  # the genuine acknowledgement, replayed to a later upload
    more = finalise(store, 1)
    assert client.sync_once(store.outbox).error is not None
    assert store.outbox.pending_count() == 1
    net.mode("pass")
    client.sync_once(store.outbox)
    assert_only_the_agency_opens(net, set(ids) | set(more))
