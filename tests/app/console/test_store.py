"""The console store: encrypted at rest, append-only follow-up history, erasure, audit."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.console.errors import ConsoleError, ConsoleStoreCorrupt, WrongPassphrase
from app.console.store import (
    DB_FILES,
    DB_NAME,
    PACK_ROWS,
    SCHEMA_VERSION,
    STATES,
    TRANSITIONS,
    ConsoleStore,
    NewRecord,
    _summary_aad,
    summarise,
)
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
    device = {
        "id": "d1",
        "name": "tablet",
        "site": "north",
        "role": "outreach",
        "enrolled_at": None,
        "last_seen_at": None,
        "revoked_at": None,
    }
    with _open(tmp_path) as store:
        store.put_devices([device])
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # back to schema version 1
        conn.execute("DROP TABLE listing")
        conn.execute("ALTER TABLE device DROP COLUMN waiting")
        conn.execute("ALTER TABLE record DROP COLUMN summary")
        conn.execute("ALTER TABLE meta DROP COLUMN audit_recipe")
        conn.execute("PRAGMA user_version = 1")
    with _open(tmp_path) as store:
        assert store.devices() == [{**device, "waiting": None}]
        store.put_devices([{**device, "waiting": 4}])
        assert store.devices()[0]["waiting"] == 4
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_records_kept_before_summaries_get_theirs_sealed_on_open(tmp_path: Path) -> None:
    """A version 2 store (no summaries) opens with every record in the table, and the
    summary is ciphertext: no pathway or answer in the clear."""
    with _open(tmp_path) as store:
        _add(store, "r1", ["trafficking", "legal"])
        _add(store, "r2", ["urgent"])
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("DROP TABLE listing")
        conn.execute("ALTER TABLE record DROP COLUMN summary")
        conn.execute("ALTER TABLE meta DROP COLUMN audit_recipe")
        conn.execute("PRAGMA user_version = 2")
    with _open(tmp_path) as store:
        summaries = {s.id: s for s in store.summaries()}
        assert summaries["r1"].pathways == ("trafficking", "legal")
        assert summaries["r2"].pathways == ("urgent",)
    raw = (tmp_path / DB_NAME).read_bytes()
    assert b"trafficking" not in raw and MARKER.encode() not in raw


def _schema_4(folder: Path, records: dict[str, list[str]]) -> None:
    """A schema 4 store: each record's summary sealed on its own row, no listing."""
    with _open(folder) as store:
        for rid, pathways in records.items():
            _add(store, rid, pathways)
        for rid in records:  # as schema 4 sealed them
            conn = store._conn
            conn.execute(
                "UPDATE record SET summary = ? WHERE id = ?",
                (crypto.encrypt(store._data_key, json.dumps(summarise(_payload(rid, records[rid])))
                                .encode(), _summary_aad(rid, "d1")), rid),
            )
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("DROP TABLE listing")
        conn.execute("PRAGMA user_version = 4")


def test_a_schema_4_store_gets_its_listing_from_the_per_record_summaries(tmp_path: Path) -> None:
    _schema_4(tmp_path, {"r1": ["trafficking"], "r2": ["urgent", "child"]})
    with _open(tmp_path) as store:
        assert {s.id: s.pathways for s in store.summaries()} == {
            "r1": ("trafficking",), "r2": ("urgent", "child")}
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert conn.execute("SELECT COUNT(*) FROM record WHERE summary IS NOT NULL"
                            ).fetchone()[0] == 0  # cleared: the listing is the one copy
        assert conn.execute("SELECT SUM(rows) FROM listing").fetchone()[0] == 2
    raw = (tmp_path / DB_NAME).read_bytes()
    assert b"trafficking" not in raw and b"urgent" not in raw


def test_a_per_record_summary_moved_to_another_record_does_not_open(tmp_path: Path) -> None:
    _schema_4(tmp_path, {"r1": ["trafficking"], "r2": ["urgent"]})
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        blob = conn.execute("SELECT summary FROM record WHERE id = 'r1'").fetchone()[0]
        conn.execute("UPDATE record SET summary = ? WHERE id = 'r2'", (blob,))
    with pytest.raises(ConsoleStoreCorrupt) as err:
        _open(tmp_path)
    assert err.value.code == "record_unreadable" and err.value.record_id == "r2"


def test_the_listing_is_sealed_in_packs_bound_to_their_place(tmp_path: Path) -> None:
    """Many records' summaries sealed per pack; a pack moved to another place does not
    open, and a listing that lost a pack is built again from the records."""
    with _open(tmp_path) as store:
        store.add_records([_new(f"r{i}", i) for i in range(PACK_ROWS + 3)])
        assert [s.id for s in store.summaries()][-2:] == [f"r{PACK_ROWS + 1}", f"r{PACK_ROWS + 2}"]
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("SELECT pack, rows FROM listing ORDER BY pack").fetchall() == [
            (1, PACK_ROWS), (2, 3)]
        conn.execute("UPDATE listing SET pack = 9 WHERE pack = 2")
    with _open(tmp_path) as store, pytest.raises(ConsoleStoreCorrupt) as err:
        store.summaries()
    assert err.value.code == "store_corrupt"
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("DELETE FROM listing WHERE pack = 9")
    with _open(tmp_path) as store:
        assert len(store.summaries()) == PACK_ROWS + 3


def test_an_erased_record_leaves_the_listing(tmp_path: Path) -> None:
    with _open(tmp_path) as store:
        _add(store, "r1", ["trafficking"])
        _add(store, "r2", ["urgent"])
        assert [s.id for s in store.summaries()] == ["r1", "r2"]
        store.erase_local("r1", "Ana")
        assert [s.id for s in store.summaries()] == ["r2"]
        store.erase_local("r2", "Ana")
        assert store.summaries() == []
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("SELECT COUNT(*) FROM listing").fetchone()[0] == 0
    with _open(tmp_path) as store:
        assert store.summaries() == []


def _new(rid: str, seq: int) -> NewRecord:
    return NewRecord(rid, "d1", seq, "dev_1", "north", "f", "1", None, False,
                     _payload(rid, ["trafficking"]))


def _legacy_store(folder: Path) -> None:
    """A schema 3 store whose audit entries were chained with the console's first recipe."""
    import hashlib
    import json

    with _open(folder) as store:
        _add(store, "r1")
        store.audit("view", "Ben", "r1")
        store.audit("export", "Ben", format="csv", records=1)
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("DROP TRIGGER audit_no_change")
    prev = ""
    for seq, at, event, rid, actor, detail in conn.execute(
        "SELECT seq, at, event, record_id, actor, detail FROM audit ORDER BY seq"
    ).fetchall():
        old = json.loads(detail)
        old.pop("actor", None)
        text = json.dumps(old, sort_keys=True)
        blob = json.dumps([prev, at, event, rid, actor, text], ensure_ascii=False)
        digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        conn.execute("UPDATE audit SET detail = ?, prev = ?, hash = ? WHERE seq = ?",
                     (text, prev, digest, seq))
        prev = digest
    conn.execute("UPDATE meta SET audit_head = ?", (prev,))
    conn.execute("ALTER TABLE meta DROP COLUMN audit_recipe")
    conn.execute("DROP TABLE listing")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_an_older_audit_chain_is_linked_again_under_the_one_recipe(tmp_path: Path) -> None:
    _legacy_store(tmp_path)
    with _open(tmp_path) as store:
        assert store.verify_audit() == 3
        entries = store.audit_entries()
        assert [e.event for e in entries] == ["view", "export", "audit_relinked"]
        assert entries[-1].detail == {"legacy_intact": True}
        assert entries[0].actor == "Ben"
    with _open(tmp_path) as store:  # once only
        assert store.verify_audit() == 3
