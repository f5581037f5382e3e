"""At rest on the agency side (SQLite): a private data folder and files, and an erased
envelope gone from the database file and its WAL."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from sync.protocol import EnvelopeIn, ItemStatus
from sync.server import admin
from tests.sync.conftest import Server
from tests.sync.server.test_server_hardening import device_id, http


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_sqlite_folder_and_files_are_private_and_erasure_leaves_no_trace(server: Server) -> None:
    data = server.settings.data_dir
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    device = server.enrolled()
    marker = b"SEALED-BYTES-MARKER-" * 50
    record = EnvelopeIn.build(id="6b4b6b1e-0000-4000-8000-000000000001",
                              device_id=device_id(device), form_id="f", form_version="1",
                              created_at=datetime.now(UTC), sealed=marker)
    assert device.upload([record])[0].status == ItemStatus.stored
    for name in os.listdir(data):
        if name.startswith("waymark-server.db"):
            assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600, name
    token = admin.add_coordinator(server.settings, "ana", ["erase"])
    assert http(server, token).delete(f"/coordinator/records/{record.id}").json() == {"erased": 1}
    for name in os.listdir(data):
        if name.startswith("waymark-server.db"):
            assert marker[:40] not in (data / name).read_bytes(), name


