"""`waymark demo`'s set-up: key pair and enrolment happen once, and survive a restart."""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import demo
from app.i18n import translator
from app.store import Store, crypto
from sync.server import Settings, admin, server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    data = tmp_path / "waymark-data"
    data.mkdir()
    demo.ensure_agency_key(data)
    port = _free_port()
    srv = server(Settings(data_dir=data), "127.0.0.1", port)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/api/v2/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
    yield data, url
    srv.should_exit = True
    thread.join(10)
    admin.dispose_engines()


def test_agency_key_is_made_once_and_opens_with_the_demo_passphrase(tmp_path: Path) -> None:
    data = tmp_path / "d"
    demo.ensure_agency_key(data)
    pem = (data / "coordinator" / demo.PRIVATE_KEY).read_bytes()
    installed = admin.agency_key(Settings(data_dir=data))
    demo.ensure_agency_key(data)
    assert (data / "coordinator" / demo.PRIVATE_KEY).read_bytes() == pem
    assert admin.agency_key(Settings(data_dir=data)).fingerprint == installed.fingerprint
    key = crypto.load_agency_private_key(pem, demo.DEMO_PASSPHRASE)
    info = crypto.envelope_info("r", "d", "f", "1")
    sealed = crypto.seal(installed.public_raw, b"x", info)
    assert crypto.open_sealed(key, sealed, info) == b"x"
    admin.dispose_engines()


def test_device_is_enrolled_once_under_the_demo_pin(running_server: tuple[Path, str]) -> None:
    data, url = running_server
    demo.ensure_device(data, url)
    demo.ensure_device(data, url)  # a second run of the demo enrols nothing new
    devices = admin.list_devices(Settings(data_dir=data))
    assert len(devices) == 1
    with Store.open(data / "device") as store:
        assert store.locked
        store.unlock(demo.DEMO_PIN)
        enrolment = store.enrolment
        assert enrolment is not None
        assert enrolment.device_id == devices[0].id
        assert enrolment.server_url == url
        assert enrolment.site == demo.DEMO_SITE


def test_a_changed_demo_pin_gives_a_clear_error_and_keeps_the_device(
    running_server: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data, url = running_server
    demo.ensure_device(data, url)
    with Store.open(data / "device") as store:
        store.unlock(demo.DEMO_PIN)
        store.change_pin(demo.DEMO_PIN, "97531086")
    args = argparse.Namespace(data=data, server_port=_free_port(), app_port=_free_port())

    assert demo.run(args, translator("en")) == 1
    err = capsys.readouterr().err
    assert "The demo device could not be prepared" in err
    assert "97531086" not in err and demo.DEMO_PIN not in err
    with Store.open(data / "device") as store:  # nothing was wiped or re-enrolled
        store.unlock("97531086")
        assert store.enrolment is not None
    assert len(admin.list_devices(Settings(data_dir=data))) == 1
