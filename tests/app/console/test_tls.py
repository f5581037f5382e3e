"""A console talking to an agency server with a self-signed certificate: a real TLS server
(uvicorn serving the agency app with a certificate made by ``sync.crypto``) that the system's
certificate authorities do not know; the console trusts it through ``--ca-file``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.cli import main
from app.console.errors import ConsoleError
from app.console.model import Console
from app.store import crypto
from sync.errors import Unreachable
from tests.app.console.agency import TRAFFICKING, Agency


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tls_server(agency: Agency, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = crypto.new_tls_certificate(["127.0.0.1"])
    (tmp_path / "tls").mkdir()
    cert_file, key_file = tmp_path / "tls" / "server.pem", tmp_path / "tls" / "server.key"
    cert_file.write_bytes(cert)
    key_file.write_bytes(key)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        agency.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        ssl_certfile=str(cert_file), ssl_keyfile=str(key_file),
    ))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the TLS server did not start"
        time.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{port}", cert_file
    finally:
        server.should_exit = True
        thread.join(10)


def _console(agency: Agency, url: str, folder: Path, **kw: Any) -> Console:
    c = Console(url, agency.token, folder, actor="Ana", kdf=crypto.TEST_KDF, **kw)
    c.unlock(agency.keys.private_pem, agency.passphrase)
    return c


def test_the_console_pulls_from_a_self_signed_server_it_was_given_the_certificate_of(
    agency: Agency, tls_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, cert_file = tls_server
    rid = agency.upload("north", TRAFFICKING)
    stranger = _console(agency, url, tmp_path / "c1")
    with pytest.raises(Unreachable):  # the system's authorities do not know this server
        stranger.pull()
    stranger.lock()
    trusted = _console(agency, url, tmp_path / "c2", ca_file=cert_file)
    assert trusted.pull().new == 1
    assert [r.id for r in trusted.rows()] == [rid]
    trusted.lock()
    other, _key = crypto.new_tls_certificate(["127.0.0.1"])
    (tmp_path / "other.pem").write_bytes(other)
    wrong = _console(agency, url, tmp_path / "c3", ca_file=tmp_path / "other.pem")
    with pytest.raises(Unreachable):  # another certificate with the same name: refused
        wrong.pull()
    wrong.lock()


def test_a_certificate_file_that_holds_none_is_a_coded_refusal(tmp_path: Path) -> None:
    (tmp_path / "not.pem").write_text("not a certificate", "utf-8")
    for path in (tmp_path / "not.pem", tmp_path / "missing.pem"):
        with pytest.raises(ConsoleError) as err:
            Console("https://agency", "t", tmp_path / "c", ca_file=path)
        assert err.value.code == "ca_file_unreadable"


def test_waymark_console_takes_the_certificate_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.console import ui

    cert, _key = crypto.new_tls_certificate(["127.0.0.1"])
    (tmp_path / "server.pem").write_bytes(cert)
    token = tmp_path / "token"
    token.write_text("coord_x.y", "utf-8")
    served: dict[str, Any] = {}
    monkeypatch.setattr(ui, "serve", lambda *a, **kw: served.update(kw))  # no server started
    base = ["console", "--server", "https://127.0.0.1:8443", "--token-file", str(token),
            "--data", str(tmp_path / "d")]
    assert main([*base, "--ca-file", str(tmp_path / "server.pem")]) == 0
    assert served["ca_file"] == tmp_path / "server.pem"
    served.clear()
    assert main(["--language", "fr", *base, "--ca-file", str(tmp_path / "missing.pem")]) == 2
    assert served == {} and "missing.pem" in capsys.readouterr().err


def test_waymark_export_reads_a_self_signed_server_through_its_certificate(
    agency: Agency, tls_server: tuple[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, cert_file = tls_server
    rid = agency.upload("north", TRAFFICKING)
    token = tmp_path / "token"
    token.write_text(agency.token, "utf-8")
    phrase = tmp_path / "phrase"
    phrase.write_text(agency.passphrase, "utf-8")
    base = ["export", "--server", url, "--token-file", str(token), "--format", "json",
            "--key", str(agency.write_key(tmp_path / "keys")), "--passphrase-file", str(phrase)]
    assert main([*base, "--output", str(tmp_path / "no.json")]) == 1  # unknown to the system
    assert not (tmp_path / "no.json").exists()
    capsys.readouterr()
    assert main([*base, "--ca-file", str(cert_file), "--output", str(tmp_path / "out.json")]) == 0
    assert rid in (tmp_path / "out.json").read_text("utf-8")
    assert main([*base, "--ca-file", str(tmp_path / "missing.pem")]) == 1
    assert "missing.pem" in capsys.readouterr().err
