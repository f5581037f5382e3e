"""Property: any order of sends, resends and clashing sends keeps every (id, digest) once,
the first digest of an id unflagged, and answers consistently."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.protocol import ItemStatus
from tests.sync.conftest import Server
from tests.sync.helpers import sealed_record


@pytest.fixture
def backend() -> str:
    return "sqlite"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)),
                              min_size=1, max_size=6), min_size=1, max_size=5))
def test_replays_and_clashes(server: Server, plan: list[list[tuple[int, int]]]) -> None:
    client = getattr(server, "_replay_client", None) or server.enrolled()
    server._replay_client = client  # type: ignore[attr-defined]
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    base = [sealed_record(server.keys, device) for _ in range(4)]
    versions = {
        (i, v): base[i] if v == 0 else sealed_record(
            server.keys, device, {"v": "other"}, record_id=str(base[i].id))
        for i in range(4) for v in range(2)
    }
    first_digest: dict[int, str] = {}
    for batch in plan:
        envelopes = [versions[k] for k in batch]
        results = client.upload(envelopes)
        assert [r.id for r in results] == [e.id for e in envelopes]
        for (i, _v), env, r in zip(batch, envelopes, results, strict=True):
            first = first_digest.setdefault(i, env.digest)
            expected = (ItemStatus.stored, ItemStatus.duplicate) if env.digest == first else (
                ItemStatus.conflict,)
            assert r.status in expected
    for i, first in first_digest.items():
        rows = server.rows("SELECT digest, conflict FROM envelope WHERE record_id = :r",
                           r=str(base[i].id))
        digests = [d for d, _c in rows]
        assert len(digests) == len(set(digests))
        assert (first, False) in [(d, bool(c)) for d, c in rows]
        assert all(bool(c) for d, c in rows if d != first)
