"""One contract suite for the agency server, run against SQLite and a real PostgreSQL."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from sync.errors import Refused, Revoked, SyncError, Unauthorized
from sync.protocol import EnvelopeIn, ItemStatus, UploadRequest
from sync.server import admin, create_app
from sync.server.db import migrate
from tests.sync.conftest import Server
from tests.sync.helpers import MemoryOutbox, sealed_record

MARKERS = ("MARKER-AMINA-7731", "MARKER-BORDER-CROSSING-4410")


def raw(server: Server, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url="http://server/api/v1", transport=server.transport(),
                        headers=headers)


def body(*envelopes: EnvelopeIn) -> dict[str, object]:
    return UploadRequest(envelopes=list(envelopes)).model_dump(mode="json")


def test_health_needs_no_token(server: Server) -> None:
    assert raw(server).get("/health").json()["status"] == "ok"


def test_migrations_run_twice_without_change(server: Server) -> None:
    migrate(server.engine)
    assert server.rows("SELECT version_num FROM alembic_version") == [("0002_device_waiting",)]


def test_claim_gives_token_key_fingerprint_and_site(server: Server) -> None:
    code = admin.create_enrolment(server.settings, "north", "interpreter")
    assert code.fingerprint == server.keys.private().fingerprint
    client = server.client()
    claimed = client.claim(code.code.lower().replace("-", " "), "tablet 1", code.fingerprint)
    assert base64.b64decode(claimed.agency_public_key) == server.keys.public_raw
    assert (claimed.site, claimed.role) == ("north", "interpreter")
    stored = server.rows("SELECT token_hash FROM device WHERE id = :i", i=claimed.device_id)
    secret = claimed.token.split(".", 1)[1]
    assert stored and secret not in str(stored) and len(stored[0][0]) == 64
    codes = server.rows("SELECT code_hash FROM enrolment")
    assert code.code not in str(codes)


def test_code_is_one_time_and_replay_is_refused(server: Server) -> None:
    code = admin.create_enrolment(server.settings, "north")
    server.client().claim(code.code, "a")
    with pytest.raises(Refused) as err:
        server.client().claim(code.code, "b")
    assert (err.value.status, err.value.code) == (400, "enrolment_code_invalid")


def test_expired_and_unknown_codes_are_refused(server: Server) -> None:
    code = admin.create_enrolment(server.settings, "north", ttl=timedelta(seconds=-1))
    for attempt in (code.code, "AAAA-BBBB-CCCC"):
        with pytest.raises(Refused) as err:
            server.client().claim(attempt, "x")
        assert err.value.status == 400


def test_fingerprint_mismatch_is_refused_by_the_device(server: Server) -> None:
    code = admin.create_enrolment(server.settings, "north")
    with pytest.raises(Exception) as err:
        server.client().claim(code.code, "x", expected_fingerprint="0" * 16)
    assert getattr(err.value, "code", "") == "fingerprint_mismatch"


def test_claims_are_rate_limited_per_client(server: Server) -> None:
    server.settings.claim_limit = 3
    client = raw(server)
    statuses = [
        client.post("/enrol/claim", json={"code": "ZZZZ-ZZZZ-ZZZZ", "device_name": "x"}).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    other = httpx.Client(base_url="http://server/api/v1",
                         transport=server.transport(("10.0.0.9", 1)))
    assert other.post("/enrol/claim", json={"code": "ZZZZ-ZZZZ-ZZZZ", "device_name": "x"}
                      ).status_code == 400


def test_successful_claims_do_not_count_against_the_limit(server: Server) -> None:
    server.settings.claim_limit = 2
    devices = {server.enrolled(name=f"tablet {i}").token for i in range(4)}
    assert len(devices) == 4


def test_upload_stored_duplicate_conflict_rejected(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    first = sealed_record(server.keys, device)
    again = sealed_record(server.keys, device, {"x": "other"}, record_id=str(first.id))
    bad_digest = sealed_record(server.keys, device).model_copy(update={"digest": "0" * 64})
    foreign = sealed_record(server.keys, "dev_someone_else")
    results = client.upload([first, first, again, bad_digest, foreign])
    assert [r.status for r in results] == [
        ItemStatus.stored, ItemStatus.duplicate, ItemStatus.conflict,
        ItemStatus.rejected, ItemStatus.rejected,
    ]
    assert [r.detail for r in results[3:]] == ["digest_mismatch", "device_mismatch"]
    replay = client.upload([first, again])
    assert [r.status for r in replay] == [ItemStatus.duplicate, ItemStatus.conflict]
    rows = server.rows("SELECT digest, conflict FROM envelope WHERE record_id = :r",
                       r=str(first.id))
    assert sorted(rows, key=lambda r: bool(r[1])) == [(first.digest, False), (again.digest, True)]


def test_every_endpoint_but_health_and_claim_needs_a_token(server: Server) -> None:
    client = raw(server)
    envelope = sealed_record(server.keys, "dev_x")
    assert client.post("/envelopes", json=body(envelope)).status_code == 401
    assert client.get("/config").status_code == 401
    assert client.get("/devices").status_code == 401
    assert client.get("/coordinator/envelopes").status_code == 401
    forged = raw(server, "dev_0000000000000000.not-a-real-secret")
    assert forged.post("/envelopes", json=body(envelope)).status_code == 401
    with pytest.raises(Unauthorized):
        server.client("garbage").upload([envelope])


def test_device_token_is_not_a_coordinator_credential(server: Server) -> None:
    client = server.enrolled()
    assert raw(server, client.token).get("/coordinator/envelopes").status_code == 401


def test_revoked_device_is_told_to_wipe(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    admin.revoke_device(server.settings, device)
    response = raw(server, client.token).post(
        "/envelopes", json=body(sealed_record(server.keys, device))
    )
    assert response.status_code == 403 and response.json() == {
        "detail": "device_revoked", "wipe": True,
    }
    outbox = MemoryOutbox()
    outbox.add(sealed_record(server.keys, device))
    with pytest.raises(Revoked):
        client.sync_once(outbox)
    assert len(outbox.items) == 1
    listed = {d.id: d.revoked_at for d in admin.list_devices(server.settings)}
    assert listed[device] is not None


def test_the_coordinator_sees_how_many_records_wait_on_each_device(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    outbox = MemoryOutbox()
    for _ in range(5):
        outbox.add(sealed_record(server.keys, device))
    client.batch_size = 2
    assert {d.id: d.waiting for d in admin.list_devices(server.settings)} == {device: None}
    first = outbox.pending(2)
    client.upload(first, waiting=5)
    assert {d.id: d.waiting for d in admin.list_devices(server.settings)} == {device: 3}
    for e in first:
        outbox.items.pop(e.id)
    client.sync_once(outbox)
    assert {d.id: d.waiting for d in admin.list_devices(server.settings)} == {device: 0}
    coordinator = admin.add_coordinator(server.settings, "ana")
    listed = raw(server, coordinator).get("/devices").json()
    assert [(d["device_id"], d["waiting"]) for d in listed] == [(device, 0)]


def test_oversized_requests_get_413(server: Server) -> None:
    server.settings.max_request_bytes = 50_000
    app_client = server.enrolled()
    # the limit is read when the app is built: build it again
    server.app = create_app(server.settings, engine=server.engine)
    http = raw(server, app_client.token)
    big = b"{" + b" " * 60_000 + b"}"
    response = http.post("/envelopes", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json() == {"detail": "request_too_large"}
    bomb = gzip.compress(b" " * 2_000_000)
    assert len(bomb) < 50_000
    response = http.post("/envelopes", content=bomb,
                         headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_chunked_body_over_the_limit_gets_413(server: Server) -> None:
    server.settings.max_request_bytes = 20_000
    server.app = create_app(server.settings, engine=server.engine)
    client = server.enrolled()

    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b" " * 1000

    response = raw(server, client.token).post(
        "/envelopes", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_gzip_bodies_accepted_and_broken_gzip_refused(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    envelope = sealed_record(server.keys, device)
    payload = gzip.compress(json.dumps(body(envelope)).encode())
    http = raw(server, client.token)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    ok = http.post("/envelopes", content=payload, headers=headers)
    assert ok.status_code == 200 and ok.json()["results"][0]["status"] == "stored"
    broken = http.post("/envelopes", content=payload[: len(payload) // 2], headers=headers)
    assert broken.status_code == 400 and broken.json() == {"detail": "encoding_invalid"}


def test_malformed_requests_get_422_without_echoing_input(server: Server) -> None:
    client = server.enrolled()
    http = raw(server, client.token)
    response = http.post("/envelopes", json={"envelopes": [{"id": "MARKER-AMINA-7731"}]})
    assert response.status_code == 422
    assert response.json()["detail"] == "request_invalid"
    assert "MARKER" not in response.text
    extra_key = http.post("/envelopes", json={"envelopes": [], "MARKER-AMINA-7731": "x"})
    assert extra_key.status_code == 422 and "MARKER" not in extra_key.text
    assert {"loc": ["body", "*"], "type": "extra_forbidden"} in extra_key.json()["errors"]
    not_json = http.post("/envelopes", content=b"{nope",
                         headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422


def test_config_download_with_etag(server: Server) -> None:
    client = server.enrolled()
    config, etag = client.fetch_config()
    assert config is not None and etag
    assert base64.b64decode(config.questionnaires["screening.yaml"]).startswith(b"form_id")
    assert config.referral_directory[0]["id"] == "clinic"
    assert client.fetch_config(etag) == (None, etag)
    (server.settings.config_path / "sites" / "north.yaml").write_text(
        "referral_directory: []\nsettings: {retention_days: 7}\n", encoding="utf-8"
    )
    newer, etag2 = client.fetch_config(etag)
    assert newer is not None and etag2 != etag and newer.settings == {"retention_days": 7}


def test_coordinator_reads_since_cursor_and_erases(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    records = [sealed_record(server.keys, device) for _ in range(5)]
    client.upload(records)
    token = admin.add_coordinator(server.settings, "coordinator")
    http = raw(server, token)
    page = http.get("/coordinator/envelopes", params={"since": 0, "limit": 3}).json()
    assert [e["id"] for e in page["envelopes"]] == [str(r.id) for r in records[:3]]
    rest = http.get("/coordinator/envelopes", params={"since": page["next_since"]}).json()
    assert [e["id"] for e in rest["envelopes"]] == [str(r.id) for r in records[3:]]
    assert page["settled_since"] == 0  # just received: an incremental reader re-reads them
    with server.engine.begin() as conn:
        conn.execute(sa.text("UPDATE envelope SET received_at = :t"),
                     {"t": datetime(2020, 1, 1)})
    settled = http.get("/coordinator/envelopes", params={"since": 0}).json()
    assert settled["settled_since"] == settled["next_since"] > 0
    gone = http.delete(f"/coordinator/records/{records[0].id}")
    assert gone.json() == {"erased": 1}
    again = client.upload([records[0]])
    assert (again[0].status, again[0].detail) == (ItemStatus.duplicate, "erased")
    assert server.rows("SELECT count(*) FROM envelope WHERE record_id = :r",
                       r=str(records[0].id)) == [(0,)]
    assert http.get("/devices").json()[0]["device_id"] == device
    assert http.post(f"/devices/{device}/revoke").json()["revoked_at"]
    assert http.post("/devices/dev_unknown/revoke").status_code == 404


def test_simultaneous_versions_read_back_as_a_conflict(server: Server) -> None:
    """Two processes storing two versions of one record at once both write conflict=false;
    the coordinator still reads the later one as a conflict."""
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    first = sealed_record(server.keys, device)
    client.upload([first])
    with server.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO envelope (record_id, digest, device_id, form_id, form_version, "
            "created_at, received_at, sealed, conflict) SELECT record_id, :d, device_id, "
            "form_id, form_version, created_at, received_at, sealed, :f FROM envelope"
        ), {"d": "f" * 64, "f": False})
    token = admin.add_coordinator(server.settings, "console")
    page = raw(server, token).get("/coordinator/envelopes").json()["envelopes"]
    assert [(e["digest"][:1], e["conflict"]) for e in page] == [(first.digest[:1], False),
                                                                ("f", True)]
    assert [e.conflict for e in admin.envelopes(server.settings)] == [False, True]


def test_database_holds_no_plaintext(server: Server) -> None:
    client = server.enrolled()
    device = client.token.split(".")[0]  # type: ignore[union-attr]
    outbox = MemoryOutbox()
    for marker in MARKERS:
        outbox.add(sealed_record(server.keys, device, {"intro/name": marker, "note": marker}))
    assert client.sync_once(outbox).stored == 2
    dump = []
    for table in ("envelope", "device", "enrolment", "agency_key"):
        dump.extend(server.rows(f"SELECT * FROM {table}"))  # noqa: S608
    text = repr(dump)
    assert all(m not in text and m.encode() not in text.encode() for m in MARKERS)
    sealed = server.rows("SELECT sealed FROM envelope")
    assert len(sealed) == 2 and all(m.encode() not in bytes(s[0]) for s in sealed for m in MARKERS)
    if server.backend == "sqlite":
        blob = (server.settings.data_dir / "waymark-server.db").read_bytes()
        assert all(m.encode() not in blob for m in MARKERS)


def test_unknown_routes_answer_with_codes(server: Server) -> None:
    response = raw(server).get("/nowhere")
    assert response.status_code == 404 and response.json() == {"detail": "not_found"}


@pytest.mark.parametrize(
    "site_file",
    [
        "referral_directory: 5\n",
        "referral_directory: {clinic: x}\n",
        "referral_directory: [clinic]\n",
        "settings: [retention_days]\n",
        "- not a mapping\n",
    ],
)
def test_a_malformed_site_file_is_a_coded_503_and_claims_still_succeed(
    server: Server, site_file: str
) -> None:
    (server.settings.config_path / "sites" / "west.yaml").write_text(site_file, encoding="utf-8")
    code = admin.create_enrolment(server.settings, "west", "outreach")
    client = server.client()
    claimed = client.claim(code.code, "tablet", code.fingerprint)
    assert claimed.site == "west" and claimed.config_etag == ""
    with pytest.raises(SyncError) as err:
        client.fetch_config()
    assert (err.value.status, err.value.code) == (503, "site_config_invalid")
