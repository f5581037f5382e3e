"""The server's trust boundary on SQLite and PostgreSQL: who may do what, how much work an
unauthenticated sender costs, odd input answered with codes, and what stays on disk."""

from __future__ import annotations

import gzip
from datetime import timedelta

import httpx
import pytest

from sync.protocol import API_PREFIX, ItemStatus
from sync.server import admin, create_app
from tests.sync.conftest import Server
from tests.sync.helpers import SignedHttp, sealed_record


def http(server: Server, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"http://server{API_PREFIX}", transport=server.transport(),
                        headers=headers)


def device_id(client: object) -> str:
    return client.credential.device_id  # type: ignore[attr-defined,no-any-return]


# --- coordinator credentials -----------------------------------------------------------------


def test_each_scope_allows_only_its_own_actions(server: Server) -> None:
    device = server.enrolled()
    device.upload([record := sealed_record(server.keys, device_id(device))])
    reader = http(server, admin.add_coordinator(server.settings, "reader", ["read"]))
    eraser = http(server, admin.add_coordinator(server.settings, "eraser", ["erase"]))
    manager = http(server, admin.add_coordinator(server.settings, "it", ["devices"]))
    assert reader.get("/coordinator/envelopes").status_code == 200
    assert reader.get("/devices").status_code == 200
    for refused in (reader.delete(f"/coordinator/records/{record.id}"),
                    reader.post(f"/devices/{device_id(device)}/revoke"),
                    eraser.get("/coordinator/envelopes"),
                    eraser.post(f"/devices/{device_id(device)}/revoke"),
                    manager.get("/coordinator/envelopes"),
                    manager.delete(f"/coordinator/records/{record.id}")):
        assert refused.status_code == 403 and refused.json() == {"detail": "scope_missing"}
    assert server.rows("SELECT count(*) FROM envelope") == [(1,)]
    assert [d.revoked_at for d in admin.list_devices(server.settings)] == [None]
    assert eraser.delete(f"/coordinator/records/{record.id}").json() == {"erased": 1}
    assert manager.post(f"/devices/{device_id(device)}/revoke").status_code == 200
    with pytest.raises(Exception) as err:
        admin.add_coordinator(server.settings, "x", ["everything"])
    assert getattr(err.value, "code", "") == "scope_invalid"


def test_expired_and_revoked_credentials_are_refused(server: Server) -> None:
    expired = admin.add_coordinator(server.settings, "old", ttl=timedelta(seconds=-1))
    response = http(server, expired).get("/coordinator/envelopes")
    assert response.status_code == 401 and response.json() == {"detail": "credential_expired"}
    token = admin.add_coordinator(server.settings, "ana")
    assert http(server, token).get("/devices").status_code == 200
    cid = token.split(".")[0]
    admin.revoke_coordinator(server.settings, cid)
    response = http(server, token).get("/devices")
    assert response.status_code == 401 and response.json() == {"detail": "credential_revoked"}
    listed = {c.id: c for c in admin.list_coordinators(server.settings)}
    assert listed[cid].revoked_at is not None


def test_every_coordinator_action_records_its_credential(server: Server) -> None:
    device = server.enrolled()
    record = sealed_record(server.keys, device_id(device))
    device.upload([record])
    token = admin.add_coordinator(server.settings, "ana")
    cid = token.split(".")[0]
    coordinator = http(server, token)
    coordinator.get("/coordinator/envelopes")
    coordinator.get("/devices")
    coordinator.delete(f"/coordinator/records/{record.id}")
    coordinator.post(f"/devices/{device_id(device)}/revoke")
    done = [(a.coordinator_id, a.action, a.target)
            for a in admin.coordinator_actions(server.settings)]
    assert done == [(cid, "read_envelopes", "0"), (cid, "list_devices", None),
                    (cid, "erase_record", str(record.id)),
                    (cid, "revoke_device", device_id(device))]
    assert server.rows("SELECT revoked_by FROM device") == [(cid,)]
    assert server.rows("SELECT coordinator_id FROM erasure") == [(cid,)]


# --- unauthenticated work, and limits --------------------------------------------------------


def test_without_a_valid_token_no_body_is_inflated_or_parsed(server: Server) -> None:
    bomb = gzip.compress(b"{" + b" " * 5_000_000 + b"}")
    for token in (None, "dev_0000000000000000.wrong"):
        response = http(server, token).post(
            "/envelopes", content=bomb,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert response.status_code == 401  # not 413: the body was never inflated
        assert response.json()["detail"] == "unauthenticated"
    stolen = server.enrolled().credential.token  # type: ignore[union-attr]
    unsigned = http(server, stolen).post("/envelopes", content=bomb, headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert unsigned.status_code == 401 and unsigned.json() == {"detail": "signature_invalid"}


def test_inflation_is_capped_by_ratio(server: Server) -> None:
    device = server.enrolled()
    bomb = gzip.compress(b" " * 3_000_000)  # well under the size limit, 1000x its size
    response = SignedHttp(device).post(
        "/envelopes", content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413 and response.json() == {"detail": "request_too_large"}


def test_envelope_size_cap_and_quota_per_device(server: Server) -> None:
    server.settings.max_envelope_bytes = 2_000
    server.settings.device_quota_bytes = 5_000
    server.app = create_app(server.settings, engine=server.engine)
    device = server.enrolled()
    me = device_id(device)
    big = sealed_record(server.keys, me, {"note": "x" * 3_000})
    small = [sealed_record(server.keys, me, {"note": "y" * 900}) for _ in range(6)]
    results = device.upload([big, *small])
    assert (results[0].status, results[0].detail) == (ItemStatus.rejected, "too_large")
    stored = [r for r in results[1:] if r.status == ItemStatus.stored]
    refused = [r for r in results[1:] if r.detail == "quota_exceeded"]
    assert len(stored) >= 1 and len(refused) >= 1 and len(stored) + len(refused) == 6
    total = server.rows("SELECT sum(length(sealed)) FROM envelope")[0][0]
    assert int(total) <= 5_000  # type: ignore[call-overload]
    again = device.upload([small[0]])
    assert again[0].status in (ItemStatus.duplicate, ItemStatus.rejected)


def test_a_coordinator_page_is_bounded_in_bytes(server: Server) -> None:
    server.settings.page_max_bytes = 3_000
    server.app = create_app(server.settings, engine=server.engine)
    device = server.enrolled()
    records = [sealed_record(server.keys, device_id(device), {"n": "z" * 800}) for _ in range(8)]
    device.upload(records)
    reader = http(server, admin.add_coordinator(server.settings, "ana", ["read"]))
    seen, since, pages = [], 0, 0
    while True:
        page = reader.get("/coordinator/envelopes", params={"since": since}).json()
        if not page["envelopes"]:
            break
        pages += 1
        assert sum(len(e["sealed"]) * 3 // 4 for e in page["envelopes"]) <= 3_000 or len(
            page["envelopes"]) == 1
        seen += [e["id"] for e in page["envelopes"]]
        since = page["next_since"]
    assert seen == [str(r.id) for r in records] and pages >= 3


# --- odd input --------------------------------------------------------------------------------


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                        "9999-12-31T23:59:59+00:00"])
def test_odd_dates_are_refused_per_item_not_a_5xx(server: Server, created_at: str) -> None:
    device = server.enrolled()
    good = sealed_record(server.keys, device_id(device))
    odd = sealed_record(server.keys, device_id(device)).model_dump(mode="json")
    odd["created_at"] = created_at
    body = {"envelopes": [odd, good.model_dump(mode="json")]}
    response = SignedHttp(device).post("/envelopes", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "rejected" and results[0]["detail"] == "created_at_invalid"
    assert results[1]["status"] == "stored"


def test_nul_bytes_and_huge_numbers_get_coded_4xx(server: Server) -> None:
    device = server.enrolled()
    signed = SignedHttp(device)
    coordinator = http(server, admin.add_coordinator(server.settings, "ana"))
    answers = [
        coordinator.post("/devices/dev_%00x/revoke"),
        coordinator.delete("/coordinator/records/ab%00cd"),
        coordinator.get("/coordinator/envelopes", params={"since": 10**30}),
        coordinator.get("/coordinator/envelopes", params={"limit": -1}),
        signed.post("/envelopes", json={"envelopes": [], "waiting": 10**40}),
        signed.post("/envelopes", content=b'{"envelopes": [{"id": "\\u0000"}]}',
                    headers={"Content-Type": "application/json"}),
        http(server).post("/enrol/claim", json={"lookup": "\x00" * 64, "device_name": "\x00"}),
        http(server, "dev_\x00.secret").get("/config"),
        http(server, "coord_\x00.secret").get("/devices"),
    ]
    for response in answers:
        assert 400 <= response.status_code < 500, (response.request.url, response.status_code)
        assert "detail" in response.json()
    envelope = sealed_record(server.keys, device_id(device)).model_dump(mode="json")
    envelope["form_id"] = "form\x00id"
    assert signed.post("/envelopes", json={"envelopes": [envelope]}).status_code == 422


def test_device_names_lose_control_characters(server: Server) -> None:
    code = admin.create_enrolment(server.settings, "north")
    server.client().claim(code.code, "tab\x1b[31mlet\x00\x07 one")
    assert [d.name for d in admin.list_devices(server.settings)] == ["tab[31mlet one"]


def test_retired_v1_paths_answer_410(server: Server) -> None:
    with httpx.Client(base_url="http://server", transport=server.transport()) as client:
        response = client.post("/api/v1/envelopes", json={"envelopes": []})
    assert response.status_code == 410 and response.json() == {"detail": "api_version_retired"}


def test_no_swagger_page_from_a_cdn(server: Server) -> None:
    assert http(server).get("/docs").status_code == 404
    assert http(server).get("/openapi.json").json()["info"]["title"]
