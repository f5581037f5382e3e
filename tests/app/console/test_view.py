"""The console's screen state without Flet: opening, notices as codes, follow-up, erasure
with confirmation, export."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from app.console.model import Console
from app.console.view import ConsoleView, Route
from app.console.words import MESSAGES, message, state_word
from app.i18n import translator
from app.store import crypto
from tests.app.console.agency import TRAFFICKING, Agency


def _view(agency: Agency, tmp_path: Path) -> ConsoleView:
    console = Console(
        "http://agency",
        agency.token,
        tmp_path / "v",
        transport=agency.transport(),
        kdf=crypto.TEST_KDF,
        questionnaires_dir=Path(__file__).parent / "forms",
    )
    return ConsoleView(console, "en")


def test_open_needs_a_name_and_the_right_passphrase(agency: Agency, tmp_path: Path) -> None:
    key = agency.write_key(tmp_path / "keys")
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "  ")
    assert (v.route, v.notice.code) == (Route.OPEN, "actor_required")  # type: ignore[union-attr]
    v.open(str(key), "wrong passphrase!", "Ana")
    assert (v.route, v.notice.code) == (Route.OPEN, "key_unreadable")  # type: ignore[union-attr]
    v.open(str(tmp_path / "nope.pem"), agency.passphrase, "Ana")
    assert v.notice.code == "key_file_unreadable"  # type: ignore[union-attr]
    v.show(Route.RECORDS)
    assert v.route is Route.OPEN  # nothing is shown while locked
    agency.upload("north", TRAFFICKING)
    v.open(str(key), agency.passphrase, "Ana")
    assert v.route is Route.DASHBOARD
    assert (v.notice.code, v.notice.params, v.notice.error) == (  # type: ignore[union-attr]
        "pulled",
        {"new": 1, "unreadable": 0},
        False,
    )
    v.lock()
    assert v.route is Route.OPEN and not v.console.unlocked


def test_follow_erase_with_confirmation_and_export(agency: Agency, tmp_path: Path) -> None:
    key = agency.write_key(tmp_path / "keys")
    rid = agency.upload("north", TRAFFICKING)
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "Ana")
    v.open_record(rid)
    assert [(e.event, e.record_id, e.actor) for e in v.console.store.audit_entries()][-1] == (
        "view",
        rid,
        "Ana",
    )
    v.follow("trafficking", "closed")
    assert v.notice.code == "transition_invalid"  # type: ignore[union-attr]
    assert "{" not in message(translator("en"), v.notice.code, v.notice.params)  # type: ignore[union-attr]
    v.follow("trafficking", "referred")
    assert v.notice is None
    path = v.export("json", rid)
    assert path is not None and path.exists() and rid in path.read_text("utf-8")
    v.erase()  # not confirmed: nothing happens
    assert v.console.rows() != []
    v.ask_erase()
    v.cancel_erase()
    v.erase()
    assert v.console.rows() != []
    v.ask_erase()
    v.erase()
    assert v.route is Route.RECORDS and v.console.rows() == []
    assert v.notice.code == "erased_everywhere"  # type: ignore[union-attr]


def test_every_notice_code_has_words_and_unknown_codes_fall_back() -> None:
    _ = translator("en")
    assert message(_, "no_such_code") == MESSAGES["unexpected_error"]
    assert message(_, "server_refused", {"status": 401}).endswith("(401).")
    assert message(_, "server_refused") == "The server refused the request"
    assert state_word(_, None) == "not yet referred" and state_word(_, "closed") == "closed"


def test_correction_keeps_the_answer_type_and_idle_lock(agency: Agency, tmp_path: Path) -> None:
    key = agency.write_key(tmp_path / "keys")
    rid = agency.upload("north", TRAFFICKING, {"intro/age": 30, "journey/documents": ["lost"]})
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "Ana")
    v.open_record(rid)
    v.start_correction("intro/age")
    v.save_correction("thirty")
    assert v.notice.code == "correction_refused" and v.correcting == "intro/age"  # type: ignore[union-attr]
    assert v.notice.params["reason"] == "invalid_integer"  # type: ignore[union-attr]
    v.save_correction("31", "typed wrong")
    v.start_correction("journey/documents")
    v.save_correction("lost held_by_other")
    answers = {a.path: a.value for a in v.console.detail(rid).answers}
    assert answers == {"intro/age": 31, "journey/documents": ["lost", "held_by_other"]}
    assert v.correcting is None and v.notice.code == "corrected"  # type: ignore[union-attr]
    v.idle_seconds = 60
    assert v.check_idle(v.last_touch + 30) is False and v.console.unlocked
    assert v.check_idle(v.last_touch + 61) is True
    assert not v.console.unlocked and v.route is Route.OPEN
    assert v.notice.code == "idle_locked"  # type: ignore[union-attr]


def test_the_table_view_filters_sorts_pages_and_picks_columns(
    agency: Agency, tmp_path: Path
) -> None:
    from app.console.table import Column
    from sync.protocol import case_code

    key = agency.write_key(tmp_path / "keys")
    north = [agency.upload("north", TRAFFICKING) for _ in range(3)]
    south = agency.upload("south", TRAFFICKING)
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "Ana")
    page = v.table()
    assert (len(page.rows), page.matching, page.facets.sites) == (4, 4, ("north", "south"))
    v.toggle_filter("sites", "south")
    assert [r.record_id for r in v.table().rows] == [south]
    v.toggle_filter("sites", "south")
    for state in ("referred", "closed"):
        v.console.follow(north[0], "trafficking", state)
    v.toggle_filter("follow", "closed")
    assert [r.record_id for r in v.table().rows] == [north[0]]
    v.clear_filters()
    v.search(case_code(north[1]).lower())
    assert [r.record_id for r in v.table().rows] == [north[1]]
    v.search("")
    v.set_dates("2026-13-01", "")
    assert v.notice is not None and v.notice.code == "date_invalid"
    assert v.query.date_from is None
    v.set_dates("2999-01-01", "")
    assert v.table().matching == 0
    v.set_dates("", "")
    v.sort("case")
    codes = [r.case for r in v.table().rows]
    assert codes == sorted(codes)
    v.query = replace(v.query, page_size=3)
    v.go_page(1)
    assert len(v.table().rows) == 1 and v.table().page == 1
    v.toggle_column("site")
    assert Column.site not in v.query.columns
    v.toggle_column("case")
    assert Column.case in v.query.columns


def test_a_broken_audit_is_shown_when_opening(agency: Agency, tmp_path: Path) -> None:
    import sqlite3

    from app.console.store import DB_NAME

    key = agency.write_key(tmp_path / "keys")
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "Ana")
    v.lock()
    conn = sqlite3.connect(tmp_path / "v" / DB_NAME)
    conn.execute("DROP TRIGGER audit_no_change")
    conn.execute("UPDATE audit SET actor = 'someone else'")
    conn.commit()
    conn.close()
    v.open(str(key), agency.passphrase, "Ana")
    assert v.route is Route.DASHBOARD and v.notice.code == "audit_broken"  # type: ignore[union-attr]


def test_every_code_the_console_raises_has_words() -> None:
    import re

    folder = Path(__file__).resolve().parents[3] / "app" / "console"
    pattern = re.compile(
        r"(?:ConsoleError|ConsoleStoreCorrupt|ServerError|WrongPassphrase|Notice)\(\s*\"(\w+)\""
    )
    codes = {
        code
        for path in folder.glob("*.py")
        if path.name != "export.py"
        for code in pattern.findall(path.read_text("utf-8"))
    }
    assert len(codes) > 20
    assert sorted(codes - set(MESSAGES)) == []


def test_every_code_the_coordinator_client_raises_has_words() -> None:
    """The console shows the one client's codes as they are (no second mapping)."""
    from sync import errors

    device_only = {errors.Revoked, errors.ServerSetupError}
    classes = [errors.Unreachable, errors.Refused, errors.Unauthorized, errors.RateLimited,
               errors.ServerError]
    codes = {c.code for c in classes if c not in device_only} | {"reply_invalid", "forbidden"}
    assert sorted(codes - set(MESSAGES)) == []
    _ = translator("fr")
    assert message(_, "unauthenticated") != MESSAGES["unauthenticated"]


def test_every_audit_event_has_words() -> None:
    import re

    from app.console.words import AUDIT_WORDS, audit_word

    folder = Path(__file__).resolve().parents[3] / "app" / "console"
    pattern = re.compile(r"(?:_audit\(\s*c,|\.audit\()\s*\"(\w+)\"")
    events = {e for p in folder.glob("*.py") for e in pattern.findall(p.read_text("utf-8"))}
    assert {"view", "follow", "correct", "export", "erase_local", "pull"} <= events
    assert sorted(events - set(AUDIT_WORDS)) == []
    assert audit_word(translator("en"), "view") == "viewed a record"


def test_opening_without_the_server_still_shows_what_is_kept(
    agency: Agency, tmp_path: Path
) -> None:
    import httpx

    key = agency.write_key(tmp_path / "keys")
    rid = agency.upload("north", TRAFFICKING)
    up = agency.transport()
    down = {"now": False}

    class Cut(httpx.BaseTransport):
        """The real server app behind a cable that can be pulled (a fault seam)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if down["now"]:
                raise httpx.ConnectError("cut", request=request)
            return up.handle_request(request)

    console = Console(
        "http://agency", agency.token, tmp_path / "w", transport=Cut(), kdf=crypto.TEST_KDF
    )
    v = ConsoleView(console, "en")
    v.open(str(key), agency.passphrase, "Ana")
    v.lock()
    down["now"] = True
    v.open(str(key), agency.passphrase, "Ana")
    assert v.route is Route.DASHBOARD and v.notice.code == "unreachable"  # type: ignore[union-attr]
    assert [r.id for r in v.console.rows()] == [rid]


def _controls(control: object) -> list[object]:
    """Every control of a drawn tree (content, controls), depth first."""
    out = [control]
    for attr in ("content", "controls"):
        child = getattr(control, attr, None)
        for c in child if isinstance(child, list) else [child] if child is not None else []:
            out.extend(_controls(c))
    return out


def _editor(v: ConsoleView, path: str) -> dict[str, str]:
    """The correction editor as the console draws it: semantics identifier -> its words."""
    from app.console.ui import ConsoleShell

    shell = ConsoleShell(None, v)  # type: ignore[arg-type]  # drawing one card needs no page
    reading = v._reading(path)
    assert reading is not None
    drawn = _controls(shell.correction_editor(reading, v.lang))
    found: dict[str, str] = {}
    for c in drawn:
        ident = getattr(c, "identifier", None)
        if ident:
            words = [getattr(t, "value", None) for t in _controls(c)]
            found[ident] = " ".join(w for w in words if isinstance(w, str))
    return found


def test_a_multiple_choice_answer_is_corrected_by_ticking_its_choices(
    agency: Agency, tmp_path: Path
) -> None:
    """The coordinator ticks the questionnaire's choices, labelled in the coordinator's
    language; nothing is typed, and a name the questionnaire does not offer cannot be
    ticked."""
    from app.console import ids

    key = agency.write_key(tmp_path / "keys")
    rid = agency.upload("north", TRAFFICKING, {"intro/age": 30, "journey/documents": ["lost"]})
    v = _view(agency, tmp_path)
    v.lang = "fr"
    v.open(str(key), agency.passphrase, "Ana")
    v.open_record(rid)
    v.start_correction("journey/documents")
    assert v.picked == ("lost",)
    drawn = _editor(v, "journey/documents")
    pick = ids.CORRECT_PICK
    picks = {k[len(pick):]: w for k, w in drawn.items() if k.startswith(pick)}
    assert picks == {"with_me": "Avec moi", "held_by_other": "Gardés par quelqu'un d'autre",
                     "lost": "\u2713 Perdus"}
    assert ids.CORRECT_VALUE not in drawn and ids.CORRECT_SAVE in drawn  # no typed value
    v.toggle_choice("held_by_other")
    v.toggle_choice("with_me")
    v.toggle_choice("with_me")
    v.toggle_choice("stolen")  # not a choice of the question: ignored
    assert v.picked == ("held_by_other", "lost")  # in the questionnaire's order
    assert _editor(v, "journey/documents")[ids.CORRECT_PICK + "held_by_other"].startswith("\u2713")
    v.save_choices("the person asked")
    assert v.notice is not None and v.notice.code == "corrected" and v.correcting is None
    answers = {a.path: a.value for a in v.console.detail(rid).answers}
    assert answers["journey/documents"] == ["held_by_other", "lost"]
    fixes = v.console.store.corrections(rid)
    assert [(f.path, f.value, f.reason) for f in fixes] == [
        ("journey/documents", ["held_by_other", "lost"], "the person asked")]
    v.start_correction("intro/age")  # any other question still takes a typed value
    assert ids.CORRECT_VALUE in _editor(v, "intro/age")
    v.toggle_choice("lost")
    assert v.picked == ()


class _Page:
    """What the shell draws on, without a Flet session."""

    def __init__(self) -> None:
        self.controls: list[object] = []
        self.updates = 0
        self.width: float | None = None

    def update(self) -> None:
        self.updates += 1


def test_an_uncoded_failure_of_a_click_is_a_notice_and_logs_only_its_type(
    agency: Agency, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from app.console.ui import ConsoleShell

    v = _view(agency, tmp_path)
    page = _Page()
    shell = ConsoleShell(page, v)  # type: ignore[arg-type]

    def broken() -> None:
        raise RuntimeError("Amina, 34, from Kassala")  # what a bug could carry

    with caplog.at_level(logging.DEBUG):
        asyncio.run(shell.act(broken)(None))
    assert v.notice is not None and v.notice.code == "unexpected_error"
    assert not shell.busy and page.updates >= 2 and page.controls  # drawn again, not dead
    assert "RuntimeError" in caplog.text and "Amina" not in caplog.text


def test_a_file_system_failure_of_an_action_is_a_notice(agency: Agency, tmp_path: Path) -> None:
    key = agency.write_key(tmp_path / "keys")
    agency.upload("north", TRAFFICKING)
    v = _view(agency, tmp_path)
    v.open(str(key), agency.passphrase, "Ana")
    v.export_dir = tmp_path / "exports"
    v.export_dir.write_text("a file where the folder should be")
    assert v.export("csv") is None
    assert v.notice is not None and v.notice.error


def test_every_console_code_but_the_base_has_words() -> None:
    from app.console.errors import ConsoleCode

    assert sorted(c.value for c in ConsoleCode if c.value not in MESSAGES) == ["console_error"]
