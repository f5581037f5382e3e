"""The walking skeleton, end to end, exactly as the README starts it.

`waymark demo` runs in its own process on a fresh data folder: the agency server, an agency
key pair, the field app enrolled as a device. In Debian chromium a worker unlocks with the
demo PIN, answers the three skeleton questions, finishes and syncs. The demo is stopped with
Ctrl-C, and `waymark export` opens the envelopes with the agency's private key: the answers
are in the CSV, and neither the server's nor the device's database files hold them.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import demo
from app.ui import ids
from tests.e2e.test_field_app import tap_answer, tap_choice, tap_enabled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CASE_CODE = "QX-7731-MARKER"
COMPANIONS = "7"


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise AssertionError("waymark demo exited early:\n" + log.read_text("utf-8", "replace"))
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("waymark demo did not start:\n" + log.read_text("utf-8"))
        time.sleep(0.3)


def _unlock(page: Any, ui: Any, pin: str) -> None:
    """The unlock screen focuses its PIN field itself; type once an input has the focus."""
    ui.wait_screen(page, "unlock")
    ui.by_id(page, ids.PIN).first.click()
    page.wait_for_function(
        "() => { const e = document.activeElement;"
        " return !!e && (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA'); }"
    )
    page.keyboard.type(pin)
    ui.tap(page, ids.PIN_SUBMIT)


def _answer(page: Any, ui: Any, name: str, text: str) -> None:
    """Type an answer as a worker does, and look that the field shows it before moving on.

    Flutter wires up its DOM input a moment after the focus moves; keys sent in that moment
    are dropped (a person never types that fast), so an empty field is typed into again."""
    ui.by_id(page, ids.ANSWER_FIELD + name).first.wait_for()
    shows = "t => { const e = document.activeElement; return !!e && e.value === t; }"
    ui.type_into(page, ids.ANSWER_FIELD + name, text)
    for _attempt in range(3):
        try:
            page.wait_for_function(shows, arg=text, timeout=3000)
            return
        except Exception:
            if page.evaluate("() => (document.activeElement || {}).value || ''") == "":
                page.keyboard.type(text)
    page.wait_for_function(shows, arg=text)


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_one_answer_travels_from_the_tablet_to_the_coordinators_export(
    tmp_path: Path, ui: Any, app_page: Any, artifacts_dir: Path
) -> None:
    data = tmp_path / "waymark-data"
    server_port, app_port = ui.free_port(), ui.free_port()
    log = tmp_path / "demo.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-m", "app", "demo", "--data", str(data),
             "--server-port", str(server_port), "--app-port", str(app_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        app_url = f"http://127.0.0.1:{app_port}/"
        _wait_http(app_url, proc, log, 120)
        deadline = time.monotonic() + 30
        while "Press Ctrl-C" not in log.read_text("utf-8") and time.monotonic() < deadline:
            time.sleep(0.2)
        printed = log.read_text("utf-8")
        assert f"Demo PIN: {demo.DEMO_PIN}" in printed
        assert f"http://127.0.0.1:{server_port}" in printed and app_url in printed

        page = app_page(type("Served", (), {"url": app_url})(), ui.TABLET)
        _unlock(page, ui, demo.DEMO_PIN)
        ui.wait_screen(page, "home")
        ui.tap(page, ids.START_SCREENING)
        ui.wait_screen(page, "new")
        tap_choice(ui, page, ids.FORM + "skeleton.yaml")
        tap_choice(ui, page, ids.LANGUAGE + "en")
        tap_choice(ui, page, ids.WORKER_LANGUAGE + "en")
        tap_enabled(ui, page, ids.BEGIN)
        ui.wait_screen(page, "consent")
        ui.tap(page, ids.CONSENT_SCREENING)
        ui.tap(page, ids.CONSENT_STORING)
        tap_enabled(ui, page, ids.CONSENT_AGREE)
        ui.wait_screen(page, "interview")
        _answer(page, ui, "case_code", CASE_CODE)
        ui.tap(page, ids.NEXT)
        ui.by_id(page, ids.CHOICE + "no").first.wait_for()
        tap_answer(ui, page, ids.CHOICE + "no", page)
        ui.tap(page, ids.NEXT)
        _answer(page, ui, "companions", COMPANIONS)
        ui.tap(page, ids.NEXT)
        ui.by_id(page, ids.FINISH).first.wait_for()
        ui.tap(page, ids.FINISH)
        ui.wait_screen(page, "summary")
        ui.tap(page, ids.SUMMARY_DONE)
        ui.wait_screen(page, "home")
        ui.wait_text(page, "Records waiting to be sent: 0")  # sent by itself, no tap
        ui.tap(page, ids.HOME_SYNC)
        ui.wait_screen(page, "sync")
        ui.tap(page, ids.SYNC_NOW)
        ui.wait_text(page, "Everything is sent.")
        ui.settled_screenshot(page, artifacts_dir / "walking-skeleton" / "synced.png")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            printed = log.read_text("utf-8")
            raise AssertionError("Ctrl-C did not stop the demo:\n" + printed) from None
    assert "Stopping." in log.read_text("utf-8")
    assert proc.returncode == 0

    export = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app", "export", "--data-dir", str(data),
         "--key", str(data / "coordinator" / demo.PRIVATE_KEY),
         "--passphrase-file", str(data / "coordinator" / demo.PASSPHRASE_FILE),
         "--format", "csv", "--questionnaires-dir", str(ROOT / "questionnaires")],
        cwd=tmp_path, env=env, capture_output=True, check=True,
    )
    rows = list(csv.DictReader(io.StringIO(export.stdout.decode("utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["case_code"] == CASE_CODE
    assert row["travelling_alone"] == "no"
    assert row["companions"] == COMPANIONS, row

    server_files = [p for p in _files_under(data) if "device" not in p.parts]
    device_files = _files_under(data / "device")
    assert any(p.name.endswith(".db") for p in server_files)
    assert any(p.suffix == ".db" or ".db" in p.name for p in device_files)
    for path in server_files + device_files:
        content = path.read_bytes()
        for marker in (CASE_CODE,):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert marker.encode(encoding) not in content, f"{marker} in {path}"
