"""The ``Outbox`` contract (sync.protocol), run by the real store outbox and by every fake the
tests and benchmarks use, so a fake can never drift from what the client meets in the field."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.store import Enrolment, Store, StoreSettings
from sync import crypto
from sync.protocol import EnvelopeIn, ItemResult, ItemStatus, Outbox
from tests.sync.helpers import AgencyKeys, MemoryOutbox, sealed_record

ROOT = Path(__file__).resolve().parents[2]
FAST = crypto.KdfParams(iterations=1, memory_kib=256, lanes=1)


def bench_outbox() -> type:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_sync import ListOutbox  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return ListOutbox  # type: ignore[no-any-return]


# Each maker fills an outbox with ``n`` finalised records and returns it.
Maker = Callable[[int], Outbox]


@pytest.fixture(params=["store", "memory", "bench"])
def make(request: pytest.FixtureRequest, tmp_path: Path,
         agency_keys: AgencyKeys) -> Iterator[Maker]:
    stores: list[Store] = []

    def store_outbox(n: int) -> Outbox:
        store = Store.open(tmp_path / f"device{len(stores)}", StoreSettings(kdf=FAST))
        stores.append(store)
        store.set_pin("864209")
        store.save_enrolment(Enrolment(server_url="http://127.0.0.1:1", device_id="dev_1",
                                       token="t", agency_public_key=agency_keys.public_raw,  # noqa: S106
                                       site="north"))
        for _ in range(n):
            rid = store.new_record("waymark_screening", "2026.11.1")
            store.save_session(rid, {"values": {}})
            store.finalise(rid, {"record_id": rid})
        return store.outbox

    def memory_outbox(n: int) -> Outbox:
        outbox = MemoryOutbox()
        for _ in range(n):
            outbox.add(sealed_record(agency_keys, "dev_1"))
        return outbox

    def list_outbox(n: int) -> Outbox:
        return bench_outbox()([sealed_record(agency_keys, "dev_1") for _ in range(n)])  # type: ignore[no-any-return]

    yield {"store": store_outbox, "memory": memory_outbox, "bench": list_outbox}[request.param]
    for store in stores:
        store.close()


def result(envelope: EnvelopeIn, status: ItemStatus, detail: str | None = None) -> ItemResult:
    return ItemResult(id=envelope.id, status=status, detail=detail)


def test_it_is_the_protocol(make: Maker) -> None:
    assert isinstance(make(0), Outbox)


def test_pending_is_bounded_and_counted(make: Maker) -> None:
    outbox = make(5)
    assert outbox.pending_count() == 5
    assert len(outbox.pending(3)) == 3
    everything = outbox.pending(100)
    assert len(everything) == 5 and all(isinstance(e, EnvelopeIn) for e in everything)
    assert len({e.id for e in everything}) == 5
    assert make(0).pending(10) == [] and make(0).pending_count() == 0


def test_only_stored_and_duplicate_results_take_a_record_out(make: Maker) -> None:
    outbox = make(4)
    a, b, c, d = outbox.pending(10)
    outbox.acknowledge([
        result(a, ItemStatus.stored),
        result(b, ItemStatus.duplicate, "erased"),
        result(c, ItemStatus.rejected, "digest_mismatch"),
        ItemResult(id=uuid.uuid4(), status=ItemStatus.stored),  # not in this outbox: ignored
    ])
    left = {e.id for e in outbox.pending(10)}
    assert a.id not in left and b.id not in left
    assert {c.id, d.id} <= left
    assert outbox.pending_count() == len(left)


def test_an_empty_acknowledgement_changes_nothing(make: Maker) -> None:
    outbox = make(2)
    before = {e.id for e in outbox.pending(10)}
    outbox.acknowledge([])
    assert {e.id for e in outbox.pending(10)} == before and outbox.pending_count() == 2
