"""The console's view-model against the real server app in process, with real envelopes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.console.errors import ConsoleError, ServerError, WrongPassphrase
from app.console.model import Console, iso_week
from app.console.store import DB_FILES
from app.store import crypto
from sync.server import admin
from tests.app.console.agency import MARKER, NOTHING, TRAFFICKING, URGENT, Agency, sealed


def _server_ids(agency: Agency) -> set[str]:
    return {row.record_id for row in admin.envelopes(agency.settings)}


def test_pull_opens_and_keeps_each_record_once(agency: Agency, console: Console) -> None:
    ids = [
        agency.upload("north", TRAFFICKING),
        agency.upload("south", URGENT),
        agency.upload("north", NOTHING),
    ]
    first = console.pull()
    assert (first.new, first.unreadable) == (3, [])
    again = console.pull()  # nothing settled yet (server settles after 10 s): read again, kept once
    assert again.new == 0
    assert {r.id for r in console.rows()} == set(ids)
    ids.append(agency.upload("south", TRAFFICKING))
    assert console.pull().new == 1
    assert len(console.store.records()) == 4


def test_an_envelope_sealed_to_another_key_is_reported_not_kept(
    agency: Agency, console: Console
) -> None:
    from tests.sync.helpers import AgencyKeys

    other = AgencyKeys.new()
    env = sealed(other, agency.devices["north"], {"x": MARKER}, NOTHING)
    assert agency.clients["north"].upload([env])[0].acknowledged
    good = agency.upload("north", NOTHING)
    result = console.pull()
    assert result.unreadable == [str(env.id)] and result.new == 1
    assert [r.id for r in console.rows()] == [good]
    assert console.store.unreadable() == [str(env.id)]
    assert console.dashboard().unreadable == 1


@pytest.mark.parametrize(
    ("values", "outcome"),
    [
        ([1, 2], NOTHING),
        ({"a": "b"}, "urgent"),
        ({"a": "b"}, {"flags": 7, "pathways": []}),
        ({"a": "b"}, {"flags": [], "pathways": "urgent"}),
    ],
)
def test_a_payload_of_the_wrong_shape_is_unreadable_not_a_broken_console(
    agency: Agency, console: Console, values: Any, outcome: Any
) -> None:
    env = sealed(agency.keys, agency.devices["north"], values, outcome)
    assert agency.clients["north"].upload([env])[0].acknowledged
    good = agency.upload("north", URGENT)
    assert console.pull().unreadable == [str(env.id)]
    assert [r.id for r in console.rows()] == [good]
    assert console.dashboard().unreadable == 1
    assert console.detail(good).row.id == good


def test_dashboard_counts_sites_weeks_pathways_dimensions_devices(
    agency: Agency, console: Console
) -> None:
    week_a = datetime(2026, 11, 2, 10, tzinfo=UTC)  # ISO 2026-W45
    week_b = datetime(2026, 11, 10, 10, tzinfo=UTC)  # ISO 2026-W46
    agency.upload("north", TRAFFICKING, finalised=week_a)
    agency.upload("north", URGENT, finalised=week_b)
    agency.upload("south", TRAFFICKING, finalised=week_b)
    console.pull()
    rid = console.rows()[-1].id  # the first one received
    console.follow(rid, "trafficking", "referred")
    d = console.dashboard()
    assert d.total == 3
    assert d.per_site == [("north", 2), ("south", 1)]
    assert d.per_week == [("2026-W45", 1), ("2026-W46", 2)]
    assert d.per_pathway == [("legal", 2), ("trafficking", 2), ("urgent", 1)]
    assert d.pathway_states["trafficking"] == {"referred": 1, "open": 1}
    assert d.flags_by_dimension == [("coercion_destination", 2), ("deceptive_recruitment", 2)]
    assert {(x.site, x.records, x.revoked) for x in d.devices} == {
        ("north", 2, False),
        ("south", 1, False),
    }
    admin.revoke_device(agency.settings, agency.devices["south"])
    console.pull()
    assert {x.site: x.revoked for x in console.dashboard().devices} == {
        "north": False,
        "south": True,
    }


def test_following_a_referral_to_closed_keeps_the_history(agency: Agency, console: Console) -> None:
    rid = agency.upload("north", TRAFFICKING)
    console.pull()
    detail = console.detail(rid)
    assert [p.id for p in detail.pathways] == ["trafficking", "legal"]
    assert detail.pathways[0].next_states == ["referred"]
    for state in ("referred", "accepted", "closed"):
        console.follow(rid, "trafficking", state)
    detail = console.detail(rid)
    tr = detail.pathways[0]
    assert tr.state == "closed" and tr.next_states == ["referred"]
    assert [(h.state, h.by) for h in tr.history] == [
        ("referred", "Coordinator One"),
        ("accepted", "Coordinator One"),
        ("closed", "Coordinator One"),
    ]
    assert detail.row.states == {"trafficking": "closed"}
    with pytest.raises(ConsoleError) as err:
        console.follow(rid, "legal", "closed")
    assert err.value.code == "transition_invalid"


def test_erasure_removes_the_record_from_console_and_server(
    agency: Agency, console: Console, tmp_path: Path
) -> None:
    keep = agency.upload("north", NOTHING)
    gone = agency.upload("north", TRAFFICKING, {"intro/name": "ERASE-ME-5150"})
    console.pull()
    console.follow(gone, "trafficking", "referred")
    result = console.erase(gone)
    assert result.server_done and result.server_count == 1
    assert result.local == {"versions": 1, "followups": 1, "corrections": 0}
    assert _server_ids(agency) == {keep}
    assert [r.id for r in console.rows()] == [keep]
    with pytest.raises(ConsoleError):
        console.detail(gone)
    # the device uploads it again (an old copy): the server refuses to keep it
    env = sealed(agency.keys, agency.devices["north"], {"a": 1}, NOTHING, record_id=gone)
    assert agency.clients["north"].upload([env])[0].detail == "erased"
    assert console.pull().new == 0
    raw = b"".join(p.read_bytes() for p in (tmp_path / "console").iterdir() if p.is_file())
    assert b"ERASE-ME-5150" not in raw
    events = [(a.event, a.record_id) for a in console.store.audit_entries()]
    assert ("erase_local", gone) in events and ("erase_server", gone) in events


def test_erasure_while_the_server_is_down_is_sent_at_the_next_pull(
    agency: Agency, tmp_path: Path
) -> None:
    rid = agency.upload("south", URGENT)
    up = agency.transport()
    state = {"down": False}

    class Flaky(httpx.BaseTransport):
        """The real server app, cut off on demand (a fault seam, not a fake server)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if state["down"]:
                raise httpx.ConnectError("down", request=request)
            return up.handle_request(request)

    c = Console(
        "http://agency",
        agency.token,
        tmp_path / "c2",
        actor="Ana",
        transport=Flaky(),
        kdf=crypto.TEST_KDF,
    )
    c.unlock(agency.keys.private_pem, agency.passphrase)
    c.pull()
    state["down"] = True
    result = c.erase(rid)
    assert not result.server_done
    assert c.rows() == [] and rid in _server_ids(agency)
    with pytest.raises(ServerError) as err:
        c.pull()
    assert err.value.code == "server_unreachable"
    state["down"] = False
    assert c.pull().erasures_sent == 1
    assert rid not in _server_ids(agency) and c.store.pending_erasures() == []
    c.lock()


def test_unlock_errors_are_codes(agency: Agency, tmp_path: Path) -> None:
    c = Console(
        "http://agency",
        agency.token,
        tmp_path / "c3",
        actor="Ana",
        transport=agency.transport(),
        kdf=crypto.TEST_KDF,
    )
    with pytest.raises(ConsoleError) as err:
        c.unlock(agency.keys.private_pem, "wrong passphrase here")
    assert err.value.code == "key_unreadable"
    with pytest.raises(ConsoleError) as err:
        c.unlock_file(tmp_path / "missing.pem", agency.passphrase)
    assert err.value.code == "key_file_unreadable"
    with pytest.raises(ConsoleError) as err:
        c.rows()
    assert err.value.code == "locked"
    c.unlock(agency.keys.private_pem, agency.passphrase)
    c.lock()
    # another agency key: with another passphrase the store does not open; with the same
    # passphrase the store says it was made for another key
    pem, _raw = crypto.new_agency_keypair("another passphrase 123")
    with pytest.raises(WrongPassphrase):
        c.unlock(pem, "another passphrase 123")
    pem, _raw = crypto.new_agency_keypair(agency.passphrase)
    with pytest.raises(ConsoleError) as err:
        c.unlock(pem, agency.passphrase)
    assert err.value.code == "key_mismatch"
    assert not c.unlocked


def test_a_wrong_token_is_a_refusal_with_the_status(agency: Agency, tmp_path: Path) -> None:
    c = Console(
        "http://agency",
        "coord_x.y",
        tmp_path / "c4",
        actor="Ana",
        transport=agency.transport(),
        kdf=crypto.TEST_KDF,
    )
    c.unlock(agency.keys.private_pem, agency.passphrase)
    with pytest.raises(ServerError) as err:
        c.pull()
    assert (err.value.code, err.value.params["status"]) == ("server_refused", 401)
    c.lock()


def test_export_csv_json_and_one_record_for_access(
    agency: Agency, console: Console, tmp_path: Path
) -> None:
    a = agency.upload("north", TRAFFICKING, {"intro/name": "Amina", "journey/note": "=1+2x"})
    agency.upload("south", NOTHING, {"intro/name": "Bo"})
    console.pull()
    out = tmp_path / "out" / "all.csv"
    assert console.export("csv", out).records == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert {r["intro/name"] for r in rows} == {"Amina", "Bo"}
    first = next(r for r in rows if r["_uuid"] == a)
    assert first["outcome/pathways/trafficking"] == "1"
    assert first["journey/note"].startswith("'=")
    one = tmp_path / "out" / "one.json"
    console.export("json", one, record_ids=[a])
    data = json.loads(one.read_text("utf-8"))
    assert [d["record_id"] for d in data] == [a]
    assert oct(one.stat().st_mode & 0o777) == "0o600"
    xlsx = tmp_path / "out" / "all.xlsx"
    console.export("xlsx", xlsx)
    assert xlsx.stat().st_size > 0
    with pytest.raises(ConsoleError) as err:
        console.export("pdf", tmp_path / "x.pdf")
    assert err.value.code == "format_unknown"
    assert [
        e.detail.get("format") for e in console.store.audit_entries() if e.event == "export"
    ] == ["csv", "json", "xlsx"]


def test_console_store_files_hold_no_marker(
    agency: Agency, console: Console, tmp_path: Path
) -> None:
    for site in ("north", "south", "north"):
        agency.upload(site, TRAFFICKING)
    console.pull()
    folder = tmp_path / "console"
    files = [folder / n for n in DB_FILES if (folder / n).exists()]
    assert len(files) >= 2  # the database and its WAL
    for path in files:
        data = path.read_bytes()
        for needle in (MARKER.encode(), MARKER.encode("utf-16-le"), b"documents_held"):
            assert needle not in data, path.name


def test_iso_week() -> None:
    assert iso_week("2026-01-01T10:00:00+00:00", "") == "2026-W01"
    assert iso_week("garbage", "2025-12-29") == "2026-W01"
    assert iso_week(None, "") == ""


def test_a_correction_shows_and_exports_the_new_value_and_keeps_the_original(
    agency: Agency, console: Console, tmp_path: Path
) -> None:
    rid = agency.upload("north", TRAFFICKING, {"intro/name": "Amnia", "intro/age": 30})
    console.pull()
    with pytest.raises(ConsoleError) as err:
        console.correct(rid, "intro/nope", "x")
    assert err.value.code == "answer_unknown"
    console.correct(rid, "intro/name", "Amina", reason="spelling, asked by the person")
    detail = console.detail(rid)
    name = next(a for a in detail.answers if a.path == "intro/name")
    assert (name.value, name.original, name.corrected) == ("Amina", "Amnia", True)
    assert [c.by for c in detail.corrections] == ["Coordinator One"]
    out = tmp_path / "fixed.json"
    console.export("json", out)
    assert json.loads(out.read_text("utf-8"))[0]["values"]["intro/name"] == "Amina"
    assert console.store.record(rid)[0].payload["values"]["intro/name"] == "Amnia"
    audit = [e for e in console.store.audit_entries() if e.event == "correct"]
    assert [(e.record_id, e.detail) for e in audit] == [(rid, {})]
    assert console.erase(rid).local["corrections"] == 1
    assert console.store.corrections() == []


LABELLED = """
form_id: waymark_screening
version: "2026.11.1"
title: {en: "Demo"}
default_language: en
languages:
  en: {name: English, status: reviewed}
  ar: {name: "العربية", status: draft}
choices:
  yn:
    - {name: "yes", label: {en: "Yes", ar: "نعم"}}
    - {name: "no", label: {en: "No", ar: "لا"}}
survey:
  - {type: select_one yn, name: papers_held, label: {en: "Papers held by someone else?"}}
outcome:
  dimensions:
    - {id: coercion_destination, label: {en: "Coercion at destination", ar: "الإكراه"}}
  flags:
    - id: documents_held
      label: {en: "Documents held by someone else"}
      when: "${papers_held} = 'yes'"
      indicator: {dimension: coercion_destination, strength: strong}
  pathways:
    - id: trafficking
      label: {en: "Specialised protection", ar: "حماية متخصصة"}
      when: "flag('documents_held')"
"""


def test_labels_come_from_the_questionnaire_in_the_coordinators_language(
    tmp_path: Path,
) -> None:
    from app.console.model import load_labels

    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "demo.yaml").write_text(LABELLED, "utf-8")
    (folder / "broken.yaml").write_text("form_id: [", "utf-8")
    en, ar = load_labels(folder, "en"), load_labels(folder, "ar")
    assert en.pathway("trafficking") == "Specialised protection"
    assert ar.pathway("trafficking") == "حماية متخصصة"
    assert ar.dimension("coercion_destination") == "الإكراه"
    assert en.flag("documents_held") == "Documents held by someone else"
    assert en.pathway("legal") == "legal" and en.dimension("deceptive_recruitment") == (
        "deceptive recruitment"
    )
    assert load_labels(tmp_path / "none", "en").pathways == {}


def test_the_cursor_passes_only_settled_envelopes(agency: Agency, console: Console) -> None:
    import sqlalchemy as sa

    first = [agency.upload("north", NOTHING) for _ in range(3)]
    assert console.pull().new == 3
    assert console.store.since == 0  # received just now: not settled, read again next time
    engine = admin.engine_for(agency.settings)
    with engine.begin() as conn:  # the server received these a minute ago
        conn.execute(
            sa.text("UPDATE envelope SET received_at = :at"),
            {"at": datetime(2020, 1, 1)},
        )
    again = console.pull()
    assert (again.new, again.already) == (0, 3)
    settled = console.store.since
    assert settled > 0
    late = agency.upload("south", NOTHING)
    last = console.pull()
    assert (last.new, last.already) == (1, 0)  # the settled ones are not read again
    assert console.store.since == settled
    assert {r.id for r in console.rows()} == {*first, late}


def test_two_versions_of_one_record_are_both_kept_and_marked(
    agency: Agency, console: Console
) -> None:
    from sync.protocol import ItemStatus

    rid = agency.upload("north", TRAFFICKING)
    other = sealed(
        agency.keys, agency.devices["north"], {"intro/name": "other"}, NOTHING, record_id=rid
    )
    assert agency.clients["north"].upload([other])[0].status is ItemStatus.conflict
    console.pull()
    [row] = console.rows()
    assert row.conflict and console.dashboard().total == 1
    detail = console.detail(rid)
    assert len(detail.versions) == 2 and {v.conflict for v in detail.versions} == {False, True}
    assert len(console.opened()) == 2  # exports show both, as the CLI export does


def test_after_the_key_passphrase_changes_the_previous_one_moves_the_store(
    agency: Agency, tmp_path: Path
) -> None:
    """The agency re-encrypts its key file under a new passphrase: the console's store opens
    once with the previous passphrase and is then wrapped under the new one."""
    rid = agency.upload("north", TRAFFICKING)
    c = Console(
        "http://agency",
        agency.token,
        tmp_path / "c5",
        actor="Ana",
        transport=agency.transport(),
        kdf=crypto.TEST_KDF,
    )
    c.unlock(agency.keys.private_pem, agency.passphrase)
    c.pull()
    c.lock()
    new = "a brand new passphrase 2027"
    pem = crypto.rewrap_agency_key(agency.keys.private_pem, agency.passphrase, new)
    with pytest.raises(WrongPassphrase):
        c.unlock(pem, new)
    c.unlock(pem, new, previous=agency.passphrase)
    assert [r.id for r in c.rows()] == [rid]
    assert c.store.audit_entries()[-1].event == "passphrase_changed"
    c.lock()
    c.unlock(pem, new)  # from now on the new passphrase opens both
    assert c.store.verify_audit() > 0
    c.lock()
    with pytest.raises(WrongPassphrase):
        c.unlock(pem, new, previous="not the old one at all")


def test_the_dashboard_shows_what_still_waits_on_each_device(
    agency: Agency, console: Console
) -> None:
    north = agency.devices["north"]
    batch = [sealed(agency.keys, north, {"intro/name": MARKER}, TRAFFICKING) for _ in range(2)]
    agency.clients["north"].upload(batch, waiting=5)  # two sent, three still on the tablet
    console.pull()
    waiting = {x.site: x.waiting for x in console.dashboard().devices}
    assert waiting == {"north": 3, "south": None}  # the south tablet has never said
