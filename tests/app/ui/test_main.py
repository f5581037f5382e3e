"""``serve()`` and ``waymark app``: the app answers on the host and port given, offline (no
CDN), and exits cleanly on SIGTERM with its store locked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.cli import build_parser
from app.i18n import translator

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_waymark_app_serves_offline_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLET_FORCE_WEB_SERVER": "1"}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "app", "app", "--data", str(tmp_path / "d"), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert page.status_code == 200
        assert "gstatic" not in page.text and "googleapis" not in page.text  # nothing from a CDN
        # the page, the web manifest and the icon say Waymark, not Flet
        assert "<title>Waymark</title>" in page.text and "<title>Flet" not in page.text
        base = f"http://127.0.0.1:{port}/"
        manifest = httpx.get(base + "manifest.json", timeout=5).json()
        assert manifest["name"] == manifest["short_name"] == "Waymark"
        assets = ROOT / "app" / "assets"
        for path in ("favicon.png", *(i["src"] for i in manifest["icons"])):
            assert httpx.get(base + path, timeout=5).content == (assets / path).read_bytes()
        assert (tmp_path / "d").is_dir()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]


def test_the_app_and_i18n_commands_are_registered() -> None:
    parser = build_parser(translator("en"))
    args = parser.parse_args(["app", "--data", "x", "--port", "9000"])
    assert args.command == "app" and args.port == 9000 and args.host == "127.0.0.1"
    assert parser.parse_args(["i18n", "check"]).action == "check"
