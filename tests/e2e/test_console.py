"""The coordinator console in Debian chromium against a real agency server over HTTP.

The server is the real FastAPI app (SQLite, real agency key) served by uvicorn in a thread of
this process; the console is ``waymark console`` in its own process, with the real key
derivation. The test opens the console with the private key file and passphrase, sees the
records arrive on the dashboard, and follows one referral to closed; it then checks the
history in the console's store and that the store's files hold no answer text.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from app.console import ids
from app.console.store import DB_FILES, ConsoleStore
from tests.app.console.agency import MARKER, NOTHING, TRAFFICKING, URGENT, Agency, make_agency
from tests.e2e.conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACTOR = "Coordinator One"
#: Answers to the default screening questionnaire (its real paths), so the record reads in words.
SCREENED = {
    "intro/name": MARKER,
    "setup/dialect": "Levantine",
    "setup/interpreter": "not_known",
    "go": "yes",
}


@pytest.fixture
def agency(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Agency, str]]:
    """The agency with three records (more when a test asks: ``indirect`` parameter),
    served over HTTP on 127.0.0.1."""
    import uvicorn

    made: list[Agency] = []
    more = int(getattr(request, "param", 0))

    def seed() -> None:  # in its own thread: Playwright's loop runs in this one
        a = make_agency(tmp_path)
        a.upload("north", TRAFFICKING, SCREENED)
        a.upload("north", NOTHING)
        a.upload("south", URGENT)
        for i in range(more):
            a.upload("south" if i % 3 == 0 else "north", NOTHING if i % 2 else TRAFFICKING)
        made.append(a)

    seeder = threading.Thread(target=seed)
    seeder.start()
    seeder.join(120)
    [a] = made
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(a.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the agency server did not start"
        time.sleep(0.05)
    assert httpx.get(url + "/api/v2/health", timeout=5).status_code == 200
    try:
        yield a, url
    finally:
        server.should_exit = True
        thread.join(10)
        a.close()


@pytest.fixture
def console_server(agency: tuple[Agency, str], tmp_path: Path) -> Iterator[SimpleNamespace]:
    """``waymark console`` in its own process group, stopped with SIGTERM."""
    a, url = agency
    token_file = tmp_path / "coordinator.token"
    token_file.write_text(a.token + "\n", "utf-8")
    key = a.write_key(tmp_path / "keys")
    data = tmp_path / "console"
    port = free_port()
    log_path = tmp_path / "console.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLET_FORCE_WEB_SERVER": "1",
        "FLET_WEB_NO_CDN": "1",
    }
    env.pop("DISPLAY", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [
                sys.executable,
                "-m",
                "app",
                "console",
                "--server",
                url,
                "--token-file",
                str(token_file),
                "--data",
                str(data),
                "--port",
                str(port),
                "--key",
                str(key),
                "--name",
                ACTOR,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    console_url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(log_path.read_text("utf-8", "replace"))
        try:
            if httpx.get(console_url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log_path.read_text("utf-8", "replace")
        time.sleep(0.1)
    yield SimpleNamespace(url=console_url, data=data, agency=a, log=log_path)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _open_console(
    page: Any, ui: Any, console_server: SimpleNamespace, language: str | None = None
) -> None:
    """The console's first screen: the language (when given), the passphrase, Open. On a busy
    machine a first screen's text field has once come without a usable input (its node
    attached, the <input> never clickable, as the field app's first PIN field did); nothing is
    opened before the passphrase, so the page is loaded again once and says so on stderr."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        if language:
            ui.tap(page, ids.LANGUAGE + language)
            page.wait_for_timeout(300)
        ui.by_id(page, ids.PASSPHRASE).first.wait_for(state="attached")
        try:
            ui.type_into(page, ids.PASSPHRASE, console_server.agency.passphrase)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
            sys.stderr.write("console: the passphrase field took no typing; reopening\n")
            ui.open_app(page, page.url)
    ui.tap(page, ids.OPEN)


def _text(locator: Any) -> str:
    return " ".join(
        filter(None, [locator.get_attribute("aria-label") or "", locator.inner_text() or ""])
    )


def _wait_text(page: Any, ident: str, needle: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    seen = ""
    while time.monotonic() < deadline:
        target = page.locator(f'[flt-semantics-identifier="{ident}"]')
        if target.count():
            seen = _text(target.first)
            if needle in seen:
                return seen
        page.wait_for_timeout(150)
    raise AssertionError(f"{ident!r} never showed {needle!r}; last seen {seen!r}")


def test_open_records_and_follow_one_referral_to_closed(
    console_server: SimpleNamespace, app_page: Any, ui: Any, artifacts_dir: Path
) -> None:
    page = app_page(console_server, ui.TABLET)
    shots = artifacts_dir / "console"
    ui.by_id(page, ids.PASSPHRASE).first.wait_for(state="attached")
    ui.settled_screenshot(page, shots / "01-open.png")
    _open_console(page, ui, console_server)

    ui.by_id(page, ids.SCREEN + "dashboard").first.wait_for(state="attached", timeout=60_000)
    _wait_text(page, ids.TOTAL, "3")
    ui.by_id(page, ids.BAR + "sites-north").first.wait_for(state="attached")
    ui.by_id(page, ids.BAR + "pathways-trafficking").first.wait_for(state="attached")
    ui.settled_screenshot(page, shots / "02-dashboard.png")

    ui.tap(page, ids.NAV + "records")
    ui.by_id(page, ids.SCREEN + "records").first.wait_for(state="attached")
    rows = page.locator(f'[flt-semantics-identifier^="{ids.RECORD}"]')
    rows.first.wait_for(state="attached")
    assert rows.count() == 3
    ui.settled_screenshot(page, shots / "03-records.png")

    store_probe = _store_rows(console_server)
    target = next(r for r in store_probe if "trafficking" in r.pathways)
    ui.tap(page, ids.RECORD + target.id)
    ui.by_id(page, ids.SCREEN + "record").first.wait_for(state="attached")
    _wait_text(page, ids.STATE + "trafficking", "not yet referred")
    for state in ("referred", "accepted", "closed"):
        ui.tap(page, f"{ids.FOLLOW}trafficking-{state}")
        _wait_text(page, ids.STATE + "trafficking", state)
    # closed: the only way on is to refer again
    ui.by_id(page, f"{ids.FOLLOW}trafficking-referred").first.wait_for(state="attached")
    assert ui.by_id(page, f"{ids.FOLLOW}trafficking-accepted").count() == 0
    history = _wait_text(page, ids.HISTORY + "trafficking", ACTOR)
    assert "closed" in history
    ui.settled_screenshot(page, shots / "04-record-closed.png")

    ui.tap(page, ids.NAV + "audit")
    ui.by_id(page, ids.SCREEN + "audit").first.wait_for(state="attached")
    entries = page.locator(f'[flt-semantics-identifier^="{ids.AUDIT_ENTRY}"]')
    entries.first.wait_for(state="attached")
    words = [_text(entries.nth(i)) for i in range(entries.count())]
    assert sum("recorded a follow-up step" in w for w in words) == 3, words
    from sync.protocol import case_code

    assert any("viewed a record" in w and case_code(target.id) in w for w in words), words
    assert not any(MARKER in w for w in words)
    ui.settled_screenshot(page, shots / "05-audit.png")

    ui.tap(page, ids.LOCK)
    ui.by_id(page, ids.SCREEN + "open").first.wait_for(state="attached")
    assert MARKER not in console_server.log.read_text("utf-8", "replace")

    store = ConsoleStore.open(console_server.data, console_server.agency.passphrase)
    try:
        steps = [(h.pathway, h.state, h.by) for h in store.history(target.id)]
    finally:
        store.close()
    assert steps == [
        ("trafficking", "referred", ACTOR),
        ("trafficking", "accepted", ACTOR),
        ("trafficking", "closed", ACTOR),
    ]
    for name in DB_FILES:
        path = console_server.data / name
        if path.exists():
            assert MARKER.encode() not in path.read_bytes(), name


def _store_rows(console_server: SimpleNamespace) -> list[Any]:
    """The records the console keeps (read through its store, with the passphrase)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            store = ConsoleStore.open(console_server.data, console_server.agency.passphrase)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        try:
            return store.records()
        finally:
            store.close()


def test_correct_an_answer_and_erase_a_record_everywhere(
    console_server: SimpleNamespace, app_page: Any, ui: Any, artifacts_dir: Path
) -> None:
    from sync.server import admin

    page = app_page(console_server, ui.TABLET)
    shots = artifacts_dir / "console"
    _open_console(page, ui, console_server)
    ui.by_id(page, ids.SCREEN + "dashboard").first.wait_for(state="attached", timeout=60_000)
    _wait_text(page, ids.TOTAL, "3")
    first = next(r for r in _store_rows(console_server) if "setup/dialect" in r.payload["values"])

    ui.tap(page, ids.NAV + "records")
    ui.tap(page, ids.RECORD + first.id)
    ui.by_id(page, ids.SCREEN + "record").first.wait_for(state="attached")
    # in words: the question and the choice label, not setup/interpreter: not_known
    interp = _wait_text(page, ids.ANSWER + "setup/interpreter", "Interpreter not known")
    assert "not_known" not in interp
    assert ui.by_id(page, ids.CORRECT + "go").count() == 0  # a calculation: not correctable
    ui.tap(page, ids.CORRECT + "setup/dialect")
    ui.type_into(page, ids.CORRECT_VALUE, " corrected")
    ui.type_into(page, ids.CORRECT_REASON, "asked by the person")
    ui.tap(page, ids.CORRECT_SAVE)
    _wait_text(page, ids.NOTICE, "correction is saved")
    _wait_text(page, ids.ANSWER + "setup/dialect", "was Levantine")
    ui.settled_screenshot(page, shots / "06-corrected.png")

    ui.tap(page, ids.ERASE)
    ui.tap(page, ids.ERASE_CANCEL)  # nothing happens without confirmation
    ui.by_id(page, ids.ERASE_PROMPT).first.wait_for(state="detached")
    ui.tap(page, ids.ERASE)
    # the confirmation is pinned under the bar, in view whatever the scroll
    prompt = ui.by_id(page, ids.ERASE_PROMPT).first
    prompt.wait_for(state="attached")
    box = prompt.bounding_box()
    assert box is not None and 0 <= box["y"] < ui.TABLET["height"] / 2, box
    ui.settled_screenshot(page, shots / "07-erase-confirm.png")
    ui.tap(page, ids.ERASE_CONFIRM)
    ui.by_id(page, ids.SCREEN + "records").first.wait_for(state="attached")
    _wait_text(page, ids.NOTICE, "erased here and on the server")
    assert ui.by_id(page, ids.RECORD + first.id).count() == 0

    ui.tap(page, ids.NAV + "export")
    ui.by_id(page, ids.SCREEN + "export").first.wait_for(state="attached")
    ui.tap(page, ids.EXPORT + "csv")
    _wait_text(page, ids.NOTICE, "written to")
    [table] = list((console_server.data / "exports").glob("records-*.csv"))
    with table.open(encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == 2 and first.id not in {r["_uuid"] for r in exported}
    ui.tap(page, ids.LOCK)
    ui.by_id(page, ids.SCREEN + "open").first.wait_for(state="attached")

    assert first.id not in {e.record_id for e in admin.envelopes(console_server.agency.settings)}
    store = ConsoleStore.open(console_server.data, console_server.agency.passphrase)
    try:
        assert store.record(first.id) == [] and len(store.record_ids()) == 2
        events = [(e.event, e.record_id) for e in store.audit_entries()]
    finally:
        store.close()
    assert ("erase_local", first.id) in events and ("erase_server", first.id) in events
    assert events.index(("correct", first.id)) < events.index(("erase_local", first.id))


def test_dashboard_in_arabic_is_right_to_left_with_questionnaire_labels(
    console_server: SimpleNamespace, app_page: Any, ui: Any, artifacts_dir: Path
) -> None:
    from app.console.model import load_labels
    from app.console.ui import QUESTIONNAIRES_DIR

    expected = load_labels(QUESTIONNAIRES_DIR, "ar").dimension("coercion_destination")
    page = app_page(console_server, ui.TABLET)
    _open_console(page, ui, console_server, language="ar")
    ui.by_id(page, ids.SCREEN + "dashboard").first.wait_for(state="attached", timeout=60_000)
    bar = _wait_text(page, ids.BAR + "dimensions-coercion_destination", expected)
    assert expected in bar
    ui.settled_screenshot(page, artifacts_dir / "console" / "08-dashboard-ar.png")


def _row_ids(page: Any) -> list[str]:
    """The record ids of the rows on screen, in screen order (read in one step)."""
    found = page.evaluate(
        "(prefix) => Array.from(document.querySelectorAll("
        "`[flt-semantics-identifier^='${prefix}']`)).map("
        "e => e.getAttribute('flt-semantics-identifier'))",
        ids.RECORD,
    )
    return [str(f)[len(ids.RECORD) :] for f in found]


def _wait_rows(page: Any, count: int, timeout_s: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = _row_ids(page)
        if len(seen) == count:
            return seen
        page.wait_for_timeout(150)
    raise AssertionError(f"expected {count} rows, saw {len(seen)}")


@pytest.mark.parametrize("agency", [30], indirect=True)
def test_the_submissions_table_searches_filters_sorts_pages_and_picks_columns(
    console_server: SimpleNamespace, app_page: Any, ui: Any, artifacts_dir: Path
) -> None:
    from sync.protocol import case_code

    page = app_page(console_server, ui.TABLET)
    shots = artifacts_dir / "console"
    _open_console(page, ui, console_server)
    ui.by_id(page, ids.SCREEN + "dashboard").first.wait_for(state="attached", timeout=60_000)
    _wait_text(page, ids.TOTAL, "33")
    kept = {r.id: r for r in _store_rows(console_server)}

    ui.tap(page, ids.NAV + "records")
    ui.by_id(page, ids.SCREEN + "records").first.wait_for(state="attached")
    first_page = _wait_rows(page, 25)
    _wait_text(page, ids.PAGE, "1")
    ui.settled_screenshot(page, shots / "09-table.png")
    ui.tap(page, ids.PAGE_NEXT)
    second_page = _wait_rows(page, 8)
    assert not set(first_page) & set(second_page)
    assert set(first_page) | set(second_page) == set(kept)

    # a site filter: only that site's records, back on the first page
    ui.tap(page, ids.FILTER + "sites-south")
    south = {i for i, r in kept.items() if r.site == "south"}
    assert set(_wait_rows(page, len(south))) == south
    _wait_text(page, ids.RECORD_COUNT, str(len(south)))
    ui.tap(page, ids.FILTER + "sites-south")
    _wait_rows(page, 25)

    # a pathway filter
    ui.tap(page, ids.FILTER + "pathways-urgent")
    urgent = {i for i, r in kept.items() if "urgent" in r.pathways}
    assert set(_wait_rows(page, len(urgent))) == urgent
    ui.tap(page, ids.FILTER_CLEAR)
    _wait_rows(page, 25)

    # sort by case code, then reversed
    ui.tap(page, ids.SORT + "case")
    codes = sorted(case_code(i) for i in kept)
    deadline = time.monotonic() + 20
    while [case_code(i) for i in _row_ids(page)] != codes[:25]:
        if time.monotonic() > deadline:
            ui.settled_screenshot(page, shots / "debug-sort.png")
        assert time.monotonic() < deadline, ([case_code(i) for i in _row_ids(page)], codes)
        page.wait_for_timeout(150)
    ui.tap(page, ids.SORT + "case")
    deadline = time.monotonic() + 20
    while [case_code(i) for i in _row_ids(page)] != codes[::-1][:25]:
        assert time.monotonic() < deadline, "the table never reversed"
        page.wait_for_timeout(150)

    # search by the case code a worker reads out
    wanted = next(iter(kept))
    ui.type_into(page, ids.SEARCH, case_code(wanted).lower())
    ui.tap(page, ids.SEARCH_GO)
    assert _wait_rows(page, 1) == [wanted]
    ui.settled_screenshot(page, shots / "10-table-search.png")

    # the column picker: flags shown, site hidden, the case code always there
    ui.tap(page, ids.COLUMNS)
    ui.tap(page, ids.COLUMN + "flags")
    ui.by_id(page, ids.SORT + "flags").first.wait_for(state="attached")
    ui.tap(page, ids.COLUMN + "site")
    ui.by_id(page, ids.SORT + "site").first.wait_for(state="detached")
    assert ui.by_id(page, ids.SORT + "case").count() == 1
    ui.settled_screenshot(page, shots / "11-table-columns.png")
