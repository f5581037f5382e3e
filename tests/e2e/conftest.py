"""Browser fixtures: Debian chromium through Playwright, and the field app served offline.

- ``browser``: one headless chromium per test session (``/usr/bin/chromium``, never
  ``playwright install``), with the launch arguments from shared/design/FLET-OFFLINE.md.
- ``serve_app``: a factory that starts ``app.ui.main.serve`` in a subprocess on a free port and
  waits until it answers; every server started is stopped (SIGTERM to its process group).
- ``app_page``: a factory for a browser page at a viewport, opened on a served app with the
  accessibility tree turned on.
- Helpers to find controls by their semantics identifiers (``app.ui.ids``), tap, type with the
  keyboard (never ``fill``), wait for a screen, and take settled screenshots.
"""

from __future__ import annotations

import os
import signal
import socket
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
    for server in started:
        server.stop()


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
    target = by_id(page, ident).first
    target.wait_for(state="attached", timeout=TIMEOUT_MS)
    field = target.locator("input, textarea").first
    for _attempt in range(3):
        field.click()
        field.evaluate(
            """e => new Promise((resolve, reject) => {
                 const t0 = performance.now();
                 const check = () => document.activeElement === e ? resolve(true)
                   : performance.now() - t0 > 5000 ? reject(new Error('no focus'))
                   : setTimeout(check, 20);
                 check();
               })"""
        )
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(text)
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
    type_into(page, ids.ENROL_CODE, code_or_qr_text)
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
    )


__all__ = [
    "PHONE",
    "TABLET",
    "VIEWPORTS",
    "AppServer",
    "by_id",
    "enable_semantics",
    "enrol",
    "open_app",
    "set_pin",
    "settled_screenshot",
    "start_app",
    "tap",
    "type_into",
    "unlock",
    "wait_screen",
]
