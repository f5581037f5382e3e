"""Field app timings in Debian chromium, at the phone (360x740) and tablet (800x1280) viewports.

1. Launch to unlock usable: from starting the app's process to the PIN field being in the
   browser's accessibility tree (the server starts, the page loads, Flutter draws, the store
   opens). Baseline: the same for a bare Flet page with one button.
2. Tap next to next question drawn: from the click on "Next" (measured inside the page with
   ``performance.now``) to the next question's node in the accessibility tree and one more
   animation frame. Goal: under 150 ms at the median. Baseline: a click that changes one text
   on a bare Flet page, measured the same way, in the same run.

3. Finish to arrival on the server: from the tap on "Finish" to the envelope in the server's
   database, with auto-send (no further tap), beside a manual Send (auto-send off in Settings;
   the worker taps Done, Send records, Send now), against a real server on this machine.
4. Question list opening on the 48-screen screening: from the tap on "Questions" to the list's
   first entry in the accessibility tree, beside a plain Next (item 2) and the bare click
   round trip.

Run: ``python bench/bench_ui.py [--rounds N]``. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.store import Enrolment, Store  # noqa: E402
from app.store.crypto import new_agency_keypair  # noqa: E402
from app.ui import ids  # noqa: E402

_spec = importlib.util.spec_from_file_location("e2e_conftest", ROOT / "tests/e2e/conftest.py")
assert _spec and _spec.loader
e2e = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = e2e
_spec.loader.exec_module(e2e)
from tests.e2e import test_field_app as steps  # noqa: E402 - taps that wait for what they enable

PIN = "864213"

BARE_APP = """
import sys, flet as ft
def main(page):
    out = ft.Text("count 0")
    n = [0]
    def click(e):
        n[0] += 1
        out.value = f"count {n[0]}"
        page.update()
    page.add(ft.Semantics(identifier="next", content=ft.Button("Next", on_click=click)),
             ft.Semantics(identifier="prompt-count", content=out))
ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
"""

CLICK_JS = """async ([nextId, prefix, changedBy]) => {
  const ids = () => [...document.querySelectorAll(`[flt-semantics-identifier^="${prefix}"]`)]
      .map(e => e.getAttribute('flt-semantics-identifier') + '|' + (e.textContent || '')
                + (e.getAttribute('aria-label') || '')).join(',');
  const before = ids();
  const el = document.querySelector(`[flt-semantics-identifier="${nextId}"]`);
  const target = el.getAttribute('role') ? el : (el.querySelector('[role=button]') || el);
  const t0 = performance.now();
  target.click();
  while (ids() === before || ids() === '') {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - t0 > 10000) return -1;
  }
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def prepare_device(data_dir: Path) -> None:
    """A device with a PIN and an enrolment (a local agency key; no server is needed)."""
    store = Store.open(data_dir)
    store.set_pin(PIN)
    _pem, public = new_agency_keypair("bench passphrase")
    store.save_enrolment(
        Enrolment(
            server_url="http://127.0.0.1:9",
            device_id="bench-device",
            token="bench",  # noqa: S106 - a bench device talks to no server
            agency_public_key=public,
            site="bench",
        )
    )
    store.close()


def launch_app(browser: Any, data_dir: Path, viewport: dict[str, int]) -> tuple[float, Any, Any]:
    t0 = time.perf_counter()
    server = e2e.start_app(data_dir)
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    e2e.open_app(page, server.url)
    e2e.by_id(page, ids.PIN).first.wait_for(state="attached")
    return time.perf_counter() - t0, (server, ctx), page


def launch_bare(browser: Any, viewport: dict[str, int], workdir: Path) -> tuple[float, Any, Any]:
    port = e2e.free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", BARE_APP, str(port)],
        env={**os.environ, "FLET_FORCE_WEB_SERVER": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=workdir,
    )
    import httpx

    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    e2e.open_app(page, f"http://127.0.0.1:{port}/")
    e2e.by_id(page, "next").first.wait_for(state="attached")
    return time.perf_counter() - t0, (proc, ctx), page


def close(handles: Any) -> None:
    proc_or_server, ctx = handles
    ctx.close()
    if hasattr(proc_or_server, "stop"):
        proc_or_server.stop()
    else:
        import signal

        os.killpg(proc_or_server.pid, signal.SIGTERM)
        proc_or_server.wait(10)


ANSWERS = {
    "interview_language": "ar",
    "interpreter": "not_known",
    "private_space": "yes",
    "companion_refuses": "no",
    "consent_screening": "yes",
    "consent_store": "yes",
    "consent_withdrawn": "no",
}


def next_question_times(page: Any, samples: int) -> list[float]:
    """Walk the screening; time each Next that leads from one question to another."""
    e2e.tap(page, ids.START_SCREENING)
    steps.tap_choice(e2e, page, ids.FORM + "screening.yaml")
    steps.tap_choice(e2e, page, ids.LANGUAGE + "ar")
    steps.tap_choice(e2e, page, ids.WORKER_LANGUAGE + "en")
    steps.tap_enabled(e2e, page, ids.BEGIN)
    e2e.wait_screen(page, "interview")
    times: list[float] = []
    for _ in range(samples * 3):
        if len(times) >= samples or e2e.by_id(page, ids.FINISH).count():
            break
        prompts = page.eval_on_selector_all(
            f'[flt-semantics-identifier^="{ids.PROMPT}"]',
            "els => els.map(e => e.getAttribute('flt-semantics-identifier'))",
        )
        for pid in prompts:
            name = pid[len(ids.PROMPT) :]
            box = e2e.by_id(page, pid).first
            value = ANSWERS.get(name, "no")
            if box.locator(f'[flt-semantics-identifier="{ids.CHOICE}{value}"]').count():
                e2e.tap(page, ids.CHOICE + value, within=box)
            elif box.locator(f'[flt-semantics-identifier^="{ids.CHOICE}"]').count():
                first = box.locator(f'[flt-semantics-identifier^="{ids.CHOICE}"]').first
                e2e.tap(page, first.get_attribute("flt-semantics-identifier"), within=box)
        e2e.settle(page, quiet_ms=150)
        ms = page.evaluate(CLICK_JS, [ids.NEXT, ids.PROMPT, None])
        if ms > 0:
            times.append(ms)
        e2e.settle(page, quiet_ms=150)
    return times


def bare_click_times(page: Any, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        out.append(page.evaluate(CLICK_JS, ["next", "prompt-", None]))
        e2e.settle(page, quiet_ms=100)
    return [t for t in out if t > 0]


OPEN_LIST_JS = """async ([goTo, itemPrefix]) => {
  const el = document.querySelector(`[flt-semantics-identifier="${goTo}"]`);
  const target = el.getAttribute('role') ? el : (el.querySelector('[role=button]') || el);
  const t0 = performance.now();
  target.click();
  while (!document.querySelector(`[flt-semantics-identifier^="${itemPrefix}"]`)) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - t0 > 10000) return -1;
  }
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def question_list_times(page: Any, samples: int) -> list[float]:
    """On the screening (already started), open the question list and go back, ``samples``
    times."""
    out = []
    for _ in range(samples):
        e2e.by_id(page, ids.GO_TO).first.wait_for(state="attached")
        e2e.settle(page, quiet_ms=150)
        ms = page.evaluate(OPEN_LIST_JS, [ids.GO_TO, ids.GO_TO_ITEM])
        if ms > 0:
            out.append(ms)
        e2e.settle(page, quiet_ms=150)
        e2e.tap(page, ids.QUESTIONS_BACK)
        e2e.wait_screen(page, "interview")
    return out


def arrival_times(browser: Any, work: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Finish a skeleton record and time its arrival on a real server: auto-send, manual."""
    from tests.e2e import test_auto_send as auto

    auto_s: list[float] = []
    manual_s: list[float] = []
    for r in range(rounds):
        for mode in ("auto", "manual"):
            base = work / f"arrival-{mode}-{r}"
            data = base / "server"
            (data / "config" / "sites").mkdir(parents=True)
            subprocess.run(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-c", auto.KEY_CODE, str(data)],
                check=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            server = auto.Outage(data, data / "config", e2e.free_port(), base / "server.log")
            server.start()
            app = e2e.start_app(base / "device")
            ctx = browser.new_context(viewport=e2e.TABLET)
            try:
                page = ctx.new_page()
                e2e.open_app(page, app.url)
                e2e.set_pin(page, PIN)
                e2e.enrol(page, auto.enrolment_text(server))
                e2e.wait_screen(page, "home")
                if mode == "manual":
                    e2e.tap(page, ids.HOME_SETTINGS)
                    steps.tap_choice(e2e, page, ids.SETTING_AUTO_SEND + "off")
                    e2e.tap(page, ids.BACK_HOME)
                t0 = finish_until_finish(page)
                if mode == "manual":
                    e2e.wait_screen(page, "summary")
                    e2e.tap(page, ids.SUMMARY_DONE)
                    e2e.tap(page, ids.HOME_SYNC)
                    e2e.tap(page, ids.SYNC_NOW)
                wait_rows(data / "waymark-server.db", 1)
                (auto_s if mode == "auto" else manual_s).append(time.perf_counter() - t0)
            finally:
                ctx.close()
                app.stop()
                server.stop()
    return auto_s, manual_s


def finish_until_finish(page: Any) -> float:
    """The skeleton up to the tap on Finish; the time of that tap."""
    e2e.tap(page, ids.START_SCREENING)
    steps.tap_choice(e2e, page, ids.FORM + "skeleton.yaml")
    steps.tap_choice(e2e, page, ids.LANGUAGE + "en")
    steps.tap_choice(e2e, page, ids.WORKER_LANGUAGE + "en")
    steps.tap_enabled(e2e, page, ids.BEGIN)
    e2e.tap(page, ids.CONSENT_SCREENING)
    e2e.tap(page, ids.CONSENT_STORING)
    steps.tap_enabled(e2e, page, ids.CONSENT_AGREE)
    e2e.type_into(page, ids.ANSWER_FIELD + "case_code", "BENCH-1")
    e2e.tap(page, ids.NEXT)
    steps.tap_answer(e2e, page, ids.CHOICE + "yes", page)
    e2e.tap(page, ids.NEXT)
    e2e.by_id(page, ids.FINISH).first.wait_for()
    e2e.settle(page)
    t0 = time.perf_counter()
    e2e.tap(page, ids.FINISH)
    return t0


def wait_rows(db: Path, n: int, seconds: float = 120) -> None:
    import sqlite3

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM envelope").fetchone()[0] >= n:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise RuntimeError("the record did not arrive")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2, help="launches per viewport")
    parser.add_argument("--samples", type=int, default=12, help="Next taps per launch")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="waymark-bench-ui-"))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
            for vp_name, vp in e2e.VIEWPORTS.items():
                launch, bare_launch, nexts, bare_clicks, lists = [], [], [], [], []
                for r in range(args.rounds):
                    secs, handles, page = launch_bare(browser, vp, work)
                    bare_launch.append(secs)
                    bare_clicks += bare_click_times(page, args.samples)
                    close(handles)
                    data = work / f"{vp_name}-{r}" / "device"
                    data.mkdir(parents=True)
                    prepare_device(data)
                    secs, handles, page = launch_app(browser, data, vp)
                    launch.append(secs)
                    e2e.unlock(page, PIN)
                    e2e.wait_screen(page, "home")
                    nexts += next_question_times(page, args.samples)
                    lists += question_list_times(page, max(3, args.samples // 3))
                    close(handles)
                report(vp_name, vp, launch, bare_launch, nexts, bare_clicks)
                med = statistics.median
                print(
                    f"  question list opening (screening, {len(lists)} opens): median "
                    f"{med(lists):.0f} ms; a plain Next {med(nexts):.0f} ms, ratio "
                    f"{med(lists) / med(nexts):.2f}; bare click round trip "
                    f"{med(bare_clicks):.0f} ms, ratio {med(lists) / med(bare_clicks):.2f}"
                )
            auto_s, manual_s = arrival_times(browser, work, args.rounds)
            print("\nfinish to arrival on the server (tablet, real server on this machine)")
            print(
                f"  auto-send: median {statistics.median(auto_s):.2f} s (n={len(auto_s)}); "
                f"manual Send (Done, Send records, Send now): median "
                f"{statistics.median(manual_s):.2f} s; ratio "
                f"{statistics.median(auto_s) / statistics.median(manual_s):.2f}"
            )
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(
    name: str,
    vp: dict[str, int],
    launch: list[float],
    bare_launch: list[float],
    nexts: list[float],
    bare: list[float],
) -> None:
    med = statistics.median
    print(f"\n{name} {vp['width']}x{vp['height']}")
    print(
        f"  launch to unlock usable: median {med(launch):.2f} s (n={len(launch)}); "
        f"bare Flet page {med(bare_launch):.2f} s; ratio {med(launch) / med(bare_launch):.2f}"
    )
    q = statistics.quantiles(nexts, n=10) if len(nexts) >= 10 else [max(nexts)] * 9
    print(
        f"  tap next to next question drawn: median {med(nexts):.0f} ms, p90 {q[8]:.0f} ms "
        f"(n={len(nexts)}); bare click round trip {med(bare):.0f} ms; "
        f"ratio {med(nexts) / med(bare):.2f}; goal < 150 ms: "
        f"{'met' if med(nexts) < 150 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
