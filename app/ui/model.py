"""The field app's view-model: which screen shows, and what each action does.

Plain Python, no Flet: screens render what this holds and call its methods; this calls the
engine, the store and the sync client. Slow calls (key derivation, sealing, sync) are plain
methods here; the Flet layer runs them off the event loop (``asyncio.to_thread``).

Screens never see flags or pathways except on the worker's summary, and nothing with answer
content is held after a lock: the running session is dropped and reloaded from the encrypted
store after the PIN.
"""

from __future__ import annotations

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

from app.i18n import SHIPPED, translator
from app.ui.interview import InterviewModel, QuestionnaireInfo, list_questionnaires

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


def error_notice(exc: Exception) -> Notice:
    """Turn a store or sync error into a notice keyed by its code (never its message)."""
    code = getattr(exc, "code", None) or "unexpected_error"
    params = dict(getattr(exc, "params", {}) or {})
    return Notice(str(code), params)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AppModel:
    """One worker's app over one store. ``changed`` is called after every state change."""

    def __init__(
        self,
        store: Any,
        data_dir: Path,
        questionnaires_dir: Path,
        *,
        sync_factory: Callable[[str, str | None], Any] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        break_after: float = BREAK_AFTER_SECONDS,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.questionnaires_dir = questionnaires_dir
        self._settings_path = data_dir / "ui-settings.json"
        self.settings = UiSettings.load(self._settings_path)
        self._apply_auto_lock()
        self.sync_factory = sync_factory or _default_sync_factory
        self.monotonic = monotonic
        self.break_after = break_after
        self.notice: Notice | None = None
        self.sync = SyncState(last_sync=self._read_last_sync())
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
        self.route = Route.SET_PIN if store.needs_pin_setup else Route.UNLOCK

    # --- words -------------------------------------------------------------------------

    @property
    def _(self) -> Any:
        return translator(self.settings.language)

    # --- settings ----------------------------------------------------------------------

    def _apply_auto_lock(self) -> None:
        try:
            self.store.settings.idle_lock_seconds = float(self.settings.auto_lock_seconds)
        except AttributeError:
            pass

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
            self.notice = Notice("pin_mismatch")
            return False
        try:
            self.store.set_pin(pin)
        except Exception as exc:  # StoreError carries the code the screen translates
            self.notice = error_notice(exc)
            return False
        self.notice = None
        self.route = Route.HOME if self.store.enrolled else Route.ENROL
        return True

    def unlock(self, pin: str) -> bool:
        """Slow (key derivation): run off the event loop. Resumes a hidden interview."""
        try:
            self.store.unlock(pin)
        except Exception as exc:
            self.notice = error_notice(exc)
            if getattr(exc, "code", "") == "store_wiped":
                self.route = Route.SET_PIN
            return False
        self.notice = None
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

    def _hide_and_lock(self, reason: str) -> None:
        if self.interview is not None:
            try:
                if not self.store.locked:
                    self.interview.save()
            except Exception:  # the last save stands; never keep answers around
                log.warning("save before lock failed")
            self.paused_record = self.interview.record_id
        self.interview = None
        self.summary_outcome = None
        self.summary_interview = None
        self.store.lock(reason)
        self.notice = None
        self.route = Route.UNLOCK

    # --- enrolment ---------------------------------------------------------------------

    def enrol(self, text: str, server_url: str = "") -> bool:
        """Claim a code (typed, or the QR text pasted). Network: run off the event loop."""
        code, url, fp = parse_enrolment_text(text, server_url)
        if not code:
            self.notice = Notice("enrolment_code_missing")
            return False
        if not url:
            self.notice = Notice("server_address_missing")
            return False
        from app.store import Enrolment

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
                except Exception:  # config comes again at the next sync
                    log.info("config download after enrolment failed")
            finally:
                client.close()
            self.store.save_enrolment(Enrolment.claimed(url, claimed, config))
        except Exception as exc:
            self.notice = error_notice(exc)
            return False
        self.notice = Notice("enrolled", {"site": claimed.site}, error=False)
        self.route = Route.HOME
        return True

    # --- home and lists ----------------------------------------------------------------

    def questionnaires(self) -> list[QuestionnaireInfo]:
        return list_questionnaires(self.questionnaires_dir, self._config_questionnaires())

    def _config_questionnaires(self) -> dict[str, str]:
        try:
            enrolment = self.store.enrolment
        except Exception:
            return {}
        if enrolment is None:
            return {}
        return dict((enrolment.config or {}).get("questionnaires") or {})

    def referral_directory(self) -> list[dict[str, Any]]:
        try:
            enrolment = self.store.enrolment
        except Exception:
            return []
        if enrolment is None:
            return []
        return list((enrolment.config or {}).get("referral_directory") or [])

    def site(self) -> str:
        try:
            enrolment = self.store.enrolment
        except Exception:
            return ""
        return enrolment.site if enrolment else ""

    def drafts(self) -> list[Any]:
        return self.store.records("draft")

    def pending(self) -> list[Any]:
        return [r for r in self.store.records("finalised") if r.sync_state != "stored"]

    def records(self) -> list[Any]:
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
            self.notice = Notice("choose_form_and_languages")
            return False
        info = next((q for q in self.questionnaires() if q.key == self.new_choice["form"]), None)
        if info is None:
            self.notice = Notice("questionnaire_missing")
            return False
        try:
            self.interview = InterviewModel.start(
                self.store,
                info,
                language=self.new_choice["language"],
                worker_language=self.new_choice["worker_language"],
                monotonic=self.monotonic,
            )
        except Exception as exc:
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

    def consent(self, screening: bool, storing: bool) -> None:
        """Layered consent: the screening and keeping the record are separate choices. No to
        either ends here and deletes the draft; help never depends on it."""
        iv = self.interview
        if iv is None:
            self.route = Route.HOME
            return
        if not (screening and storing):
            self.store.withdraw(iv.record_id)
            self.interview = None
            self.notice = Notice("no_consent_nothing_kept", error=False)
            self.route = Route.HOME
            return
        iv.consent = {"screening": True, "storing": True, "at": now_iso()}
        iv.started_clock = self.monotonic()
        iv.save()
        self.route = Route.INTERVIEW

    def resume(self, record_id: str) -> bool:
        try:
            # a draft finishes on the version it was started on, archived or not
            forms = list_questionnaires(
                self.questionnaires_dir, self._config_questionnaires(), archived=True
            )
            self.interview = InterviewModel.resume(
                self.store, record_id, forms, monotonic=self.monotonic
            )
        except Exception as exc:
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
        self.notice = Notice("screening_paused", error=False)
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
                self.notice = Notice("record_sealed", error=False)
            elif iv.withdrawn():  # nothing is kept; the duty of care stays with the worker
                duty = iv.duty_of_care()
                self.store.withdraw(iv.record_id)
                self._after_withdrawal(duty)
                return True
            else:  # the person said no to keeping it: the worker still sees where help is
                outcome = iv.summary()
                self.store.withdraw(iv.record_id)
                self.notice = Notice("no_consent_nothing_kept", error=False)
        except Exception as exc:
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
        except Exception as exc:
            self.notice = error_notice(exc)
            return
        self._after_withdrawal(duty)

    def _after_withdrawal(self, duty: list[dict[str, Any]]) -> None:
        self.interview = None
        self.summary_outcome = None
        self.summary_interview = None
        self.notice = Notice("no_consent_nothing_kept", error=False)
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
        try:
            enrolment = self.store.enrolment
            if enrolment is None:
                raise _Code("not_enrolled")
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
            state.sent, state.total, state.errors = report.sent, report.total, report.errors
            if report.error is not None:
                state.error_code = report.error.code
            elif report.errors:
                state.error_code = "some_records_not_accepted"
        except Exception as exc:
            state.error_code = str(getattr(exc, "code", "unexpected_error"))
            if state.error_code == "device_revoked":
                self.store.wipe(reason="revoked")
                self.route = Route.SET_PIN
        finally:
            state.running, state.done = False, True
        if state.error_code is None:
            state.last_sync = now_iso()
            self._write_last_sync(state.last_sync)
        return state

    def _refresh_config(self, client: Any, enrolment: Any) -> None:
        """Download the site's questionnaires and referral directory when they changed."""
        try:
            fetched, etag = client.fetch_config((enrolment.config or {}).get("etag"))
        except Exception as exc:
            log.info("config download failed: %s", getattr(exc, "code", type(exc).__name__))
            return
        if fetched is None:
            return
        config = fetched.model_dump(mode="json")
        config["etag"] = etag
        enrolment.config = config
        self.store.save_enrolment(enrolment)

    def _read_last_sync(self) -> str | None:
        try:
            return (self.data_dir / "last-sync.txt").read_text("utf-8").strip() or None
        except OSError:
            return None

    def _write_last_sync(self, value: str) -> None:
        (self.data_dir / "last-sync.txt").write_text(value, "utf-8")


class _Code(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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


def _default_sync_factory(url: str, token: str | None) -> Any:
    from sync.client import SyncClient

    return SyncClient(url, token)
