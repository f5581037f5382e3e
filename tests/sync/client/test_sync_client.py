"""The sync client against the real server in process."""

from __future__ import annotations

import logging
import threading

import httpx
import pytest

from sync.client import BackgroundSyncer, SyncClient, backoff_delay
from sync.errors import Unreachable
from sync.protocol import ItemStatus
from sync.server import admin
from tests.sync.conftest import Server
from tests.sync.helpers import MemoryOutbox, sealed_record


def device_of(client: SyncClient) -> str:
    return client.credential.device_id  # type: ignore[union-attr]


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_sync_once_uploads_in_batches_and_reports_progress(server: Server) -> None:
    client = server.enrolled()
    client.batch_size = 4
    outbox = MemoryOutbox()
    for _ in range(10):
        outbox.add(sealed_record(server.keys, device_of(client)))
    calls: list[tuple[int, int, int]] = []
    report = client.sync_once(outbox, lambda s, t, e: calls.append((s, t, e)))
    assert calls == [(0, 10, 0), (4, 10, 0), (8, 10, 0), (10, 10, 0)]
    assert (report.stored, report.acknowledged, report.error) == (10, 10, None)
    assert not outbox.items
    assert server.rows("SELECT count(*) FROM envelope") == [(10,)]


def test_conflicts_stay_in_the_outbox_and_do_not_loop(server: Server) -> None:
    client = server.enrolled()
    device = device_of(client)
    first = sealed_record(server.keys, device)
    client.upload([first])
    outbox = MemoryOutbox()
    clash = sealed_record(server.keys, device, {"x": "y"}, record_id=str(first.id))
    outbox.add(clash)
    outbox.add(sealed_record(server.keys, device))
    report = client.sync_once(outbox)
    assert (report.stored, report.conflict, report.errors) == (1, 1, 1)
    assert list(outbox.items) == [clash.id]


def test_nothing_is_acknowledged_when_the_reply_is_lost(server: Server) -> None:
    client = server.enrolled()
    token = client.token

    def lost_reply(request: httpx.Request) -> httpx.Response:
        server.transport().handle_request(request)  # the server commits
        raise httpx.ReadError("connection reset", request=request)

    flaky = SyncClient("http://server", token, transport=httpx.MockTransport(lost_reply))
    outbox = MemoryOutbox()
    record = sealed_record(server.keys, device_of(client))
    outbox.add(record)
    report = flaky.sync_once(outbox)
    assert isinstance(report.error, Unreachable) and report.errors == 1
    assert list(outbox.items) == [record.id] and outbox.acked == []
    again = client.sync_once(outbox)
    assert again.duplicate == 1 and not outbox.items


def test_results_for_envelopes_not_sent_are_ignored(server: Server) -> None:
    client = server.enrolled()
    record = sealed_record(server.keys, device_of(client))
    other = sealed_record(server.keys, device_of(client))

    def liar(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [
            {"id": str(other.id), "status": "stored"},
            {"id": str(record.id), "status": "stored"},
        ]})

    results = SyncClient("http://s", "t", transport=httpx.MockTransport(liar)).upload([record])
    assert [(r.id, r.status) for r in results] == [(record.id, ItemStatus.stored)]


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    low = [backoff_delay(n, 2, 60, rng=lambda: 0.0) for n in range(1, 9)]
    high = [backoff_delay(n, 2, 60, rng=lambda: 1.0) for n in range(1, 9)]
    assert low == [1, 2, 4, 8, 16, 30, 30, 30]
    assert high == [2, 4, 8, 16, 32, 60, 60, 60]


def test_background_syncer_backs_off_then_syncs_then_wipes(server: Server) -> None:
    client = server.enrolled()
    up = {"ok": False}
    real = server.transport()

    def network(request: httpx.Request) -> httpx.Response:
        if not up["ok"]:
            raise httpx.ConnectError("no network", request=request)
        return real.handle_request(request)

    device_client = SyncClient(
        "http://server", client.token, transport=httpx.MockTransport(network)
    )
    outbox = MemoryOutbox()
    outbox.add(sealed_record(server.keys, device_of(client)))
    wiped = threading.Event()
    configs: list[str | None] = []
    syncer = BackgroundSyncer(device_client, outbox, on_wipe=wiped.set, interval=30, base=1,
                              cap=8, rng=lambda: 1.0,
                              on_config=lambda _c, etag: configs.append(etag))
    delays = [syncer.step() for _ in range(6)]
    assert delays == [1, 2, 4, 8, 8, 8] and len(outbox.items) == 1
    up["ok"] = True
    assert syncer.step() == 30 and not outbox.items and syncer.failures == 0
    assert configs and configs[0]
    admin.revoke_device(server.settings, device_of(client))
    outbox.add(sealed_record(server.keys, device_of(client)))
    syncer.start()
    syncer.poke()
    assert wiped.wait(10)
    syncer.stop()
    assert syncer.wiped and len(outbox.items) == 1


def test_background_syncer_thread_syncs_on_poke(server: Server) -> None:
    client = server.enrolled()
    outbox = MemoryOutbox()
    done = threading.Event()
    syncer = BackgroundSyncer(client, outbox, on_wipe=lambda: None, interval=3600,
                              on_report=lambda r: done.set() if r.stored else None)
    syncer.start()
    outbox.add(sealed_record(server.keys, device_of(client)))
    syncer.poke()
    assert done.wait(10)
    syncer.stop()
    assert not outbox.items


def test_background_syncer_survives_an_outbox_failure(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing outbox (a busy or damaged store) must not end the sync thread quietly: the
    failure is logged by its type only (its message could hold anything)."""
    caplog.set_level(logging.WARNING, logger="sync.client._background")
    client = server.enrolled()

    class FlakyOutbox(MemoryOutbox):
        failed = 0

        def pending(self, limit: int):  # type: ignore[no-untyped-def]
            if not self.failed:
                self.failed += 1
                raise RuntimeError("storage busy")
            return super().pending(limit)

    outbox = FlakyOutbox()
    outbox.add(sealed_record(server.keys, device_of(client)))
    done = threading.Event()
    syncer = BackgroundSyncer(
        client,
        outbox,
        on_wipe=lambda: None,
        interval=3600,
        base=0.01,
        cap=0.05,
        on_report=lambda r: done.set() if r.stored else None,
    )
    syncer.start()
    syncer.poke()
    assert done.wait(10)
    syncer.stop()
    assert outbox.failed == 1 and syncer.last_error == "RuntimeError" and not outbox.items
    logged = [r.getMessage() for r in caplog.records if r.name == "sync.client._background"]
    assert logged == ["background sync step failed (RuntimeError); retrying"]
    assert "storage busy" not in caplog.text
