"""Auto-send in Debian chromium: a record finalised while the agency server is down reaches the
server after it comes back, with the app left open and nothing tapped; the same with the app
locked. The server is the real one in its own process, stopped and started again on the same
port and data; the app tries on a shortened schedule (WAYMARK_SYNC_*), as it would in the field
over minutes."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import (
    PIN,
    Agency,
    create_enrolment_text,
    new_agency_data,
    start_agency_server,
    stop_process,
    stored_envelopes,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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
        self.process = start_agency_server(self.data, self.config, self.port, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def agency(self) -> Agency:
        assert self.process is not None
        return Agency(self.url, self.data, self.process, (self.data / "agency.pem").read_bytes())


@pytest.fixture
def outage(tmp_path: Path, agency_keys: Path, ui: Any) -> Iterator[Outage]:
    """A server of this test's own (it is stopped and started), with the session's agency key."""
    data, config = new_agency_data(agency_keys, tmp_path)
    server = Outage(data, config, ui.free_port(), tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def enrolment_text(server: Outage) -> str:
    return create_enrolment_text(server.data, server.url)


def finish_skeleton(ui: Any, page: Any, case_code: str) -> None:
    """The three skeleton questions, from Home to the summary and back to Home."""
    ui.finish_skeleton(page, case_code)


def wait_arrival(server: Outage, n: int) -> list[dict[str, Any]]:
    """Poll the server's database (never the app) until ``n`` records are there."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while True:
        records = stored_envelopes(server.agency())
        if len(records) >= n or time.monotonic() > deadline:
            return records
        time.sleep(0.25)


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
