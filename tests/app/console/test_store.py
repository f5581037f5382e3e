"""The console store: encrypted at rest, append-only follow-up history, erasure, audit."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.console.errors import ConsoleError, ConsoleStoreCorrupt, WrongPassphrase
from app.console.store import DB_FILES, DB_NAME, STATES, TRANSITIONS, ConsoleStore
from app.store import crypto

MARKER = "PLAINTEXT-CANARY-4411"
PASS = "a long coordinator passphrase"  # noqa: S105 - test only


def _payload(rid: str, pathways: list[str]) -> dict:
    return {
        "record_id": rid,
        "values": {"intro/name": MARKER},
        "outcome": {"flags": [], "pathways": [{"id": p} for p in pathways]},
    }


def _open(folder: Path, passphrase: str = PASS, fp: str | None = "fp1") -> ConsoleStore:
    return ConsoleStore.open(folder, passphrase, agency_fingerprint=fp, kdf=crypto.TEST_KDF)


def _add(
    store: ConsoleStore, rid: str, pathways: list[str] | None = None, digest: str = "d1"
) -> bool:
    return store.add_record(
        record_id=rid,
        digest=digest,
        seq=1,
        device_id="dev_1",
        site="north",
        form_id="f",
        form_version="1",
        received_at=None,
        conflict=False,
        payload=_payload(rid, pathways or ["trafficking"]),
    )


def test_records_round_trip_and_reopen(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        assert _add(store, "r1") is True
        assert _add(store, "r1") is False  # the same envelope is kept once
        assert store.records()[0].payload["values"]["intro/name"] == MARKER
    with _open(tmp_path) as store:
        [rec] = store.records()
        assert (rec.id, rec.site, rec.pathways) == ("r1", "north", ["trafficking"])
    assert oct((tmp_path / DB_NAME).stat().st_mode & 0o777) == "0o600"


def test_wrong_passphrase_and_other_agency_key_are_refused(tmp_path: Path) -> None:
    _open(tmp_path).close()
    with pytest.raises(WrongPassphrase):
        _open(tmp_path, "not the passphrase")
    with pytest.raises(ConsoleError) as err:
        _open(tmp_path, fp="another")
    assert err.value.code == "key_mismatch"


def test_a_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ConsoleStoreCorrupt):
        _open(tmp_path)


def test_a_blob_moved_to_another_row_does_not_open(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1")
        _add(store, "r2")
    conn = sqlite3.connect(tmp_path / DB_NAME)
    body = conn.execute("SELECT body FROM record WHERE id = 'r1'").fetchone()[0]
    conn.execute("UPDATE record SET body = ? WHERE id = 'r2'", (body,))
    conn.commit()
    conn.close()
    with _open(tmp_path) as store, pytest.raises(ConsoleStoreCorrupt) as err:
        store.record("r2")
    assert err.value.record_id == "r2"


def test_follow_up_moves_through_allowed_states_only(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1", ["trafficking", "legal"])
        with pytest.raises(ConsoleError) as err:
            store.follow("r1", "trafficking", "accepted", "Ana")
        assert err.value.code == "transition_invalid"
        for state in ("referred", "accepted", "closed"):
            store.follow("r1", "trafficking", state, "Ana")
        store.follow("r1", "legal", "referred", "Ben", note="called the clinic")
        with pytest.raises(ConsoleError) as err:
            store.follow("r1", "gbv", "referred", "Ana")
        assert err.value.code == "pathway_unknown"
        with pytest.raises(ConsoleError) as err:
            store.follow("r1", "legal", "finished", "Ana")
        assert err.value.code == "state_unknown"
        with pytest.raises(ConsoleError) as err:
            store.follow("nope", "legal", "referred", "Ana")
        assert err.value.code == "record_unknown"
        history = store.history("r1")
        assert [(h.pathway, h.state, h.by) for h in history] == [
            ("trafficking", "referred", "Ana"),
            ("trafficking", "accepted", "Ana"),
            ("trafficking", "closed", "Ana"),
            ("legal", "referred", "Ben"),
        ]
        assert history[-1].note == "called the clinic"
        assert {k: v.state for k, v in store.states("r1").items()} == {
            "trafficking": "closed",
            "legal": "referred",
        }


def test_history_is_append_only_in_the_file_itself(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1")
        store.follow("r1", "trafficking", "referred", "Ana")
        store.correct("r1", "intro/name", "Ana Maria", "Ana")
        store.audit("pull", "Ana", new=1)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    for sql in (
        "UPDATE followup SET record_id = 'x'",
        "DELETE FROM followup",
        "DELETE FROM audit",
        "UPDATE correction SET body = x''",
        "DELETE FROM correction",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append_only"):
            conn.execute(sql)
    conn.close()


def test_erasure_removes_record_and_history_and_is_audited_without_content(
    tmp_path: Path,
) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1")
        _add(store, "r2")
        store.follow("r1", "trafficking", "referred", "Ana")
        assert store.erase_local("r1", "Ana") == {"versions": 1, "followups": 1, "corrections": 0}
        assert store.record("r1") == [] and store.history("r1") == []
        assert [r.id for r in store.records()] == ["r2"]
        assert _add(store, "r1") is False  # an erased record is never kept again
        assert store.pending_erasures() == ["r1"]
        store.server_erased("r1", 1, "Ana")
        assert store.pending_erasures() == []
        events = [(a.event, a.record_id, a.actor) for a in store.audit_entries()]
        assert ("erase_local", "r1", "Ana") in events and ("erase_server", "r1", "Ana") in events
    raw = b"".join((tmp_path / n).read_bytes() for n in DB_FILES if (tmp_path / n).exists())
    assert MARKER.encode() not in raw


def test_audit_keeps_counts_and_codes_never_free_text(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        store.audit("export", "Ana", format="csv", records=3, note=MARKER)
        [entry] = store.audit_entries()
        assert entry.detail == {"format": "csv", "records": 3}


def test_no_plaintext_in_db_or_wal_while_open(tmp_path: Path) -> None:
    """The marker is in every record's answers and in a follow-up note; the files hold it in
    no encoding, while the store is open (WAL not yet checkpointed) and after closing."""
    store = _open(tmp_path)
    for i in range(20):
        _add(store, f"r{i}")
        store.follow(f"r{i}", "trafficking", "referred", "Ana", note=MARKER)
        store.correct(f"r{i}", "intro/name", MARKER + " corrected", "Ana", reason=MARKER)
    needles = [MARKER.encode("utf-8"), MARKER.encode("utf-16-le"), b"trafficking"]

    def scan() -> None:
        found = [n.name for n in tmp_path.iterdir() if n.is_file()]
        assert DB_NAME in found
        for name in found:
            data = (tmp_path / name).read_bytes()
            for needle in needles:
                assert needle not in data, (name, needle)

    assert (tmp_path / (DB_NAME + "-wal")).stat().st_size > 0
    scan()
    store.close()
    scan()


def test_the_audit_is_a_hash_chain_whose_changes_are_noticed(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1")
        store.follow("r1", "trafficking", "referred", "Ana")
        store.audit("view", "Ben", "r1")
        store.audit("export", "Ben", format="csv", records=1)
        assert store.verify_audit() == 3
        assert [e.event for e in store.audit_entries()] == ["follow", "view", "export"]
    for n, tamper in enumerate(
        (
            ["DROP TRIGGER audit_no_change", "UPDATE audit SET actor = 'Eve' WHERE event = 'view'"],
            ["DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE event = 'export'"],
        )
    ):
        copy = tmp_path / f"copy{n}"
        copy.mkdir()
        with _open(tmp_path) as store:
            store.checkpoint()
        (copy / DB_NAME).write_bytes((tmp_path / DB_NAME).read_bytes())
        conn = sqlite3.connect(copy / DB_NAME)
        for sql in tamper:
            conn.execute(sql)
        conn.commit()
        conn.close()
        with _open(copy) as store, pytest.raises(ConsoleStoreCorrupt) as err:
            store.verify_audit()
        assert err.value.code == "audit_broken"


def test_two_open_stores_see_each_others_erasures_and_batches(tmp_path: Path) -> None:
    """Two browser pages each open the store: what one erases, the other no longer shows."""
    from app.console.store import NewRecord

    a, b = _open(tmp_path), _open(tmp_path)
    try:
        batch = [
            NewRecord(f"r{i}", "d", i, "dev", "north", "f", "1", None, False, _payload(f"r{i}", []))
            for i in range(40)
        ]
        assert a.add_records(batch) == 40 and a.add_records(batch) == 0
        assert len(a.records()) == 40  # decrypted and cached in a
        b.erase_local("r3", "Ana")
        assert "r3" not in {r.id for r in a.records()} and len(a.records()) == 39
        assert a.record("r3") == []
        assert a.add_records(batch[3:4]) == 0  # an erased record is never kept again
    finally:
        a.close()
        b.close()


STEPS = st.lists(
    st.tuples(st.sampled_from(["trafficking", "legal"]), st.sampled_from(sorted(STATES))),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(steps=STEPS)
def test_follow_up_matches_the_transition_table_for_any_sequence(steps: list) -> None:
    """Any sequence of requested moves: the allowed ones are kept in order, the others are
    refused with transition_invalid and leave nothing behind."""
    with tempfile.TemporaryDirectory() as folder, _open(Path(folder)) as store:
        _add(store, "r1", ["trafficking", "legal"])
        current: dict[str, str | None] = {"trafficking": None, "legal": None}
        kept = []
        for pathway, state in steps:
            if state in TRANSITIONS[current[pathway]]:
                store.follow("r1", pathway, state, "Ana")
                current[pathway] = state
                kept.append((pathway, state))
            else:
                with pytest.raises(ConsoleError) as err:
                    store.follow("r1", pathway, state, "Ana")
                assert err.value.code == "transition_invalid"
        assert [(h.pathway, h.state) for h in store.history("r1")] == kept
        assert {k: v.state for k, v in store.states("r1").items()} == {
            k: v for k, v in current.items() if v is not None
        }


def test_a_store_from_the_first_schema_is_upgraded_and_keeps_its_devices(tmp_path: Path) -> None:
    device = {"id": "d1", "name": "tablet", "site": "north", "role": "outreach",
              "enrolled_at": None, "last_seen_at": None, "revoked_at": None}
    with _open(tmp_path) as store:
        store.put_devices([device])
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # back to schema version 1
        conn.execute("ALTER TABLE device DROP COLUMN waiting")
        conn.execute("PRAGMA user_version = 1")
    with _open(tmp_path) as store:
        assert store.devices() == [{**device, "waiting": None}]
        store.put_devices([{**device, "waiting": 4}])
        assert store.devices()[0]["waiting"] == 4
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
