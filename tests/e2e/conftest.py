"""Browser fixtures: Debian chromium through Playwright, and the field app served offline.

- ``browser``: one headless chromium per test session (``/usr/bin/chromium``, never
  ``playwright install``), with the launch arguments from shared/design/FLET-OFFLINE.md.
- ``serve_app``: a factory that starts ``app.ui.main.serve`` in a subprocess on a free port and
  waits until it answers; every server started is stopped (SIGTERM to its process group).
- ``app_page``: a factory for a browser page at a viewport, opened on a served app with the
  accessibility tree turned on.
- Helpers to find controls by their semantics identifiers (``app.ui.ids``), tap, type with the
  keyboard (never ``fill``), wait for a screen, and take settled screenshots.
- ``agency``: the real agency server (its own process, a real agency key, a site's referral
  directory), started once per session and handed to each test with only that test's records
  in view (``stored_envelopes``); ``agency_keys``: a data folder with the agency key installed,
  made once, for tests that run a server of their own (``new_agency_data``).
- The openings every field-app test shares, each written once: ``first_run`` (PIN, enrolment,
  Home), ``new_screening`` (form and languages, Begin), ``give_consent`` (both ticks, Agree)
  and ``finish_skeleton`` (the three skeleton questions, to Home).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml

from app.ui import ids

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 800, "height": 1280}
VIEWPORTS = {"phone": PHONE, "tablet": TABLET}
TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """A field app served in its own process."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def terminate(self) -> None:
        """Ask the app to stop (SIGTERM to its process group) without waiting for it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self) -> int:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return int(self.process.returncode or 0)

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""


SERVE_CODE = """
import sys
from pathlib import Path
from app.ui.main import serve
q = sys.argv[3] or None
serve(Path(sys.argv[1]), "127.0.0.1", int(sys.argv[2]),
      questionnaires_dir=Path(q) if q else None)
"""


def start_app(
    data_dir: Path,
    *,
    questionnaires_dir: Path | None = None,
    env: dict[str, str] | None = None,
    port: int | None = None,
    wait_seconds: float = 60.0,
) -> AppServer:
    """Start ``serve()`` in a subprocess and wait until its web server answers."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"app-{port}.log"
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLET_FORCE_WEB_SERVER": "1",
        "FLET_WEB_NO_CDN": "1",
        **(env or {}),
    }
    full_env.pop("DISPLAY", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [
                sys.executable,
                "-c",
                SERVE_CODE,
                str(data_dir),
                str(port),
                str(questionnaires_dir or ""),
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(f"http://127.0.0.1:{port}/", port, data_dir, process, log_path)
    deadline = time.monotonic() + wait_seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{server.log()}")
        try:
            if httpx.get(server.url, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the app did not answer within {wait_seconds}s:\n{server.log()}")
        time.sleep(0.1)


@pytest.fixture
def serve_app(tmp_path: Path) -> Iterator[Callable[..., AppServer]]:
    """``serve_app(data_dir=None, questionnaires_dir=None, env=None) -> AppServer``."""
    started: list[AppServer] = []

    def factory(
        data_dir: Path | None = None,
        *,
        questionnaires_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> AppServer:
        server = start_app(
            data_dir or tmp_path / f"device{len(started)}",
            questionnaires_dir=questionnaires_dir,
            env=env,
        )
        started.append(server)
        return server

    yield factory
    for server in started:  # asked to stop now; waited for by ``_stopped_apps``, meanwhile
        server.terminate()  # the next test starts (an app takes a second or two to shut down)
    _STOPPING.extend(started)


_STOPPING: list[AppServer] = []


@pytest.fixture(scope="session", autouse=True)
def _stopped_apps() -> Iterator[None]:
    """At the end of the browser tests, every app asked to stop has stopped (killed if not)."""
    yield
    for server in _STOPPING:
        server.stop()
    _STOPPING.clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def app_page(
    browser: Any, request: pytest.FixtureRequest, artifacts_dir: Path
) -> Iterator[Callable[..., Any]]:
    """``app_page(server, viewport=PHONE) -> playwright Page`` with semantics turned on. When
    the test fails, each page's last picture goes to ``artifacts/failures/``."""
    contexts: list[Any] = []

    def factory(server: AppServer, viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(viewport=viewport or PHONE, locale="en-GB")
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        watch(page)
        open_app(page, server.url)
        return page

    yield factory
    failed = request.node.stash.get(_FAILED, False)
    for n, ctx in enumerate(contexts):
        if failed:
            for page in ctx.pages:
                name = f"{request.node.name}-{n}.png".replace("/", "_")
                try:
                    (artifacts_dir / "failures").mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(artifacts_dir / "failures" / name))
                except Exception:  # noqa: S110 - the page may be gone; the failure stands
                    pass
        ctx.close()


# --- helpers ---------------------------------------------------------------------------------


def open_app(page: Any, url: str) -> None:
    """Load the app and turn on Flutter's accessibility tree (the placeholder sits off-screen,
    so it is clicked by a dispatched event)."""
    page.goto(url)
    enable_semantics(page)


def enable_semantics(page: Any) -> None:
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=TIMEOUT_MS)
    placeholder.dispatch_event("click")
    page.locator("flt-semantics").first.wait_for(state="attached", timeout=TIMEOUT_MS)


def by_id(page: Any, ident: str) -> Any:
    """The control with semantics identifier ``ident`` (see ``app.ui.ids``)."""
    return page.locator(f'[flt-semantics-identifier="{ident}"]')


def identifiers(page: Any) -> list[str]:
    """Every semantics identifier on the page now (for failure messages)."""
    try:
        return list(
            page.eval_on_selector_all(
                "[flt-semantics-identifier]",
                "els => els.map(e => e.getAttribute('flt-semantics-identifier'))",
            )
        )
    except Exception:  # the page may be gone; the caller's failure stands
        return []


def wait_screen(page: Any, route: str, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the screen ``route`` (``app.ui.model.Route`` value) is shown."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        by_id(page, ids.SCREEN + route).first.wait_for(state="attached", timeout=timeout)
    except PlaywrightTimeout as exc:
        raise AssertionError(
            f"screen {route!r} not shown within {timeout / 1000:.0f}s; "
            f"on the page: {identifiers(page)}"
        ) from exc


class SocketWatch:
    """Counts the frames on the page's connection to the app: the events the browser sends
    (Flet's control events: a tap, a change) and the patches the app sends back. A tap is known
    to have reached the app when an event frame went out after it, and to have been answered when
    a frame came back after that."""

    def __init__(self) -> None:
        self.events_sent = 0
        self.frames_received = 0
        self.connected = False  # watching from the page's load on (else it cannot tell)

    def attach(self, page: Any) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: Any) -> None:
        self.connected = True
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload: Any) -> None:
        if is_event_frame(payload):
            self.events_sent += 1

    def _received(self, _payload: Any) -> None:
        self.frames_received += 1


def is_event_frame(payload: Any) -> bool:
    """A control event from the browser: Flet's message ``[3, {target, name, data}]``
    (msgpack, after one framing byte)."""
    import msgpack

    if not isinstance(payload, bytes | bytearray) or len(payload) < 3:
        return False
    try:
        message = msgpack.unpackb(bytes(payload[1:]), raw=False, strict_map_key=False)
    except (ValueError, msgpack.UnpackException):
        return False
    return isinstance(message, list) and bool(message) and message[0] == 3


def watch(page: Any) -> SocketWatch:
    """The page's socket watch (made before the page's first load when ``app_page`` opened it;
    a page opened otherwise gets it on its first tap, which then counts from there)."""
    found = getattr(page, "_waymark_socket", None)
    if found is None:
        found = SocketWatch()
        found.attach(page)
        page._waymark_socket = found
    return found


def wait_until(page: Any, done: Callable[[], bool], seconds: float) -> bool:
    """Let the page run (its socket callbacks fire only while Playwright is waited on) until
    ``done()`` or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(25)
    return True


def tap(page: Any, ident: str, within: Any = None) -> None:
    """Tap the control ``ident`` (inside the locator ``within`` when given). The tap goes to its
    semantics node as a click event, not to screen coordinates, which can lag the tree by a
    frame after the screen changes.

    A busy browser can lose a tap: the node it went to was being replaced, and no event left the
    page. The socket tells: when no event frame went out, nothing reached the app, and the tap
    is made again on the node as it is now (never twice on an app that saw it). Then the tap
    waits for the app's answer, and for the tree to settle."""
    from playwright.sync_api import Error as PlaywrightError

    scope = within if within is not None else page
    socket = watch(page)
    for _attempt in range(3):
        target = scope.locator(f'[flt-semantics-identifier="{ident}"]').first
        target.wait_for(state="attached", timeout=TIMEOUT_MS)
        sent, received = socket.events_sent, socket.frames_received
        try:
            node = target.element_handle(timeout=TIMEOUT_MS)
            inner = node.query_selector(
                "[role=button], [role=checkbox], [role=switch], [role=radio]"
            )
            (node if node.get_attribute("role") or inner is None else inner).dispatch_event("click")
        except PlaywrightError:  # the node went away under the tap: nothing was sent
            sys.stderr.write(f"tap {ident}: the node was replaced under the tap; again\n")
            continue
        if not socket.connected:  # a page opened without the watch: tap once, as before
            break
        if wait_until(page, lambda s=sent: socket.events_sent > s, 3.0):
            wait_until(page, lambda r=received: socket.frames_received > r, TIMEOUT_MS / 1000)
            break
    settle(page)


SETTLE_JS = """([quiet, limit]) => new Promise(resolve => {
  const started = performance.now();
  let last = performance.now();
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true});
  const check = () => {
    const now = performance.now();
    if (now - last >= quiet || now - started >= limit) { obs.disconnect(); resolve(true); }
    else setTimeout(check, 25);
  };
  setTimeout(check, quiet);
})"""


def settle(page: Any, quiet_ms: int = 250, limit_ms: int = 5000) -> None:
    """Wait until the accessibility tree has not changed for ``quiet_ms``: the app answered a
    tap and drew the result (a tap on a node about to be replaced would be lost)."""
    page.evaluate(SETTLE_JS, [quiet_ms, limit_ms])


def type_into(page: Any, ident: str, text: str) -> None:
    """Focus the text field ``ident`` and type with the keyboard (never ``fill``). With the
    accessibility tree on, Flutter's text field is a real <input> inside the node: wait until
    it has the focus, type, and check the input holds the text (retyping if keys were lost)."""
    _enter(page, ident, text, page.keyboard.type)


def paste_into(page: Any, ident: str, text: str) -> None:
    """Like ``type_into``, but the text arrives in one input event, as a QR scan or a paste
    does (a long enrolment payload, not something a worker types key by key). Keys typed
    before this still went through ``type_into``; when the field does not hold the text, it
    is typed key by key instead."""
    _enter(page, ident, text, page.keyboard.insert_text, fallback=page.keyboard.type)


FOCUSED_JS = """e => new Promise((resolve, reject) => {
     const t0 = performance.now();
     const check = () => document.activeElement === e ? resolve(true)
       : performance.now() - t0 > 5000 ? reject(new Error('no focus'))
       : setTimeout(check, 20);
     check();
   })"""


def _enter(
    page: Any,
    ident: str,
    text: str,
    put: Callable[[str], None],
    fallback: Callable[[str], None] | None = None,
) -> None:
    target = by_id(page, ident).first
    target.wait_for(state="attached", timeout=TIMEOUT_MS)
    field = target.locator("input, textarea").first
    for attempt in range(3):
        field.click()
        field.evaluate(FOCUSED_JS)
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        (fallback if fallback is not None and attempt > 0 else put)(text)
        if field.evaluate("e => e.value") == text:
            break
    settle(page, quiet_ms=150)


def set_pin(page: Any, pin: str) -> None:
    """First run: set the PIN. This is the first screen a fresh page draws; on a busy machine
    its first accessibility tree has once come without the fields (the screen's node was there,
    the PIN field never attached). Nothing is stored before the PIN, so the page is opened again
    once, and the failure names what the page held."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wait_screen(page, "set_pin")
    try:
        by_id(page, ids.PIN).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    except PlaywrightTimeout:
        held = identifiers(page)
        sys.stderr.write(f"set_pin: the PIN field did not attach (page held {held}); reopening\n")
        open_app(page, page.url)
        wait_screen(page, "set_pin")
    type_into(page, ids.PIN, pin)
    type_into(page, ids.PIN_REPEAT, pin)
    tap(page, ids.PIN_SUBMIT)


def unlock(page: Any, pin: str) -> None:
    wait_screen(page, "unlock")
    type_into(page, ids.PIN, pin)
    tap(page, ids.PIN_SUBMIT)


def enrol(page: Any, code_or_qr_text: str, server_url: str = "") -> None:
    wait_screen(page, "enrol")
    paste_into(page, ids.ENROL_CODE, code_or_qr_text)
    if server_url:
        type_into(page, ids.ENROL_SERVER, server_url)
    tap(page, ids.ENROL_SUBMIT)


SHOWS_JS = """(text) => {
  for (const e of document.querySelectorAll('flt-semantics, flt-semantics *')) {
    const label = e.getAttribute('aria-label') || '';
    if (label.includes(text)) return true;
    if (e.childElementCount === 0 && (e.textContent || '').includes(text)) return true;
  }
  return false;
}"""


def wait_text(page: Any, text: str, timeout: float = TIMEOUT_MS) -> None:
    """Wait until ``text`` is part of some node of the accessibility tree (as its text or its
    label: Flutter merges a card's texts into one node)."""
    page.wait_for_function(SHOWS_JS, arg=text, timeout=timeout)


def shows_text(page: Any, text: str) -> bool:
    return bool(page.evaluate(SHOWS_JS, text))


def settled_screenshot(page: Any, path: Path, attempts: int = 20) -> bytes:
    """Pixels lag the accessibility tree: take screenshots until two in a row are identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    last = page.screenshot()
    for _ in range(attempts):
        page.wait_for_timeout(150)
        shot = page.screenshot()
        if shot == last:
            break
        last = shot
    path.write_bytes(last)
    return bytes(last)


# --- taps that wait for what the worker sees ------------------------------------------------

ENABLED_JS = """(ident) => {
  const node = document.querySelector(`[flt-semantics-identifier="${ident}"]`);
  if (!node) return false;
  const target = node.getAttribute('role') ? node : (node.querySelector('[role]') || node);
  return target.getAttribute('aria-disabled') !== 'true';
}"""

CHOSEN_JS = """(ident) => !!document.querySelector(
  `[flt-semantics-identifier="${ident}"][aria-current="true"]`)"""


def tap_when_enabled(page: Any, ident: str) -> None:
    """Tap a button that the previous tap enables (Begin after the last choice, Agree after
    both ticks): wait until the app has drawn it enabled, as a person sees it before tapping.
    A tap on the still-disabled button would be lost."""
    page.wait_for_function(ENABLED_JS, arg=ident, timeout=TIMEOUT_MS)
    tap(page, ident)


def choose(page: Any, ident: str) -> None:
    """Tap one of a set of options and wait until the app has drawn it chosen: the next tap
    then goes to what the worker sees, not to the screen as it was before this one."""
    tap(page, ident)
    page.wait_for_function(CHOSEN_JS, arg=ident, timeout=TIMEOUT_MS)


def choose_answer(page: Any, ident: str, within: Any) -> None:
    """Tap an answer of the question ``within`` and wait until it is drawn chosen, so that
    Next (or the next answer) follows the answer as the worker does."""
    tap(page, ident, within=within)
    chosen = within.locator(f'[flt-semantics-identifier="{ident}"][aria-current="true"]')
    chosen.first.wait_for(state="attached", timeout=TIMEOUT_MS)


# --- the openings of a field-app test, each written once ---------------------------------------

PIN = "482916"


def first_run(page: Any, agency: Agency, pin: str = PIN) -> None:
    """A fresh device: set the PIN, enrol with a new one-time code, and arrive at Home."""
    set_pin(page, pin)
    enrol(page, agency.enrolment_text())
    wait_screen(page, "home")


def new_screening(page: Any, form: str, language: str, worker_language: str = "en") -> None:
    """From Home: start a screening with ``form`` in the person's ``language`` (the worker's
    text in ``worker_language``) and Begin. The screen after Begin is the form's own (the
    consent screen, or an interview that asks for consent itself)."""
    tap(page, ids.START_SCREENING)
    wait_screen(page, "new")
    choose(page, ids.FORM + form)
    choose(page, ids.LANGUAGE + language)
    choose(page, ids.WORKER_LANGUAGE + worker_language)
    tap_when_enabled(page, ids.BEGIN)


def give_consent(page: Any) -> None:
    """On the consent screen: tick both agreements, Agree, and arrive at the interview."""
    wait_screen(page, "consent")
    tap(page, ids.CONSENT_SCREENING)
    tap(page, ids.CONSENT_STORING)
    tap_when_enabled(page, ids.CONSENT_AGREE)
    wait_screen(page, "interview")


def answer_skeleton(page: Any, case_code: str, companions: str = "2") -> None:
    """The three skeleton questions (case code, travelling alone: no, companions), up to the
    review with Finish."""
    type_into(page, ids.ANSWER_FIELD + "case_code", case_code)
    tap(page, ids.NEXT)
    by_id(page, ids.CHOICE + "no").first.wait_for()
    choose_answer(page, ids.CHOICE + "no", page)
    tap(page, ids.NEXT)
    by_id(page, ids.ANSWER_FIELD + "companions").first.wait_for()
    type_into(page, ids.ANSWER_FIELD + "companions", companions)
    tap(page, ids.NEXT)
    by_id(page, ids.FINISH).first.wait_for()


def finish_skeleton(page: Any, case_code: str, language: str = "en") -> None:
    """From Home: a whole skeleton screening, consent to summary, and back to Home."""
    new_screening(page, "skeleton.yaml", language)
    give_consent(page)
    answer_skeleton(page, case_code)
    tap(page, ids.FINISH)
    wait_screen(page, "summary")
    tap(page, ids.SUMMARY_DONE)
    wait_screen(page, "home")


# --- the agency server -------------------------------------------------------------------------

SITE_CONFIG = {
    "referral_directory": [
        {
            "name": "Site medical point",
            "pathways": ["urgent", "medical"],
            "phone": "+381 11 000 0000",
            "hours": "24/7",
            "emergency": True,
        },
        {
            "name": "Legal aid desk",
            "pathways": ["legal_aid", "international_protection"],
            "hours": "Mon-Fri 9-17",
        },
    ]
}
AGENCY_PASSPHRASE = "agency passphrase"  # noqa: S105 - a throwaway test key

ENROL_CODE = """
import sys
from pathlib import Path
from sync.server.admin import create_enrolment
from sync.server.settings import Settings
print(create_enrolment(Settings(data_dir=Path(sys.argv[1])), sys.argv[2],
                       server_url=sys.argv[3]).payload())
"""

KEY_CODE = """
import sys
from pathlib import Path
from app.store.crypto import new_agency_keypair
from sync.server.admin import install_agency_key
from sync.server.settings import Settings
pem, public = new_agency_keypair("agency passphrase")
install_agency_key(Settings(data_dir=Path(sys.argv[1])), public)
Path(sys.argv[1], "agency.pem").write_bytes(pem)
"""


def create_enrolment_text(data_dir: Path, url: str, site: str = "belgrade") -> str:
    """The QR code's text for a new one-time code, made as the agency's admin makes it (in
    this process: the server's admin functions are plain database writes)."""
    from sync.server.admin import create_enrolment
    from sync.server.settings import Settings

    return create_enrolment(Settings(data_dir=data_dir), site, server_url=url).payload()


@dataclass
class Agency:
    """An agency server with a key; ``known`` are the records it held before this test."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    private_pem: bytes
    known: frozenset[str] = frozenset()

    def enrolment_text(self, site: str = "belgrade") -> str:
        """The QR code's text for a new one-time code."""
        return create_enrolment_text(self.data_dir, self.url, site)


@functools.lru_cache(maxsize=4)
def _agency_private_key(pem: bytes) -> Any:
    from app.store import crypto

    return crypto.load_agency_private_key(pem, AGENCY_PASSPHRASE)


def _envelope_rows(data_dir: Path) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(data_dir / "waymark-server.db", timeout=30)) as c:
        c.row_factory = sqlite3.Row
        return [dict(r) for r in c.execute("SELECT * FROM envelope")]


def record_ids(data_dir: Path) -> frozenset[str]:
    return frozenset(str(r["record_id"]) for r in _envelope_rows(data_dir))


def stored_envelopes(agency: Agency) -> list[dict[str, Any]]:
    """The sealed envelopes the server received during this test, opened with the agency's
    private key (never read in plaintext: the server holds only sealed bytes)."""
    import base64

    from app.store import crypto

    key = _agency_private_key(agency.private_pem)
    out = []
    for r in _envelope_rows(agency.data_dir):
        if str(r["record_id"]) in agency.known:
            continue
        sealed = r["sealed"] if isinstance(r["sealed"], bytes) else base64.b64decode(r["sealed"])
        info = crypto.envelope_info(r["record_id"], r["device_id"], r["form_id"], r["form_version"])
        out.append(json.loads(crypto.open_sealed(key, sealed, info)))
    return out


def new_agency_data(keys: Path, folder: Path) -> tuple[Path, Path]:
    """A server data folder (and its config folder) holding the session's agency key."""
    data = folder / "server"
    shutil.copytree(keys, data)
    return data, data / "config"


def start_agency_server(
    data: Path, config: Path, port: int, log: Path, wait_seconds: float = 60.0
) -> subprocess.Popen[bytes]:
    """``waymark server`` in its own process on 127.0.0.1:port; returns once it is healthy."""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-m", "app", "server", "--data-dir", str(data),
             "--config-dir", str(config), "--host", "127.0.0.1",
             "--port", str(port), "--public-url", url],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if httpx.get(url + "/api/v2/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(log.read_text("utf-8", "replace"))
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="session")
def agency_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server data folder with a new agency key installed (``agency.pem`` beside it, sealed
    with the agency passphrase) and the site's referral directory: made once, copied by every
    server the tests start (``new_agency_data``)."""
    data = tmp_path_factory.mktemp("agency-keys")
    config = data / "config"
    (config / "sites").mkdir(parents=True)
    (config / "sites" / "default.yaml").write_text(yaml.safe_dump(SITE_CONFIG), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", KEY_CODE, str(data)], check=True, cwd=ROOT, env=env
    )
    return data


@pytest.fixture(scope="session")
def agency_server(agency_keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    """One real agency server for the session: each test enrols a device of its own on it."""
    folder = tmp_path_factory.mktemp("agency")
    data, config = new_agency_data(agency_keys, folder)
    port = free_port()
    process = start_agency_server(data, config, port, folder / "server.log")
    try:
        yield Agency(f"http://127.0.0.1:{port}", data, process, (data / "agency.pem").read_bytes())
    finally:
        stop_process(process)
        from sync.server.admin import dispose_engines

        dispose_engines()


@pytest.fixture
def agency(agency_server: Agency) -> Agency:
    """The session's agency server, with the records of earlier tests out of this test's view."""
    if agency_server.process.poll() is not None:
        log = agency_server.data_dir.parent / "server.log"
        raise RuntimeError("the agency server stopped:\n" + log.read_text("utf-8", "replace"))
    return dataclasses.replace(agency_server, known=record_ids(agency_server.data_dir))


@pytest.fixture
def ui() -> SimpleNamespace:
    """The helpers above as one object, for test modules (``ui.tap(page, ids.NEXT)``)."""
    return SimpleNamespace(
        ids=ids,
        PHONE=PHONE,
        TABLET=TABLET,
        VIEWPORTS=VIEWPORTS,
        ROOT=ROOT,
        free_port=free_port,
        by_id=by_id,
        tap=tap,
        settle=settle,
        wait_text=wait_text,
        shows_text=shows_text,
        type_into=type_into,
        wait_screen=wait_screen,
        set_pin=set_pin,
        unlock=unlock,
        enrol=enrol,
        open_app=open_app,
        enable_semantics=enable_semantics,
        settled_screenshot=settled_screenshot,
        start_app=start_app,
        paste_into=paste_into,
        tap_when_enabled=tap_when_enabled,
        choose=choose,
        choose_answer=choose_answer,
        first_run=first_run,
        new_screening=new_screening,
        give_consent=give_consent,
        answer_skeleton=answer_skeleton,
        finish_skeleton=finish_skeleton,
        PIN=PIN,
    )


__all__ = [
    "PHONE",
    "PIN",
    "SITE_CONFIG",
    "TABLET",
    "VIEWPORTS",
    "Agency",
    "AppServer",
    "answer_skeleton",
    "by_id",
    "choose",
    "choose_answer",
    "enable_semantics",
    "enrol",
    "finish_skeleton",
    "first_run",
    "give_consent",
    "new_screening",
    "open_app",
    "paste_into",
    "set_pin",
    "settled_screenshot",
    "start_app",
    "stored_envelopes",
    "tap",
    "tap_when_enabled",
    "type_into",
    "unlock",
    "wait_screen",
]
