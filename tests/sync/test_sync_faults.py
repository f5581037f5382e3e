"""Fault injection between the real client and the real server: over hundreds of randomised
runs with drops before and after commit, 500/503, delays, timeouts and truncated replies, the
server ends with exactly the finalised records, none lost, none twice."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import httpx

from sync.client import SyncClient
from tests.sync.conftest import Server
from tests.sync.helpers import MemoryOutbox, sealed_record

FAULTS = (
    "drop_before", "drop_after", "error_500", "error_500_after", "error_503",
    "delay", "timeout_after", "truncate",
)
RUNS = 200


class FaultTransport(httpx.BaseTransport):
    """Wraps the in-process transport and misbehaves like a bad field network."""

    def __init__(self, inner: httpx.BaseTransport, rng: random.Random, rate: float) -> None:
        self.inner = inner
        self.rng = rng
        self.rate = rate
        self.seen: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.rng.choice(FAULTS) if self.rng.random() < self.rate else "none"
        self.seen[fault] += 1
        if fault == "drop_before":
            raise httpx.ConnectError("connection dropped", request=request)
        if fault == "error_503":
            return httpx.Response(503, content=b"", request=request)
        if fault == "error_500":
            return httpx.Response(500, json={"detail": "server_error"}, request=request)
        if fault == "delay":
            time.sleep(self.rng.uniform(0, 0.003))
        response = self.inner.handle_request(request)
        if fault == "drop_after":
            raise httpx.RemoteProtocolError("connection dropped after commit", request=request)
        if fault == "timeout_after":
            raise httpx.ReadTimeout("no reply in time", request=request)
        if fault == "error_500_after":
            return httpx.Response(500, content=b"", request=request)
        if fault == "truncate" and response.content:
            cut = self.rng.randrange(len(response.content))
            headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-length"]
            return httpx.Response(response.status_code, headers=headers,
                                  content=response.content[:cut], request=request)
        return response


def test_every_finalised_record_arrives_exactly_once(server: Server) -> None:
    enrolled = server.enrolled()
    token, device = enrolled.token, enrolled.token.split(".")[0]  # type: ignore[union-attr]
    pool = [sealed_record(server.keys, device) for _ in range(40)]
    seen: Counter[str] = Counter()
    finalised_all: set[str] = set()
    for run in range(RUNS):
        rng = random.Random(run)
        faults = FaultTransport(server.transport(), rng, rate=rng.choice((0.2, 0.4, 0.6)))
        client = SyncClient("http://server", token, transport=faults,
                            batch_size=rng.randint(1, 8))
        outbox = MemoryOutbox()
        # fresh records each run (ids are what count), sealed bytes reused to keep it quick
        for template in rng.sample(pool, rng.randint(1, 20)):
            record = template.model_copy(update={"id": uuid.uuid4()})
            outbox.add(record)
        finalised = {str(e.id) for e in outbox.items.values()}
        finalised_all |= finalised
        for _attempt in range(200):
            if not outbox.items:
                break
            report = client.sync_once(outbox)
            assert report.conflict == 0 and report.rejected == 0
        assert not outbox.items, f"run {run}: records left unsent"
        assert {str(r.id) for r in outbox.acked if r.acknowledged} == finalised
        seen.update(faults.seen)
    rows = server.rows("SELECT record_id, conflict FROM envelope")
    counts = Counter(r[0] for r in rows)
    assert set(counts) == finalised_all
    assert max(counts.values()) == 1 and not any(r[1] for r in rows)
    assert all(seen[f] > 0 for f in FAULTS), seen
