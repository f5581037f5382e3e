"""The field app's view-model: which screen shows, and what each action does.

Plain Python, no Flet: screens render what this holds and call its methods; this calls the
engine, the store and the sync client. Slow calls (key derivation, sealing, sync) are plain
methods here; the Flet layer runs them off the event loop (``asyncio.to_thread``).

Screens never see flags or pathways except on the worker's summary, and nothing with answer
content is held after a lock: the running session is dropped and reloaded from the encrypted
store after the PIN.
"""

from __future__ import annotations

import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.engine.session import SessionError
from app.i18n import SHIPPED, Translator, translator
from app.store.errors import NotEnrolled, StoreError, Wiped
from app.store.store import Enrolment, RecordInfo, Store
from app.ui.autosend import AutoSender, save_config
from app.ui.interview import (
    InterviewCode,
    InterviewModel,
    MissingQuestionnaire,
    QuestionnaireInfo,
    list_questionnaires,
)
from app.ui.words import NoticeCode
from sync.client import SyncClient, SyncReport
from sync.errors import Revoked, SyncError, WaymarkError
from sync.protocol import case_code

log = logging.getLogger(__name__)

BREAK_AFTER_SECONDS = 20 * 60
TEXT_SIZES = (1.0, 1.25, 1.5)
AUTO_LOCK_CHOICES = (60, 120, 300, 600)


class Route(StrEnum):
    SET_PIN = "set_pin"
    UNLOCK = "unlock"
    ENROL = "enrol"
    HOME = "home"
    NEW = "new"
    CONSENT = "consent"
    INTERVIEW = "interview"
    QUESTIONS = "questions"
    URGENT = "urgent"
    SUMMARY = "summary"
    RECORDS = "records"
    SYNC = "sync"
    SETTINGS = "settings"


@dataclass
class UiSettings:
    """The worker's interface choices; not sensitive, kept as plain JSON beside the store."""

    language: str = "en"
    text_scale: float = 1.0
    auto_lock_seconds: int = 120
    auto_send: bool = True

    @classmethod
    def load(cls, path: Path) -> UiSettings:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        s = cls()
        if raw.get("language") in SHIPPED:
            s.language = raw["language"]
        if raw.get("text_scale") in TEXT_SIZES:
            s.text_scale = float(raw["text_scale"])
        if raw.get("auto_lock_seconds") in AUTO_LOCK_CHOICES:
            s.auto_lock_seconds = int(raw["auto_lock_seconds"])
        if isinstance(raw.get("auto_send"), bool):
            s.auto_send = raw["auto_send"]
        return s

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__), "utf-8")
        tmp.replace(path)


@dataclass
class Notice:
    """A message for the worker: a translation key (msgid) and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    error: bool = True


@dataclass
class SyncState:
    running: bool = False
    sent: int = 0
    total: int = 0
    errors: int = 0
    error_code: str | None = None
    done: bool = False
    last_sync: str | None = None


@dataclass(frozen=True)
class RecordLine:
    """How a draft or a record is listed: its pseudonymous case code, questionnaire and
    version, languages and progress; never a name or an answer."""

    id: str
    case_code: str
    title: str
    version: str
    language: str
    worker_language: str
    done: int
    total: int
    status: str
    sync_state: str | None
    created_at: str
    readable: bool


@dataclass(frozen=True)
class About:
    """What Settings says about this tablet: nothing secret (never the token)."""

    server: str
    site: str
    fingerprint: str
    version: str
    role: str = ""


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("waymark")
    except PackageNotFoundError:
        return "0"


def error_notice(exc: Exception) -> Notice:
    """A notice keyed by a coded error's code and parameters (never its message). Anything
    else (a disk error, a bug) is logged by its type only, never its text, and becomes the
    general sentence."""
    if isinstance(exc, WaymarkError):
        return Notice(str(exc.code), dict(exc.params))
    log.warning("unexpected error: %s", type(exc).__name__)
    return Notice(NoticeCode.UNEXPECTED_ERROR)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AppModel:
    """One worker's app over one store. ``changed`` is called after every state change."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        questionnaires_dir: Path,
        *,
        sync_factory: Callable[[str, str | None], SyncClient] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        break_after: float = BREAK_AFTER_SECONDS,
        sender: AutoSender | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.questionnaires_dir = questionnaires_dir
        self._settings_path = data_dir / "ui-settings.json"
        self.settings = UiSettings.load(self._settings_path)
        self._apply_auto_lock()
        self.sync_factory = sync_factory or default_sync_factory
        self.monotonic = monotonic
        self.break_after = break_after
        self.notice: Notice | None = None
        self.sender = sender or AutoSender(store, data_dir, self.sync_factory, threaded=False)
        self.sender.enabled = self.settings.auto_send
        self.sync = SyncState(last_sync=self.sender.log.last_success)
        self._sender_version = self.sender.version
        self.interview: InterviewModel | None = None
        self.paused_record: str | None = None  # a running interview hidden by a lock
        self.summary_outcome: dict[str, Any] | None = None
        self.summary_interview: InterviewModel | None = None
        #: after a withdrawal: the duty-of-care items raised so far, in memory only (never
        #: saved), shown on the urgent screen until the worker closes it
        self.duty_of_care: list[dict[str, Any]] | None = None
        self.new_choice: dict[str, str] = {}
        self.busy = False
        self._lock = threading.Lock()
        self._line_cache: dict[tuple[str, int], tuple[str, str, int, int]] = {}
        self.route = Route.SET_PIN if store.needs_pin_setup else Route.UNLOCK

    # --- words -------------------------------------------------------------------------

    @property
    def _(self) -> Translator:
        return translator(self.settings.language)

    # --- settings ----------------------------------------------------------------------

    def _apply_auto_lock(self) -> None:
        self.store.settings.idle_lock_seconds = float(self.settings.auto_lock_seconds)

    def set_language(self, code: str) -> None:
        if code not in SHIPPED:
            raise ValueError(code)
        self.settings.language = code
        self.settings.save(self._settings_path)

    def set_text_scale(self, scale: float) -> None:
        if scale not in TEXT_SIZES:
            raise ValueError(scale)
        self.settings.text_scale = scale
        self.settings.save(self._settings_path)

    def set_auto_lock(self, seconds: int) -> None:
        if seconds not in AUTO_LOCK_CHOICES:
            raise ValueError(seconds)
        self.settings.auto_lock_seconds = seconds
        self.settings.save(self._settings_path)
        self._apply_auto_lock()

    def set_auto_send(self, on: bool) -> None:
        """Auto-send on or off (off: records wait for Send)."""
        self.settings.auto_send = bool(on)
        self.settings.save(self._settings_path)
        self.sender.set_enabled(self.settings.auto_send)

    # --- navigation --------------------------------------------------------------------

    def go(self, route: Route) -> None:
        """Move to a screen the worker asked for; locked screens stay locked."""
        if self.store.locked and route not in (Route.SET_PIN, Route.UNLOCK):
            self.route = Route.SET_PIN if self.store.needs_pin_setup else Route.UNLOCK
            return
        self.notice = None
        if route is Route.NEW:
            self.new_choice = {}
        self.route = route

    def touch(self) -> None:
        if not self.store.locked:
            self.store.touch()

    # --- PIN, unlock, quick exit, idle --------------------------------------------------

    def set_pin(self, pin: str, repeat: str) -> bool:
        """First run. Slow (key derivation): run off the event loop."""
        if pin != repeat:
            self.notice = Notice(NoticeCode.PIN_MISMATCH)
            return False
        try:
            self.store.set_pin(pin)
        except StoreError as exc:  # carries the code the screen translates
            self.notice = error_notice(exc)
            return False
        self.store.touch()  # the idle time starts now, not at the last tap before the lock
        self.notice = None
        self.route = Route.HOME if self.store.enrolled else Route.ENROL
        self.sender.attach()
        return True

    def unlock(self, pin: str) -> bool:
        """Slow (key derivation): run off the event loop. Resumes a hidden interview."""
        try:
            self.store.unlock(pin)
        except StoreError as exc:
            self.notice = error_notice(exc)
            if isinstance(exc, Wiped):
                self.route = Route.SET_PIN
            return False
        self.store.touch()  # the idle time starts now, not at the last tap before the lock
        self.notice = None
        self.sender.attach()
        if not self.store.enrolled:
            self.route = Route.ENROL
        elif self.duty_of_care:
            self.route = Route.URGENT
        elif self.paused_record is not None:
            self.resume(self.paused_record)
            self.paused_record = None
        else:
            self.route = Route.HOME
        return True

    def quick_exit(self) -> None:
        """Hide everything at once and lock; the interview resumes only after the PIN."""
        self._hide_and_lock("quick_exit")

    def lock(self) -> None:
        self._hide_and_lock("requested")

    def check_idle(self) -> bool:
        """Lock when idle too long (called on a timer); True if it locked now."""
        if self.store.locked:
            return False
        if self.store.lock_if_idle():
            self._hide_and_lock("idle")
            return True
        return False

    def check_sender(self) -> bool:
        """Take in what the background sender did (called on a timer); True when the screen
        shown must be drawn again: it shows what the sender changed, or the tablet was erased."""
        sender = self.sender
        if sender.revoked and self.route is not Route.SET_PIN:
            self.interview = self.summary_interview = None
            self.summary_outcome = None
            self.paused_record = None
            self.notice = Notice(Revoked.code)
            self.route = Route.SET_PIN
            return True
        if sender.version == self._sender_version:
            return False
        self._sender_version = sender.version
        self.sync.last_sync = sender.log.last_success
        return self.route in (Route.HOME, Route.SYNC, Route.SETTINGS, Route.RECORDS)

    def _hide_and_lock(self, reason: str) -> None:
        if self.interview is not None:
            try:
                if not self.store.locked:
                    self.interview.save()
            except StoreError as exc:  # the last save stands; never keep answers around
                log.warning("save before lock failed: %s", type(exc).__name__)
            self.paused_record = self.interview.record_id
        self.interview = None
        self.summary_outcome = None
        self.summary_interview = None
        self._line_cache.clear()
        self.store.lock(reason)
        self.notice = None
        self.route = Route.UNLOCK

    # --- enrolment ---------------------------------------------------------------------

    def enrol(self, text: str, server_url: str = "") -> bool:
        """Claim a code (typed, or the QR text pasted). Network: run off the event loop."""
        code, url, fp = parse_enrolment_text(text, server_url)
        if not code:
            self.notice = Notice(NoticeCode.ENROLMENT_CODE_MISSING)
            return False
        if not url:
            self.notice = Notice(NoticeCode.SERVER_ADDRESS_MISSING)
            return False

        try:
            client = self.sync_factory(url, None)
            try:
                claimed = client.claim(code, device_name="waymark-tablet", expected_fingerprint=fp)
                config: dict[str, Any] = {}
                try:
                    fetched, etag = client.fetch_config()
                    if fetched is not None:
                        config = fetched.model_dump(mode="json")
                        config["etag"] = etag
                except SyncError as exc:  # config comes again at the next sync
                    log.info("config download after enrolment failed: %s", exc.code)
            finally:
                client.close()
            self.store.save_enrolment(Enrolment.claimed(url, claimed, config))
        except (SyncError, StoreError, binascii.Error) as exc:
            self.notice = error_notice(exc)
            return False
        self.notice = Notice(NoticeCode.ENROLLED, {"site": claimed.site}, error=False)
        self.route = Route.HOME
        self.sender.attach()
        return True

    # --- home and lists ----------------------------------------------------------------

    def questionnaires(self) -> list[QuestionnaireInfo]:
        return list_questionnaires(self.questionnaires_dir, self._config_questionnaires())

    def _config_questionnaires(self) -> dict[str, str]:
        try:
            enrolment = self.store.enrolment
        except StoreError:  # locked: nothing to read until the PIN
            return {}
        if enrolment is None:
            return {}
        return dict((enrolment.config or {}).get("questionnaires") or {})

    def referral_directory(self) -> list[dict[str, Any]]:
        try:
            enrolment = self.store.enrolment
        except StoreError:  # locked: nothing to read until the PIN
            return []
        if enrolment is None:
            return []
        return list((enrolment.config or {}).get("referral_directory") or [])

    def about(self) -> About:
        try:
            enrolment = self.store.enrolment
        except StoreError:
            enrolment = None
        if enrolment is None:
            return About("", "", "", app_version())
        return About(
            enrolment.server_url,
            enrolment.site,
            enrolment.fingerprint,
            app_version(),
            enrolment.role,
        )

    def site(self) -> str:
        try:
            enrolment = self.store.enrolment
        except StoreError:  # locked: nothing to read until the PIN
            return ""
        return enrolment.site if enrolment else ""

    def drafts(self) -> list[RecordInfo]:
        return self.store.records("draft")

    def record_lines(self, status: str | None = None) -> list[RecordLine]:
        """The drafts (``status="draft"``) or every record, as lists show them. Languages and
        progress are read once per record and revision from the encrypted copy."""
        infos = {(q.load().form_id, q.load().version): q for q in self.questionnaires()}
        lines = []
        for r in self.store.records(status):
            info = infos.get((r.form_id, r.form_version))
            title = info.load().title(self.settings.language) if info else r.form_id
            lang, wlang, done, total = self._progress_of(r, info)
            lines.append(
                RecordLine(
                    r.id,
                    case_code(r.id),
                    title,
                    r.form_version,
                    lang,
                    wlang,
                    done,
                    total,
                    r.status,
                    r.sync_state,
                    r.created_at,
                    r.readable,
                )
            )
        return lines

    def _progress_of(
        self, r: RecordInfo, info: QuestionnaireInfo | None
    ) -> tuple[str, str, int, int]:
        key = (r.id, r.revision)
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        found = ("", "", 0, 0)
        if info is not None and r.readable:
            try:
                iv = InterviewModel.resume(self.store, r.id, [info], monotonic=self.monotonic)
                done, total = iv.position()
                found = (iv.language, iv.worker_language, done, total)
            except (StoreError, SessionError, MissingQuestionnaire) as exc:
                log.info("record line without progress: %s", type(exc).__name__)
        self._line_cache[key] = found
        return found

    def pending(self) -> list[RecordInfo]:
        return [r for r in self.store.records("finalised") if r.sync_state != "stored"]

    def records(self) -> list[RecordInfo]:
        return self.store.records()

    # --- new screening, consent, interview ---------------------------------------------

    def choose(self, key: str, value: str) -> None:
        """New-screening choices: ``form``, ``language``, ``worker_language``."""
        self.new_choice[key] = value
        if key == "form":
            self.new_choice.pop("language", None)
            self.new_choice.pop("worker_language", None)
            info = next((q for q in self.questionnaires() if q.key == value), None)
            if info is not None and self.settings.language in info.load().languages:
                # the worker's own language is the likely choice; they can change it
                self.new_choice["worker_language"] = self.settings.language

    def can_start(self) -> bool:
        return all(self.new_choice.get(k) for k in ("form", "language", "worker_language"))

    def start(self) -> bool:
        """Create the draft record and open the consent screen."""
        if not self.can_start():
            self.notice = Notice(NoticeCode.CHOOSE_FORM_AND_LANGUAGES)
            return False
        info = next((q for q in self.questionnaires() if q.key == self.new_choice["form"]), None)
        if info is None:
            self.notice = Notice(InterviewCode.QUESTIONNAIRE_MISSING)
            return False
        try:
            self.interview = InterviewModel.start(
                self.store,
                info,
                language=self.new_choice["language"],
                worker_language=self.new_choice["worker_language"],
                monotonic=self.monotonic,
            )
        except (WaymarkError, OSError) as exc:  # the store, the questionnaire, the disk
            self.notice = error_notice(exc)
            return False
        self.notice = None
        if self.interview.own_consent:
            # the questionnaire asks for consent itself, in the person's language
            self.interview.consent = {"asked_by": "questionnaire", "at": now_iso()}
            self.interview.started_clock = self.monotonic()
            self.interview.save()
            self.route = Route.INTERVIEW
        else:
            self.route = Route.CONSENT
        return True

    def consent(self, screening: bool, storing: bool) -> bool:
        """Layered consent: the screening and keeping the record are separate agreements, and
        both are needed to begin. Anything less changes nothing (the worker chooses again, or
        declines with :meth:`decline_consent`); help never depends on it."""
        iv = self.interview
        if iv is None:
            self.route = Route.HOME
            return False
        if not (screening and storing):
            self.notice = Notice(NoticeCode.CONSENT_NEEDS_BOTH)
            return False
        iv.consent = {"screening": True, "storing": True, "at": now_iso()}
        iv.started_clock = self.monotonic()
        iv.save()
        self.notice = None
        self.route = Route.INTERVIEW
        return True

    def decline_consent(self) -> None:
        """The person does not agree (confirmed by the worker): the draft is deleted."""
        iv = self.interview
        if iv is not None:
            try:
                self.store.withdraw(iv.record_id)
            except StoreError as exc:
                self.notice = error_notice(exc)
                return
        self.interview = None
        self.notice = Notice(NoticeCode.NO_CONSENT_NOTHING_KEPT, error=False)
        self.route = Route.HOME

    def resume(self, record_id: str) -> bool:
        try:
            # a draft finishes on the version it was started on, archived or not
            forms = list_questionnaires(
                self.questionnaires_dir, self._config_questionnaires(), archived=True
            )
            self.interview = InterviewModel.resume(
                self.store, record_id, forms, monotonic=self.monotonic
            )
        except (WaymarkError, OSError) as exc:  # store, session, questionnaire gone, disk
            self.notice = error_notice(exc)
            self.route = Route.HOME
            return False
        self.notice = None
        self.route = Route.INTERVIEW if self.interview.consent else Route.CONSENT
        return True

    def next(self) -> None:
        iv = self.interview
        if iv is None:
            return
        iv.next()
        if iv.urgent_now():
            self.route = Route.URGENT
        elif iv.at_end:
            self.route = Route.INTERVIEW  # the end screen offers to finish

    def go_to(self, name: str) -> None:
        """From the question list or the review: open the screen holding ``name``."""
        iv = self.interview
        if iv is None:
            self.route = Route.HOME
            return
        try:
            iv.go_to(name)
        except SessionError as exc:
            self.notice = error_notice(exc)
        self.route = Route.INTERVIEW

    def continue_after_urgent(self) -> None:
        if self.interview is not None:
            self.interview.urgent_seen = True
            self.interview.save()
        self.route = Route.INTERVIEW

    def pause(self) -> None:
        """Save and go home; the draft resumes from the home screen."""
        if self.interview is not None:
            self.interview.save()
        self.interview = None
        self.notice = Notice(NoticeCode.SCREENING_PAUSED, error=False)
        self.route = Route.HOME

    def end_safely(self) -> None:
        """End now, whatever was asked: keep what was answered and show the worker's summary."""
        self.finish()

    def break_due(self) -> bool:
        iv = self.interview
        return bool(
            iv is not None
            and iv.started_clock is not None
            and not iv.break_dismissed
            and self.monotonic() - iv.started_clock >= self.break_after
        )

    def dismiss_break(self) -> None:
        if self.interview is not None:
            self.interview.break_dismissed = True
            self.interview.started_clock = self.monotonic()
            self.interview.break_dismissed = False

    def finish(self) -> bool:
        """Seal the record to the agency key (slow: run off the event loop) and show the
        worker's summary."""
        iv = self.interview
        if iv is None:
            return False
        try:
            iv.save()
            if iv.keep_record():
                outcome = iv.finalise(self.store)
                self.sender.poke()
                self.notice = Notice(NoticeCode.RECORD_SEALED, error=False)
            elif iv.withdrawn():  # nothing is kept; the duty of care stays with the worker
                duty = iv.duty_of_care()
                self.store.withdraw(iv.record_id)
                self._after_withdrawal(duty)
                return True
            else:  # the person said no to keeping it: the worker still sees where help is
                outcome = iv.summary()
                self.store.withdraw(iv.record_id)
                self.notice = Notice(NoticeCode.NO_CONSENT_NOTHING_KEPT, error=False)
        except (WaymarkError, OSError) as exc:  # store, sealing, outcome rules, disk
            self.notice = error_notice(exc)
            return False
        self.summary_outcome = outcome
        self.summary_interview = iv
        self.interview = None
        self.route = Route.SUMMARY
        return True

    def withdraw(self) -> None:
        """The person withdraws: the draft and everything answered are deleted at once. Help
        never depends on consent: any duty-of-care item raised so far stays on the urgent
        screen, held in memory only, marked as not kept."""
        iv = self.interview
        if iv is None:
            return
        duty = iv.duty_of_care()
        try:
            self.store.withdraw(iv.record_id)
        except StoreError as exc:
            self.notice = error_notice(exc)
            return
        self._after_withdrawal(duty)

    def _after_withdrawal(self, duty: list[dict[str, Any]]) -> None:
        self.interview = None
        self.summary_outcome = None
        self.summary_interview = None
        self.notice = Notice(NoticeCode.NO_CONSENT_NOTHING_KEPT, error=False)
        if duty:
            self.duty_of_care = duty
            self.route = Route.URGENT
        else:
            self.route = Route.HOME

    def close_duty_of_care(self) -> None:
        """The worker has acted on the duty-of-care items of a withdrawn screening."""
        self.duty_of_care = None
        self.notice = None
        self.route = Route.HOME

    def reopen_summary(self, record_id: str) -> bool:
        """The worker's summary of a finished record, again, until its readable copy is
        purged after the server's receipt."""
        try:
            iv = InterviewModel.resume(
                self.store, record_id, self.questionnaires(), monotonic=self.monotonic
            )
        except (StoreError, SessionError, MissingQuestionnaire) as exc:
            self.notice = error_notice(exc)
            return False
        self.summary_interview = iv
        self.summary_outcome = iv.summary()
        self.notice = None
        self.route = Route.SUMMARY
        return True

    def close_summary(self) -> None:
        self.summary_outcome = None
        self.summary_interview = None
        self.route = Route.HOME

    # --- sync --------------------------------------------------------------------------

    def sync_now(self, progress: Callable[[], None] | None = None) -> SyncState:
        """Upload the outbox (network: run off the event loop); ``progress`` after each step."""
        state = self.sync
        state.running, state.done = True, False
        state.sent = state.total = state.errors = 0
        state.error_code = None
        report: SyncReport | None = None
        try:
            enrolment = self.store.enrolment
            if enrolment is None:
                raise NotEnrolled()
            report = self._send(enrolment, progress)
            state.sent, state.total, state.errors = report.sent, report.total, report.errors
            if report.error is not None:
                state.error_code = report.error.code
            elif report.errors:
                state.error_code = NoticeCode.SOME_RECORDS_NOT_ACCEPTED
        except Revoked as exc:
            state.error_code = exc.code
            self.sender.stop()
            self.store.wipe(reason="revoked")
            self.route = Route.SET_PIN
        except (SyncError, StoreError) as exc:
            state.error_code = exc.code
        finally:
            state.running, state.done = False, True
        if state.error_code == NoticeCode.SOME_RECORDS_NOT_ACCEPTED:
            self.sender.record_manual(report, None)
        else:
            self.sender.record_manual(report, state.error_code)
        state.last_sync = self.sender.log.last_success
        return state

    def _send(self, enrolment: Enrolment, progress: Callable[[], None] | None) -> SyncReport:
        state = self.sync
        client = self.sync_factory(enrolment.server_url, enrolment.token)

        def on_progress(sent: int, total: int, errors: int) -> None:
            state.sent, state.total, state.errors = sent, total, errors
            if progress is not None:
                progress()

        try:
            report = client.sync_once(self.store.outbox, on_progress)
            if report.error is None:
                self._refresh_config(client, enrolment)
        finally:
            client.close()
        return report

    def _refresh_config(self, client: SyncClient, enrolment: Enrolment) -> None:
        """Download the site's questionnaires and referral directory when they changed."""
        try:
            fetched, etag = client.fetch_config((enrolment.config or {}).get("etag"))
        except Revoked:
            raise
        except SyncError as exc:
            log.info("config download failed: %s", exc.code)
            return
        if fetched is not None:
            save_config(self.store, enrolment, fetched, etag)


def parse_enrolment_text(text: str, server_url: str = "") -> tuple[str, str, str | None]:
    """(code, server url, key fingerprint) from a typed code or the QR code's JSON text."""
    text = (text or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return "", server_url.strip(), None
        return (
            str(data.get("code") or "").strip().upper(),
            str(data.get("url") or server_url or "").strip(),
            data.get("fp") or None,
        )
    return text.replace(" ", "").replace("-", "").upper(), server_url.strip(), None


def default_sync_factory(url: str, token: str | None) -> SyncClient:
    return SyncClient(url, token)
