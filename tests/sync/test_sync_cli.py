"""The coordinator commands end to end: keys, enrolment, devices, export (SQLite data folder)."""

from __future__ import annotations

import base64
import csv
import json
import os
import stat
from pathlib import Path

import pytest

from app.cli import main
from sync.client import SyncClient
from sync.server import Settings, admin, create_app
from tests.sync.helpers import InProcessTransport, MemoryOutbox

PASS = "a passphrase long enough"  # noqa: S105 - a test key only


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pass").write_text(PASS + "\n", encoding="utf-8")
    yield tmp_path
    engine = admin._ENGINES.pop(Settings(data_dir=tmp_path / "data").url, None)
    if engine is not None:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_keys_enrol_upload_export(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(folder / "data")]
    code, out, _ = run(capsys, "keys", "new", "--out", str(folder / "keys"),
                       "--passphrase-file", str(folder / "pass"), "--install", *data)
    assert code == 0
    private = folder / "keys" / "agency-private.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert PASS.encode() not in private.read_bytes() and private.read_bytes().startswith(b"WP\x01")
    public = base64.b64decode((folder / "keys" / "agency-public.key").read_text())
    assert len(public) == 32

    code, out, _ = run(capsys, "keys", "new", "--out", str(folder / "keys"),
                       "--passphrase-file", str(folder / "pass"), *data)
    assert code == 1 and private.read_bytes().startswith(b"WP\x01")

    code, out, _ = run(capsys, "enrol", "--site", "north", "--role", "interpreter",
                       "--server-url", "http://10.0.0.2:8000", *data)
    assert code == 0
    enrol_code = next(line.split(": ")[1] for line in out.splitlines()
                      if line.startswith("Enrolment code"))
    fingerprint = next(line.split(": ")[1] for line in out.splitlines()
                       if line.startswith("Agency key fingerprint"))
    assert "▀" in out or "█" in out  # the QR code, drawn in the terminal
    qr_text = json.loads(next(line.split(": ", 1)[1] for line in out.splitlines()
                              if line.startswith("Text of the QR code")))
    assert qr_text == {"waymark": 1, "url": "http://10.0.0.2:8000", "code": enrol_code,
                       "fp": fingerprint}

    settings = Settings(data_dir=folder / "data")
    client = SyncClient("http://s", transport=InProcessTransport(create_app(settings)))
    claimed = client.claim(enrol_code, "tablet", fingerprint)
    assert claimed.role == "interpreter"
    from app.store import crypto
    from tests.sync.helpers import AgencyKeys, sealed_record

    keys = AgencyKeys(private.read_bytes(), public)
    outbox = MemoryOutbox()
    outbox.add(sealed_record(keys, claimed.device_id, {"g/q": ["a", "b"]}))
    assert client.sync_once(outbox).stored == 1
    assert crypto.fingerprint(public) == fingerprint

    target = folder / "out.csv"
    code, out, err = run(capsys, "export", "--key", str(private), "--passphrase-file",
                         str(folder / "pass"), "--format", "csv", "--output", str(target), *data)
    assert code == 0, err
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert rows[0]["g/q"] == "a b" and rows[0]["_device_id"] == claimed.device_id

    code, out, err = run(capsys, "export", "--key", str(private), "--format", "json", *data)
    assert code == 1 and "passphrase" in err  # no passphrase file, no env: prompt refused
    os.environ["WAYMARK_PASSPHRASE"] = PASS
    try:
        code, out, err = run(capsys, "export", "--key", str(private), "--format", "json", *data)
    finally:
        del os.environ["WAYMARK_PASSPHRASE"]
    assert code == 0 and json.loads(out)[0]["values"] == {"g/q": ["a", "b"]}

    (folder / "wrong").write_text("not the passphrase", encoding="utf-8")
    code, out, err = run(capsys, "export", "--key", str(private), "--passphrase-file",
                         str(folder / "wrong"), *data)
    assert code == 1 and "could not be opened" in err and "not the passphrase" not in err

    code, out, _ = run(capsys, "devices", "list", *data)
    assert claimed.device_id in out and "active" in out
    code, out, _ = run(capsys, "devices", "revoke", claimed.device_id, *data)
    assert code == 0
    code, out, _ = run(capsys, "devices", "list", *data)
    assert "revoked" in out
    code, out, err = run(capsys, "devices", "revoke", "dev_unknown", *data)
    assert code == 1 and "dev_unknown" in err

    code, out, _ = run(capsys, "coordinator", "add", "console", *data)
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("coord_")


def test_enrol_without_agency_key_says_so(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "enrol", "--site", "north", "--data-dir", str(folder / "data"))
    assert code == 1 and "waymark keys new" in err


def test_messages_are_translated_through_the_catalog(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--language", "fr", "devices", "list",
                         "--data-dir", str(folder / "data"))
    assert code == 0 and out.strip()


def test_waymark_server_serves_and_migrates_its_data_folder(folder: Path) -> None:
    import subprocess
    import sys
    import time

    from tests.pg import free_port

    root = Path(__file__).resolve().parents[2]
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "app", "server", "--data-dir", str(folder / "srv"),
         "--port", str(port)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not SyncClient(f"http://127.0.0.1:{port}").health(timeout=1):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        assert (folder / "srv" / "waymark-server.db").is_file()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--key", "{missing}", "--passphrase-file", "{folder}/pass"),
        ("export", "--key", "{folder}/pass", "--passphrase-file", "{missing}"),
        ("keys", "install", "{missing}"),
        ("keys", "new", "--out", "{folder}/k", "--passphrase-file", "{missing}"),
    ],
)
def test_a_missing_file_is_a_message_not_a_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    missing = str(folder / "no-such-file")
    filled = [a.format(folder=folder, missing=missing) for a in args]
    code, _out, err = run(capsys, *filled, "--data-dir", str(folder / "data"))
    assert code == 1
    assert err.strip() == f"{missing} could not be read or written."


def test_coordinator_actions_lists_who_did_what(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from sync.protocol import API_PREFIX

    data = ["--data-dir", str(folder / "data")]
    code, out, _ = run(capsys, "coordinator", "actions", *data)
    assert code == 0 and "No coordinator actions" in out
    _code, out, _ = run(capsys, "coordinator", "add", "dpo-review", "--scopes", "devices", *data)
    token = out.strip().splitlines()[-1]
    app = create_app(Settings(data_dir=folder / "data"))
    with TestClient(app, base_url=f"http://server{API_PREFIX}",
                    headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/devices").status_code == 200
        assert http.post("/devices/dev_unknown/revoke").status_code == 404
    _code, out, _ = run(capsys, "coordinator", "list", *data)
    coordinator_id = out.split("\t", 1)[0]
    code, out, _ = run(capsys, "coordinator", "actions", *data)
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert code == 0 and rows and all(r[1] == coordinator_id and r[2] == "dpo-review" for r in rows)
    assert rows[0][3] == "list_devices"
    code, out, _ = run(capsys, "coordinator", "actions", "--coordinator", "coord_other", *data)
    assert code == 0 and "No coordinator actions" in out
