"""TLS: ``waymark server`` refuses plain HTTP beyond loopback, serves HTTPS with a certificate
it makes, devices pin that certificate at enrolment and refuse a downgrade to plain HTTP."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.client import SyncClient
from sync.errors import SyncError, Unreachable
from sync.server import Settings, admin
from tests.pg import free_port
from tests.sync.helpers import AgencyKeys, MemoryOutbox, sealed_record, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ANY = "0.0.0.0"  # noqa: S104 - the address the server must refuse to serve plain HTTP on


def waymark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "app", *args], env=ENV, cwd=ROOT, capture_output=True,
        text=True, timeout=120,
    )


def test_plain_http_beyond_loopback_is_refused_in_the_persons_language(tmp_path: Path) -> None:
    done = waymark("--language", "fr", "server", "--host", ANY, "--port",
                   str(free_port()), "--data-dir", str(tmp_path))
    assert done.returncode != 0
    assert "refuse de servir du HTTP en clair" in done.stderr  # the French sentence
    english = waymark("server", "--host", ANY, "--port", str(free_port()),
                      "--data-dir", str(tmp_path))
    assert english.returncode != 0 and "Refusing to serve plain HTTP" in english.stderr
    public = waymark("server", "--public-url", "http://10.0.0.5:8000", "--port",
                     str(free_port()), "--data-dir", str(tmp_path))
    assert public.returncode != 0 and "https://" in public.stderr


def test_the_device_refuses_plain_http_off_loopback() -> None:
    for url in ("http://10.0.0.5:8000", "http://agency.example.org"):
        with pytest.raises(SyncError) as err:
            SyncClient(url)
        assert err.value.code == "plain_http_refused"
    SyncClient("http://127.0.0.1:8000").close()
    SyncClient("https://agency.example.org").close()


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[Settings, str, AgencyKeys]]:
    keys = AgencyKeys.new()
    settings = Settings(data_dir=tmp_path / "server")
    admin.install_agency_key(settings, keys.public_raw)
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "app", "server", "--tls-self-signed", "--host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(settings.data_dir)],
        env=ENV, cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        url = f"https://127.0.0.1:{port}"
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"Waymark server on {url}")
        fingerprint = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        wait_until_up(url, proc)
        assert len(fingerprint) == 64
        yield settings, url, keys
    finally:
        stop(proc)
        admin.dispose_engines()


def test_a_device_enrols_over_https_and_pins_the_certificate(
    https_server: tuple[Settings, str, AgencyKeys],
) -> None:
    settings, url, keys = https_server
    code = admin.create_enrolment(settings, "north")
    client = SyncClient(url)
    claimed = client.claim(code.code, "tablet")
    cert = (settings.data_dir / "tls" / "server-cert.pem").read_bytes()
    from sync import crypto

    assert claimed.tls_fingerprint == crypto.certificate_fingerprint(cert)
    assert client.credential is not None and client.credential.tls_certificate
    outbox = MemoryOutbox()
    outbox.add(sealed_record(keys, claimed.device_id))
    again = SyncClient(url, claimed.token)  # as the app makes it after a restart
    assert again.sync_once(outbox).stored == 1 and not outbox.items
    # a certificate other than the pinned one (a TLS interceptor's) is refused
    other, _key = crypto.new_tls_certificate(["127.0.0.1"])
    forged = client.credential.__class__(**{**client.credential.__dict__,
                                            "tls_certificate": other.decode()})
    with pytest.raises(Unreachable), SyncClient(url, forged.encode()) as intercepted:
        intercepted.fetch_config()
    client.close()
    again.close()


def test_a_downgrade_to_plain_http_is_refused(
    https_server: tuple[Settings, str, AgencyKeys], tmp_path: Path
) -> None:
    settings, url, keys = https_server
    mode, log = tmp_path / "mode", tmp_path / "log"
    mode.write_text("pass", encoding="utf-8")
    port = free_port()
    proxy = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "tests" / "sync" / "mitm.py"), str(port), url, str(mode),
         str(log), base64.b64encode(keys.public_raw).decode()],
        env=ENV, cwd=ROOT,
    )
    try:
        plain = f"http://127.0.0.1:{port}"
        wait_until_up(plain, proxy)
        code = admin.create_enrolment(settings, "north")
        with pytest.raises(SyncError) as err:
            SyncClient(plain).claim(code.code, "tablet", code.fingerprint)
        assert err.value.code == "tls_downgrade"
    finally:
        stop(proxy)


def _serve(settings: Settings) -> tuple[object, object, str]:
    import threading

    from sync.server import server

    port = free_port()
    srv = server(settings, "127.0.0.1", port)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    while not SyncClient(url).health(timeout=1):
        pass
    return srv, thread, url


@pytest.mark.parametrize("proxy", [None, "127.0.0.1"], ids=["no_proxy", "behind_proxy"])
def test_forwarded_addresses_are_believed_only_from_the_named_proxy(
    tmp_path: Path, proxy: str | None
) -> None:
    import httpx

    from sync.protocol import API_PREFIX
    from tests.sync.helpers import bogus_claim

    settings = Settings(data_dir=tmp_path / "server", proxy=proxy, claim_limit=2)
    admin.install_agency_key(settings, AgencyKeys.new().public_raw)
    srv, thread, url = _serve(settings)
    try:
        with httpx.Client(base_url=url + API_PREFIX) as http:
            statuses = [
                http.post("/enrol/claim", json=bogus_claim(),
                          headers={"X-Forwarded-For": f"10.9.0.{i}"}).status_code
                for i in range(4)
            ]
    finally:
        srv.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)  # type: ignore[attr-defined]
        admin.dispose_engines()
    if proxy is None:  # every try is counted against the real peer: the header is ignored
        assert statuses == [400, 400, 429, 429]
    else:  # the proxy's forwarded address is the client
        assert statuses == [400, 400, 400, 400]
