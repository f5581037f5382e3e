"""The store facade: PIN, locking, throttling, records, finalising, outbox, withdrawal."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from app.store import crypto, db
from app.store.errors import (
    InvalidState,
    Locked,
    NotEnrolled,
    NotFound,
    PinAlreadySet,
    PinNotSet,
    PinRejected,
    StoreError,
    Throttled,
    Wiped,
    WrongPin,
)
from app.store.store import Enrolment, Store, StoreSettings, record_aad
from sync.protocol import EnvelopeIn, ItemResult, Outbox
from tests.app.store.store_helpers import PIN, Clock

SESSION = {"answers": {"consent/agree": "yes", "age": 34}, "position": "age", "language": "ar"}


def _events(store: Store) -> list[str]:
    return [e.event for e in store.audit.entries()]


# --- PIN, unlock, lock ----------------------------------------------------------------------


def test_first_run_needs_a_pin_then_is_unlocked(data_dir: Path, settings: StoreSettings) -> None:
    with Store.open(data_dir, settings) as store:
        assert store.needs_pin_setup and store.locked
        with pytest.raises(PinNotSet):
            store.unlock(PIN)
        with pytest.raises(PinRejected) as short:
            store.set_pin("12")
        assert short.value.params == {"min_length": 6}
        store.set_pin(PIN)
        assert not store.needs_pin_setup and not store.locked
        with pytest.raises(PinAlreadySet):
            store.set_pin("999999")


def test_lock_forgets_the_key_and_unlock_brings_it_back(store: Store) -> None:
    record_id = store.new_record("waymark_screening", "2026.11.1")
    store.save_session(record_id, SESSION)
    store.lock()
    assert store.locked
    for call in (
        lambda: store.load_session(record_id),
        lambda: store.save_session(record_id, SESSION),
        lambda: store.new_record("f", "1"),
        lambda: store.enrolment,
    ):
        with pytest.raises(Locked):
            call()
    assert [r.id for r in store.records()] == [record_id]  # metadata stays listable
    store.unlock(PIN)
    assert store.load_session(record_id) == SESSION


def test_data_survives_closing_and_reopening(data_dir: Path, settings: StoreSettings) -> None:
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        record_id = store.new_record("f", "1")
        store.save_session(record_id, SESSION)
    with Store.open(data_dir, settings) as store:
        assert store.locked and not store.needs_pin_setup
        store.unlock(PIN)
        assert store.load_session(record_id) == SESSION


def test_wrong_pins_are_throttled_with_growing_waits(store: Store, wall: Clock) -> None:
    store.lock()
    waits = []
    for expected_remaining in range(9, 3, -1):
        with pytest.raises(WrongPin) as wrong:
            store.unlock("0000")
        assert wrong.value.remaining == expected_remaining
        waits.append(wrong.value.wait_seconds)
        if wrong.value.wait_seconds:
            with pytest.raises(Throttled) as early:
                store.unlock(PIN)  # even the right PIN is not tried during the wait
            assert 0 < early.value.wait_seconds <= wrong.value.wait_seconds
            assert store.unlock_wait() == pytest.approx(wrong.value.wait_seconds)
            wall.advance(wrong.value.wait_seconds)
    assert waits == [0.0, 0.0, 2.0, 4.0, 8.0, 16.0]
    store.unlock(PIN)
    assert not store.locked
    store.lock()
    with pytest.raises(WrongPin) as again:
        store.unlock("0000")
    assert again.value.remaining == 9  # success resets the count
    assert _events(store).count("unlock_failed") == 7


def test_an_empty_pin_is_rejected_not_a_damaged_key_and_not_a_try(store: Store) -> None:
    store.lock()
    with pytest.raises(PinRejected):
        store.unlock("")
    with pytest.raises(PinRejected):
        store.change_pin("", "a new pin 1")
    with pytest.raises(WrongPin) as wrong:
        store.unlock("0000")
    assert wrong.value.remaining == 9  # the empty entry was not counted
    store.unlock(PIN)


def test_wait_is_capped(settings: StoreSettings) -> None:
    assert settings.unlock_delay(40) == settings.throttle_max_seconds


def test_too_many_wrong_pins_wipe_everything_and_record_it(
    data_dir: Path, store: Store, wall: Clock, enrolment: Enrolment
) -> None:
    store.save_enrolment(enrolment)
    record_id = store.new_record("f", "1")
    store.save_session(record_id, SESSION)
    store.lock()
    for _ in range(9):
        with pytest.raises(WrongPin) as wrong:
            store.unlock("1111")
        wall.advance(wrong.value.wait_seconds)
    with pytest.raises(Wiped):
        store.unlock("1111")
    assert store.needs_pin_setup and store.locked
    assert store.records() == [] and not store.enrolled
    entries = store.audit.entries()
    assert [(e.event, e.detail) for e in entries] == [
        ("wipe", {"reason": "failed_unlocks", "failures": 10})
    ]
    raw = b"".join((data_dir / n).read_bytes() for n in db.DB_FILES if (data_dir / n).exists())
    assert b"device-token" not in raw and record_id.encode() not in raw


def test_killing_the_app_mid_unlock_still_counts_the_try(
    data_dir: Path, settings: StoreSettings
) -> None:
    """The try is counted before the PIN is derived; simulate a kill by failing inside."""
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        store.lock()

        def boom(blob: bytes, pin: str) -> bytes:
            raise KeyboardInterrupt

        original = crypto.unwrap_key
        crypto.unwrap_key = boom
        try:
            with pytest.raises(KeyboardInterrupt):
                store.unlock("0000")
        finally:
            crypto.unwrap_key = original
        with pytest.raises(WrongPin) as wrong:
            store.unlock("0000")
        assert wrong.value.remaining == 8


def test_change_pin_rewraps_without_touching_records(store: Store) -> None:
    record_id = store.new_record("f", "1")
    store.save_session(record_id, SESSION)
    before = store.records()[0]
    store.change_pin(PIN, "new passphrase 7")
    store.lock()
    with pytest.raises(WrongPin):
        store.unlock(PIN)
    store.unlock("new passphrase 7")
    assert store.load_session(record_id) == SESSION
    assert store.records()[0].revision == before.revision
    with pytest.raises(WrongPin):
        store.change_pin("not it", "another 8")


def test_weaker_stored_kdf_is_upgraded_on_unlock(data_dir: Path, settings: StoreSettings) -> None:
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
    stronger = crypto.KdfParams(iterations=2, memory_kib=256, lanes=1)
    settings.kdf = stronger
    with Store.open(data_dir, settings) as store:
        store.unlock(PIN)
        with db.translate_errors(), store._engine.connect() as conn:
            blob = conn.exec_driver_sql("SELECT wrapped_key FROM keyring").scalar_one()
        assert crypto.wrapped_params(blob) == stronger
        assert _events(store)[-2:] == ["pin_changed", "unlock"]


def test_idle_store_locks_itself(store: Store, mono: Clock) -> None:
    mono.advance(119)
    assert store.lock_if_idle() is False and not store.locked
    store.touch()
    mono.advance(119)
    assert store.lock_if_idle() is False
    mono.advance(1)
    assert store.lock_if_idle() is True and store.locked
    assert store.audit.entries()[-1].detail == {"reason": "idle"}
    assert store.lock_if_idle() is False


def test_idle_time_is_configurable(data_dir: Path, settings: StoreSettings, mono: Clock) -> None:
    settings.idle_lock_seconds = 5
    with Store.open(data_dir, settings) as store:
        store.set_pin(PIN)
        assert store.lock_if_idle(mono.now + 5) is True


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_round_trip_keeps_token_and_config_encrypted(
    data_dir: Path, store: Store, enrolment: Enrolment
) -> None:
    assert store.enrolment is None and not store.enrolled
    store.save_enrolment(enrolment)
    got = store.enrolment
    assert got == enrolment and store.enrolled
    assert "SECRET" not in repr(got)
    raw = b"".join((data_dir / n).read_bytes() for n in db.DB_FILES if (data_dir / n).exists())
    assert b"device-token-SECRET" not in raw and b"CONFIG-SECRET" not in raw


def test_enrolment_accepts_base64_key_and_refuses_a_bad_one(enrolment: Enrolment) -> None:
    import base64

    text = base64.b64encode(enrolment.agency_public_key).decode()
    again = Enrolment("u", "d", "t", text, "s")  # type: ignore[arg-type]
    assert again.agency_public_key == enrolment.agency_public_key
    with pytest.raises(StoreError) as bad:
        Enrolment("u", "d", "t", b"short", "s")
    assert bad.value.code == "bad_agency_key"


# --- records --------------------------------------------------------------------------------


def test_sessions_save_and_load_with_revisions(store: Store) -> None:
    record_id = store.new_record("waymark_screening", "2026.11.1")
    UUID(record_id, version=4)
    assert store.load_session(record_id) == {}
    assert store.save_session(record_id, {"answers": {}}) == 1
    assert store.save_session(record_id, SESSION) == 2
    assert store.load_session(record_id) == SESSION
    info = store.record(record_id)
    assert (info.status, info.revision, info.readable) == ("draft", 2, True)
    assert (info.form_id, info.form_version) == ("waymark_screening", "2026.11.1")
    assert _events(store) == ["pin_set", "create", "edit", "view"]  # one edit per sitting
    store.lock()
    store.unlock(PIN)
    store.save_session(record_id, SESSION)
    store.save_session(record_id, SESSION)
    assert _events(store)[-3:] == ["lock", "unlock", "edit"]
    edits = store.audit.entries(event="edit")
    assert [(e.record_id, e.detail) for e in edits] == [
        (record_id, {"revision": 1}),
        (record_id, {"revision": 3}),
    ]


def test_records_are_listed_newest_first_and_filtered(store: Store, wall: Clock) -> None:
    ids = []
    for _ in range(3):
        ids.append(store.new_record("f", "1"))
        wall.advance(1)
    assert [r.id for r in store.records()] == ids[::-1]
    assert [r.id for r in store.records("draft")] == ids[::-1]
    assert store.records("sent") == []
    with pytest.raises(StoreError) as bad:
        store.records("nonsense")
    assert bad.value.code == "unknown_status"


def test_unknown_record_and_non_json_data_are_clear_errors(store: Store) -> None:
    with pytest.raises(NotFound) as missing:
        store.load_session("no-such-id")
    assert missing.value.record_id == "no-such-id"
    record_id = store.new_record("f", "1")
    with pytest.raises(StoreError) as bad:
        store.save_session(record_id, {"when": object()})
    assert bad.value.code == "not_json_data"
    assert store.load_session(record_id) == {}


def _payload(record_id: str, enrolment: Enrolment) -> dict[str, object]:
    return {
        "record_id": record_id,
        "device_id": enrolment.device_id,
        "form_id": "waymark_screening",
        "form_version": "2026.11.1",
        "language": "ar",
        "values": {"age": 34},
        "outcome": {"flags": [], "pathways": [], "indicators": {}},
        "consent": {"agree": "yes"},
    }


def test_finalise_needs_an_enrolment(store: Store) -> None:
    record_id = store.new_record("waymark_screening", "2026.11.1")
    with pytest.raises(NotEnrolled):
        store.finalise(record_id, {})


def test_finalise_seals_to_the_agency_key_and_keeps_the_readable_copy(
    enrolled: Store, enrolment: Enrolment, agency: tuple[crypto.AgencyPrivateKey, bytes]
) -> None:
    store = enrolled
    record_id = store.new_record("waymark_screening", "2026.11.1")
    store.save_session(record_id, SESSION)
    payload = _payload(record_id, enrolment)
    digest = store.finalise(record_id, payload)
    info = store.record(record_id)
    assert (info.status, info.sync_state, info.readable) == ("finalised", "pending", True)
    assert store.load_session(record_id) == SESSION
    with pytest.raises(InvalidState) as frozen:
        store.save_session(record_id, SESSION)
    assert frozen.value.params == {"status": "finalised"}
    with pytest.raises(InvalidState):
        store.finalise(record_id, payload)

    assert isinstance(store.outbox, Outbox)
    [envelope] = store.outbox.pending(10)
    assert isinstance(envelope, EnvelopeIn)
    assert (str(envelope.id), envelope.device_id, envelope.digest) == (record_id, "dev-7", digest)
    sealed = envelope.sealed_bytes()
    opened = crypto.open_sealed(
        agency[0],
        sealed,
        crypto.envelope_info(record_id, "dev-7", "waymark_screening", "2026.11.1"),
    )
    assert json.loads(opened) == payload
    assert _events(store)[-3:] == ["finalise", "seal", "view"]


def test_payload_that_names_another_record_is_refused(
    enrolled: Store, enrolment: Enrolment
) -> None:
    record_id = enrolled.new_record("waymark_screening", "2026.11.1")
    payload = _payload(record_id, enrolment) | {"record_id": "someone-else"}
    with pytest.raises(InvalidState) as bad:
        enrolled.finalise(record_id, payload)
    assert bad.value.code == "payload_mismatch" and bad.value.params == {"field": "record_id"}
    assert enrolled.record(record_id).status == "draft"


def _finalised(store: Store, enrolment: Enrolment, n: int, wall: Clock) -> list[str]:
    ids = []
    for _ in range(n):
        record_id = store.new_record("waymark_screening", "2026.11.1")
        store.save_session(record_id, SESSION)
        store.finalise(record_id, _payload(record_id, enrolment))
        ids.append(record_id)
        wall.advance(1)
    return ids


def test_outbox_acknowledge_purges_stored_and_duplicate_keeps_conflicts_retries_rejected(
    enrolled: Store, enrolment: Enrolment, wall: Clock
) -> None:
    store = enrolled
    stored, duplicate, conflict, rejected = _finalised(store, enrolment, 4, wall)
    assert [str(e.id) for e in store.outbox.pending(2)] == [stored, duplicate]
    assert len(store.outbox) == 4
    store.outbox.acknowledge(
        [
            ItemResult(id=UUID(stored), status="stored"),
            ItemResult(id=UUID(duplicate), status="duplicate"),
            ItemResult(id=UUID(conflict), status="conflict", detail="digest_differs"),
            ItemResult(id=UUID(rejected), status="rejected", detail="too_large"),
            ItemResult(id=UUID(int=5), status="stored"),  # not ours: ignored
        ]
    )
    by_id = {r.id: r for r in store.records()}
    for record_id in (stored, duplicate):
        assert (by_id[record_id].status, by_id[record_id].readable) == ("sent", False)
        with pytest.raises(NotFound) as purged:
            store.load_session(record_id)
        assert purged.value.code == "record_purged"
    assert (by_id[conflict].status, by_id[conflict].readable) == ("conflict", True)
    assert store.outbox.conflicts() == [conflict]
    assert (by_id[rejected].status, by_id[rejected].sync_state) == ("finalised", "rejected")
    assert [str(e.id) for e in store.outbox.pending(10)] == [rejected]
    assert store.load_session(conflict) == SESSION
    sync = [e for e in store.audit.entries() if e.event == "sync"]
    assert sync[-1].detail == {"stored": 1, "duplicate": 1, "conflict": 1, "rejected": 1}
    assert {e.record_id for e in store.audit.entries(event="purge")} == {stored, duplicate}


def test_retention_keeps_the_readable_copy_until_it_expires(
    enrolled: Store, enrolment: Enrolment, wall: Clock
) -> None:
    store = enrolled
    store.settings.retention_seconds = 3600
    [record_id] = _finalised(store, enrolment, 1, wall)
    store.outbox.acknowledge([ItemResult(id=UUID(record_id), status="stored")])
    assert store.record(record_id).status == "sent"
    assert store.load_session(record_id) == SESSION
    wall.advance(3599)
    assert store.purge_expired() == 0
    wall.advance(2)
    store.lock()
    store.unlock(PIN)  # unlocking purges what has expired
    assert not store.record(record_id).readable
    with pytest.raises(NotFound):
        store.load_session(record_id)


def test_outbox_works_while_locked(enrolled: Store, enrolment: Enrolment, wall: Clock) -> None:
    [record_id] = _finalised(enrolled, enrolment, 1, wall)
    enrolled.lock()
    [envelope] = enrolled.outbox.pending(5)
    enrolled.outbox.acknowledge([ItemResult(id=envelope.id, status="stored")])
    assert enrolled.record(record_id).status == "sent"


def test_withdraw_deletes_the_record_and_its_envelope(
    data_dir: Path, enrolled: Store, enrolment: Enrolment, wall: Clock
) -> None:
    store = enrolled
    draft = store.new_record("f", "1")
    store.save_session(draft, SESSION)
    [sealed] = _finalised(store, enrolment, 1, wall)
    store.withdraw(draft)
    store.withdraw(sealed)
    assert store.records() == [] and store.outbox.pending(10) == []
    with pytest.raises(NotFound):
        store.load_session(draft)
    withdrawn = store.audit.entries(event="withdraw")
    assert [(e.record_id, e.detail) for e in withdrawn] == [
        (draft, {"status": "draft"}),
        (sealed, {"status": "finalised"}),
    ]
    with sqlite3.connect(data_dir / db.DB_NAME) as conn:
        assert conn.execute("SELECT count(*) FROM record").fetchone() == (0,)


def test_errors_say_codes_and_places_never_content(store: Store) -> None:
    record_id = store.new_record("f", "1")
    store.save_session(record_id, {"secret": "MY ANSWER"})
    store.lock()
    with pytest.raises(WrongPin) as wrong:
        store.unlock("9753")
    assert "9753" not in str(wrong.value) and "9753" not in repr(wrong.value.params)
    store.unlock(PIN)
    with pytest.raises(InvalidState) as err:
        with db.translate_errors(), store._engine.begin() as conn:
            conn.exec_driver_sql("UPDATE record SET status='sent'")
        store.save_session(record_id, {"secret": "MY ANSWER"})
    assert str(err.value) == f"record_invalid_state record={record_id}"


def test_record_aad_binds_record_and_questionnaire_version() -> None:
    assert record_aad("r", "f", "1") != record_aad("r", "f", "2")
    assert record_aad("r", "f", "1") != record_aad("s", "f", "1")


def test_every_error_code_has_words(store: Store) -> None:
    from app.i18n import translator
    from app.store import messages

    _ = translator("en")
    store.lock()
    with pytest.raises(WrongPin) as wrong:
        store.unlock("0000")
    assert messages.describe(wrong.value, _) == (
        "That PIN is not right. 9 tries left before Waymark erases its data."
    )
    assert messages.describe(Throttled(wait_seconds=3.2), _) == (
        "Please wait 4 seconds before trying again."
    )
    assert "at least 4" in messages.describe(PinRejected(min_length=4), _)
    assert messages.describe(StoreError("no_such_code"), _) == messages.FALLBACK
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "app" / "store"
    used = set()
    for path in root.glob("*.py"):
        if path.name == "crypto.py":  # its errors are translated into store errors first
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:Error|Corrupt|NotFound|InvalidState)\("([a-z_]+)"', text))
        used |= set(re.findall(r'^    code = "([a-z_]+)"', text, re.MULTILINE))
    used -= {"store_error"}
    assert used and used <= set(messages.MESSAGES), used - set(messages.MESSAGES)


def test_package_exports_resolve() -> None:
    import app.store

    for name in app.store.__all__:
        assert getattr(app.store, name) is not None


def test_finalising_to_an_unusable_agency_key_is_a_store_error(
    store: Store, enrolment: Enrolment
) -> None:
    enrolment.agency_public_key = bytes(32)  # the all-zero point: HPKE refuses it
    store.save_enrolment(enrolment)
    record_id = store.new_record("f", "1")
    with pytest.raises(StoreError) as bad:
        store.finalise(record_id, {})
    assert bad.value.code == "bad_agency_key"
    assert store.record(record_id).status == "draft"


def test_one_record_by_id(store: Store) -> None:
    record_id = store.new_record("f", "1")
    assert store.record(record_id) == store.records()[0]
    with pytest.raises(NotFound):
        store.record("missing")


def test_saves_from_several_threads_are_serialised(store: Store) -> None:
    """The interface saves from worker threads; each save is whole and none is lost."""
    import threading

    ids = [store.new_record("f", "1") for _ in range(4)]
    failures: list[BaseException] = []

    def autosave(record_id: str) -> None:
        try:
            for i in range(25):
                store.save_session(record_id, {"i": i, "who": record_id})
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=autosave, args=(r,)) for r in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for record_id in ids:
        assert store.load_session(record_id) == {"i": 24, "who": record_id}
        assert store.record(record_id).revision == 25
    assert store.audit.verify().ok


def test_a_clock_set_back_never_locks_the_worker_out_for_longer_than_the_cap(
    store: Store, wall: Clock
) -> None:
    store.lock()
    for _ in range(4):
        with pytest.raises(WrongPin) as wrong:
            store.unlock("0000")
        wall.advance(wrong.value.wait_seconds)
    with pytest.raises(WrongPin) as wrong:
        store.unlock("0000")
    assert wrong.value.wait_seconds > 0
    wall.advance(-86_400)  # the tablet's clock goes back a day
    with pytest.raises(Throttled) as early:
        store.unlock(PIN)
    assert early.value.wait_seconds == store.settings.throttle_max_seconds
    wall.advance(store.settings.throttle_max_seconds)
    store.unlock(PIN)
    assert not store.locked


def test_an_envelope_the_protocol_refuses_never_blocks_the_queue(
    enrolled: Store, enrolment: Enrolment, wall: Clock
) -> None:
    odd = enrolled.new_record("form with spaces", "1")
    enrolled.finalise(odd, {})
    [good] = _finalised(enrolled, enrolment, 1, wall)
    assert [str(e.id) for e in enrolled.outbox.pending(10)] == [good]
    assert enrolled.record(odd).sync_state == "invalid"
    assert enrolled.load_session(odd) == {}  # kept on the device
