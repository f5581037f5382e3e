"""Auto-send in Debian chromium: a record finalised while the agency server is down reaches the
server after it comes back, with the app left open and nothing tapped; the same with the app
locked. The server is the real one in its own process, stopped and started again on the same
port and data; the app tries on a shortened schedule (WAYMARK_SYNC_*), as it would in the field
over minutes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.ui import ids
from tests.e2e.test_field_app import (
    ENROL_CODE,
    KEY_CODE,
    PIN,
    SITE_CONFIG,
    Agency,
    stored_envelopes,
    tap_answer,
    tap_choice,
    tap_enabled,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "WAYMARK_SYNC_INTERVAL": "2",
    "WAYMARK_SYNC_BASE": "0.5",
    "WAYMARK_SYNC_CAP": "2",
    "WAYMARK_UI_TICK": "0.5",
}
ARRIVAL_SECONDS = 60


@dataclass
class Outage:
    """An agency server that can be stopped and started again on the same address and data."""

    data: Path
    config: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-m", "app", "server", "--data-dir", str(self.data),
                 "--config-dir", str(self.config), "--host", "127.0.0.1",
                 "--port", str(self.port), "--public-url", self.url],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/api/v2/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log.read_text("utf-8", "replace"))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        self.process = None

    def agency(self) -> Agency:
        assert self.process is not None
        return Agency(self.url, self.data, self.process, (self.data / "agency.pem").read_bytes())


@pytest.fixture
def outage(tmp_path: Path, ui: Any) -> Iterator[Outage]:
    data = tmp_path / "server"
    config = data / "config"
    (config / "sites").mkdir(parents=True)
    (config / "sites" / "default.yaml").write_text(yaml.safe_dump(SITE_CONFIG), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", KEY_CODE, str(data)], check=True, cwd=ROOT, env=env
    )
    server = Outage(data, config, ui.free_port(), tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def enrolment_text(server: Outage) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", ENROL_CODE, str(server.data), "belgrade", server.url],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return done.stdout.decode().strip().splitlines()[-1]


def finish_skeleton(ui: Any, page: Any, case_code: str) -> None:
    """The three skeleton questions, from Home to the summary and back to Home."""
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
    ui.type_into(page, ids.ANSWER_FIELD + "case_code", case_code)
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.CHOICE + "no").first.wait_for()
    tap_answer(ui, page, ids.CHOICE + "no", page)
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.ANSWER_FIELD + "companions").first.wait_for()
    ui.type_into(page, ids.ANSWER_FIELD + "companions", "2")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.FINISH).first.wait_for()
    ui.tap(page, ids.FINISH)
    ui.wait_screen(page, "summary")
    ui.tap(page, ids.SUMMARY_DONE)
    ui.wait_screen(page, "home")


def wait_arrival(server: Outage, n: int) -> list[dict[str, Any]]:
    """Poll the server's database (never the app) until ``n`` records are there."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while True:
        records = stored_envelopes(server.agency())
        if len(records) >= n or time.monotonic() > deadline:
            return records
        time.sleep(1)


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
@pytest.mark.parametrize("locked", [False, True], ids=["open", "locked"])
def test_a_record_sealed_offline_reaches_the_server_when_it_returns_without_a_tap(
    viewport: str,
    locked: bool,
    outage: Outage,
    serve_app: Any,
    app_page: Any,
    artifacts_dir: Path,
    ui: Any,
) -> None:
    app = serve_app(env=FAST)
    page = app_page(app, ui.VIEWPORTS[viewport])
    ui.set_pin(page, PIN)
    ui.enrol(page, enrolment_text(outage))
    ui.wait_screen(page, "home")

    outage.stop()
    case_code = f"AUTO-{viewport}-{int(locked)}"
    finish_skeleton(ui, page, case_code)
    ui.wait_text(page, "Records waiting to be sent: 1")
    ui.wait_text(page, "The server cannot be reached")  # Home says why, in plain words
    shots = artifacts_dir / "auto-send"
    ui.settled_screenshot(page, shots / f"{viewport}-home-waiting.png")
    if locked:
        ui.tap(page, ids.LOCK_NOW)
        ui.wait_screen(page, "unlock")

    outage.start()
    records = wait_arrival(outage, 1)
    assert [r["values"]["case_code"] for r in records] == [case_code]
    if locked:
        ui.wait_screen(page, "unlock")  # still locked: sending needed no PIN
        ui.unlock(page, PIN)
        ui.wait_screen(page, "home")
    ui.wait_text(page, "Records waiting to be sent: 0")  # Home followed, with no tap
    assert not ui.shows_text(page, "The server cannot be reached")
    assert ui.shows_text(page, "Last sent:")
    ui.settled_screenshot(page, shots / f"{viewport}-home-sent-{int(locked)}.png")
