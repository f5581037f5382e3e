"""Export: real envelopes sealed to a real key, stored by the real server, opened and tabulated."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.console import export as ex
from sync.server import Settings, admin, create_app
from tests.sync.helpers import AgencyKeys, InProcessTransport

ANSWERS = {
    "intro/age_band": "18_25",
    "journey/documents": ["held_by_other", "lost"],
    "journey/note": "=HYPERLINK(\"x\")",
    "intro/name": "أمينة",
}
OUTCOME = {
    "flags": [{"id": "documents_held", "dimension": "coercion", "strength": "strong",
               "because": ["journey/documents"]}],
    "pathways": [{"id": "trafficking", "because": ["documents_held"]}],
    "indicators": {},
}


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Settings, AgencyKeys, list[str]]:
    settings = Settings(data_dir=tmp_path / "data")
    keys = AgencyKeys.new()
    admin.install_agency_key(settings, keys.public_raw)
    from sync.client import SyncClient

    code = admin.create_enrolment(settings, "north")
    client = SyncClient("http://s", transport=InProcessTransport(create_app(settings)))
    device = client.claim(code.code, "tablet").device_id
    records = []
    for i in range(3):
        values = dict(ANSWERS) if i < 2 else {"intro/age_band": "under_18"}
        outcome = OUTCOME if i == 0 else {"flags": [], "pathways": []}
        records.append(_with_outcome(keys, device, values, outcome))
    results = client.upload(records)
    assert all(r.acknowledged for r in results)
    yield settings, keys, [str(r.id) for r in records]
    engine = admin._ENGINES.pop(settings.url, None)
    if engine is not None:
        engine.dispose()


def _with_outcome(keys: AgencyKeys, device: str, values: dict, outcome: dict):  # type: ignore[no-untyped-def]
    import uuid
    from datetime import UTC, datetime

    from app.store import crypto
    from sync.protocol import EnvelopeIn

    rid = str(uuid.uuid4())
    payload = {"record_id": rid, "device_id": device, "form_id": "waymark_screening",
               "form_version": "2026.11.1", "language": "ar", "started_at": "s",
               "finalised_at": "f", "values": values, "outcome": outcome, "consent": {}}
    sealed = crypto.seal(keys.public_raw, json.dumps(payload).encode(),
                         crypto.envelope_info(rid, device, "waymark_screening", "2026.11.1"))
    return EnvelopeIn.build(id=rid, device_id=device, form_id="waymark_screening",
                            form_version="2026.11.1", created_at=datetime.now(UTC), sealed=sealed)


PLAN = ex.ColumnPlan(
    paths=["intro/name", "intro/age_band", "journey/documents", "journey/note"],
    multiple={"journey/documents": ["held_by_other", "lost", "with_me"]},
    flags=["child", "documents_held"],
    pathways=["urgent", "trafficking"],
)


def test_csv_has_kobo_columns_choice_columns_and_outcome(stored) -> None:  # type: ignore[no-untyped-def]
    settings, keys, ids = stored
    out = io.StringIO()
    result = ex.export(ex.envelopes_from_database(settings), keys.private(), "csv", None,
                       plan=PLAN, stdout=out)
    assert (result.records, result.unreadable) == (3, [])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    header = list(rows[0])
    assert header.index("intro/name") < header.index("journey/documents")
    at = header.index("journey/documents")
    assert header[at + 1 : at + 4] == [
        "journey/documents/held_by_other", "journey/documents/lost", "journey/documents/with_me",
    ]
    first = rows[0]
    assert first["_uuid"] == ids[0] and first["meta/instanceID"] == f"uuid:{ids[0]}"
    assert first["journey/documents"] == "held_by_other lost"
    assert (first["journey/documents/held_by_other"], first["journey/documents/with_me"]) == (
        "1", "0")
    assert first["intro/name"] == "أمينة"
    assert first["journey/note"].startswith("'=")  # never a live formula
    assert first["outcome/flags"] == "documents_held"
    assert first["outcome/flags/documents_held"] == "1"
    assert first["outcome/pathways/trafficking"] == "1" and first["outcome/flags/child"] == "0"
    third = rows[2]
    assert third["journey/documents"] == "" and third["journey/documents/lost"] == ""


def test_without_questionnaire_only_the_space_separated_column(stored) -> None:  # type: ignore[no-untyped-def]
    settings, keys, _ids = stored
    out = io.StringIO()
    ex.export(ex.envelopes_from_database(settings), keys.private(), "csv", None, stdout=out)
    header = out.getvalue().splitlines()[0].split(",")
    assert "journey/documents" in header
    assert not any(h.startswith("journey/documents/") for h in header)


def test_xlsx_keeps_text_as_text(stored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, keys, ids = stored
    target = tmp_path / "out.xlsx"
    ex.export(ex.envelopes_from_database(settings), keys.private(), "xlsx", target, plan=PLAN)
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "journey/documents/lost" in header and len(rows) == 4
    assert first["journey/note"] == "=HYPERLINK(\"x\")" and first["_uuid"] == ids[0]
    cell = sheet.cell(row=2, column=header.index("journey/note") + 1)
    assert cell.data_type == "s"


def test_json_and_reading_through_the_coordinator_api(stored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, keys, ids = stored
    token = admin.add_coordinator(settings, "console")
    transport = InProcessTransport(create_app(settings))
    envelopes = ex.envelopes_from_server("http://s", token, transport=transport)
    target = tmp_path / "out.json"
    ex.export(envelopes, keys.private(), "json", target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [d["record_id"] for d in data] == ids
    assert data[0]["values"]["journey/documents"] == ["held_by_other", "lost"]
    with pytest.raises(ex.ExportError) as err:
        list(ex.envelopes_from_server("http://s", "coord_x.bad", transport=transport))
    assert err.value.code == "source_refused"


def test_wrong_key_counts_unreadable_and_wrong_passphrase_is_a_code(stored) -> None:  # type: ignore[no-untyped-def]
    settings, keys, ids = stored
    other = AgencyKeys.new()
    result = ex.export(ex.envelopes_from_database(settings), other.private(), "json", None,
                       stdout=io.StringIO())
    assert result.records == 0 and result.unreadable == ids
    with pytest.raises(ex.ExportError) as err:
        ex.load_key(keys.private_pem, "not the passphrase")
    assert err.value.code == "key_unreadable"


QUESTIONNAIRE = """\
form_id: export_check
version: "1"
title: {en: "Export check"}
default_language: en
languages:
  en: {name: English, status: reviewed}
choices:
  docs:
    - {name: held_by_other, label: {en: "Someone else holds them"}}
    - {name: lost, label: {en: "Lost"}}
    - {name: with_me, label: {en: "With me"}}
survey:
  - type: group
    name: journey
    label: {en: "Journey"}
    children:
      - {type: text, name: note, label: {en: "Note"}}
      - {type: select_multiple docs, name: documents, label: {en: "Documents"}}
outcome:
  dimensions:
    - {id: coercion, label: {en: "Coercion"}}
  flags:
    - id: documents_held
      label: {en: "Documents held"}
      when: "selected(${documents}, 'held_by_other')"
      indicator: {dimension: coercion, strength: strong}
  pathways:
    - id: trafficking
      label: {en: "Trafficking"}
      description: {en: "..."}
      when: "indicators('strong') >= 1"
"""


def test_a_real_session_exported_with_its_questionnaire(tmp_path: Path) -> None:
    """Engine session -> sealed payload -> server -> export with the questionnaire's choices."""
    from datetime import UTC, datetime

    from app.engine import Session, load_questionnaire
    from app.store import crypto
    from sync.client import SyncClient
    from sync.protocol import EnvelopeIn

    qfile = tmp_path / "export_check.yaml"
    qfile.write_text(QUESTIONNAIRE, encoding="utf-8")
    questionnaire = load_questionnaire(qfile.read_bytes(), qfile.name)
    settings = Settings(data_dir=tmp_path / "data")
    keys = AgencyKeys.new()
    admin.install_agency_key(settings, keys.public_raw)
    code = admin.create_enrolment(settings, "north")
    client = SyncClient("http://s", transport=InProcessTransport(create_app(settings)))
    device = client.claim(code.code, "tablet").device_id
    session = Session(questionnaire, language="en")
    session.answer("note", "on the road")
    session.answer("documents", ["held_by_other"])
    rid = "3f0c6f4e-8a53-4c1e-9d39-0b6c2a1e7d11"
    payload = {"record_id": rid, "device_id": device, "form_id": "export_check",
               "form_version": "1", "language": "en", "started_at": "", "finalised_at": "",
               "values": session.values(), "outcome": session.outcome().to_data(),
               "consent": {}}
    sealed = crypto.seal(keys.public_raw, json.dumps(payload).encode(),
                         crypto.envelope_info(rid, device, "export_check", "1"))
    client.upload([EnvelopeIn.build(id=rid, device_id=device, form_id="export_check",
                                    form_version="1", created_at=datetime.now(UTC),
                                    sealed=sealed)])
    out = io.StringIO()
    plan = ex.load_plan(ex.find_questionnaire(tmp_path, "export_check", "1"))  # type: ignore[arg-type]
    ex.export(ex.envelopes_from_database(settings), keys.private(), "csv", None, plan=plan,
              stdout=out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["journey/documents"] == "held_by_other"
    assert [row[f"journey/documents/{c}"] for c in ("held_by_other", "lost", "with_me")] == [
        "1", "0", "0"]
    assert row["outcome/flags/documents_held"] == "1"
    assert row["outcome/pathways/trafficking"] == "1"
    engine = admin._ENGINES.pop(settings.url, None)
    if engine is not None:
        engine.dispose()


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"record_id": "r"}, True),
        ({"record_id": "r", "values": {}, "outcome": {"flags": [], "pathways": []}}, True),
        ({"record_id": "other"}, False),
        (["r"], False),
        ({"record_id": "r", "values": ["a"]}, False),
        ({"record_id": "r", "outcome": "urgent"}, False),
        ({"record_id": "r", "outcome": {"flags": 1}}, False),
        ({"record_id": "r", "outcome": {"pathways": "urgent"}}, False),
    ],
)
def test_only_payloads_of_the_contract_shape_are_opened(payload: object, ok: bool) -> None:
    assert ex.well_formed(payload, "r") is ok
