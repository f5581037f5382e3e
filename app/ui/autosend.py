"""Auto-send: finalised records go to the server by themselves while the app is open.

One :class:`AutoSender` per store (per app process, shared by every browser page). It runs
``sync.client.BackgroundSyncer`` (health probe, upload, configuration download; jittered,
capped backoff) on its own thread, whichever screen shows and whether the app is locked or not:
sealed envelopes need no PIN. The device token is read from the encrypted store once, after an
unlock, and kept in memory only. A configuration that arrives while the app is locked waits in
memory (it is not answer content) and is saved at the next unlock.

The :class:`SendLog` beside the store says when sending last worked, what went wrong last, and
how many records each round carried: times, counts and codes, never content.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.store.errors import StoreError
from app.store.store import Enrolment, Store
from sync.client import BackgroundSyncer, SyncClient, SyncReport
from sync.protocol import ConfigResponse

log = logging.getLogger(__name__)

LOG_FILE = "send-log.json"
LOG_KEEP = 50

SyncFactory = Callable[[str, str | None], SyncClient]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SendEntry:
    """One round that carried records or failed: when, how, how many, and the code if any."""

    at: str
    how: str  # "auto" | "manual"
    sent: int = 0
    problems: int = 0
    error: str | None = None


@dataclass
class SendLog:
    """What sending did, kept as plain JSON beside the store (nothing said, nothing named)."""

    path: Path
    last_success: str | None = None
    last_failure: str | None = None
    last_failure_code: str | None = None
    entries: list[SendEntry] = field(default_factory=list)

    @classmethod
    def load(cls, data_dir: Path) -> SendLog:
        out = cls(data_dir / LOG_FILE)
        try:
            raw = json.loads(out.path.read_text("utf-8"))
            out.last_success = raw.get("last_success")
            out.last_failure = raw.get("last_failure")
            out.last_failure_code = raw.get("last_failure_code")
            out.entries = [SendEntry(**e) for e in raw.get("entries", [])][-LOG_KEEP:]
        except (OSError, ValueError, TypeError):
            legacy = data_dir / "last-sync.txt"  # written by earlier versions
            try:
                out.last_success = legacy.read_text("utf-8").strip() or None
            except OSError:
                pass
        return out

    def save(self) -> None:
        data = {
            "last_success": self.last_success,
            "last_failure": self.last_failure,
            "last_failure_code": self.last_failure_code,
            "entries": [asdict(e) for e in self.entries[-LOG_KEEP:]],
        }
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data), "utf-8")
            tmp.replace(self.path)
        except OSError as exc:  # the store itself is gone (wiped): the log goes with it
            log.info("send log not written: %s", type(exc).__name__)

    def succeeded(self, how: str, sent: int, problems: int) -> None:
        self.last_success = now_iso()
        if sent or problems:
            self.entries.append(SendEntry(self.last_success, how, sent, problems))
        self.save()

    def failed(self, how: str, code: str, sent: int = 0) -> None:
        at = now_iso()
        repeat = (
            self.entries
            and self.entries[-1].error == code
            and self.entries[-1].how == how
            and not sent
        )
        self.last_failure, self.last_failure_code = at, code
        if repeat:
            self.entries[-1].at = at  # the same failure again: one line, its latest time
        else:
            self.entries.append(SendEntry(at, how, sent, 0, code))
        self.save()

    @property
    def failing(self) -> bool:
        """The last round failed (a failure after the last success)."""
        return self.last_failure is not None and (
            self.last_success is None or self.last_failure > self.last_success
        )


@dataclass(frozen=True)
class Schedule:
    """How often to try: ``interval`` between good rounds; backoff ``base`` doubling to ``cap``."""

    interval: float = 60.0
    base: float = 2.0
    cap: float = 120.0

    @classmethod
    def from_env(cls) -> Schedule:
        """Tests and demos shorten the schedule with WAYMARK_SYNC_INTERVAL/_BASE/_CAP."""
        d = cls()

        def read(name: str, default: float) -> float:
            try:
                return float(os.environ.get(name, default))
            except ValueError:
                return default

        return cls(
            read("WAYMARK_SYNC_INTERVAL", d.interval),
            read("WAYMARK_SYNC_BASE", d.base),
            read("WAYMARK_SYNC_CAP", d.cap),
        )


class AutoSender:
    """Runs the background syncer for one store; ``version`` moves on every visible change."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        sync_factory: SyncFactory,
        *,
        schedule: Schedule | None = None,
        threaded: bool = True,
    ) -> None:
        self.store = store
        self.sync_factory = sync_factory
        self.schedule = schedule or Schedule()
        self.threaded = threaded
        self.log = SendLog.load(data_dir)
        self.enabled = True
        self.revoked = False
        self.version = 0
        self.running_round = False
        self._syncer: BackgroundSyncer | None = None
        self._client: SyncClient | None = None
        self._pending_config: tuple[ConfigResponse, str | None] | None = None
        self._lock = threading.RLock()

    # --- life ------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._syncer is not None

    def attach(self) -> None:
        """Start sending (after an unlock or an enrolment): needs the unlocked store once."""
        with self._lock:
            self.revoked = False
            if self.store.locked:
                return
            self._save_pending_config()
            if self._syncer is not None or not self.enabled:
                return
            try:
                enrolment = self.store.enrolment
            except StoreError as exc:
                log.info("auto-send not started: %s", exc.code)
                return
            if enrolment is None:
                return
            self._client = self.sync_factory(enrolment.server_url, enrolment.token)
            self._syncer = BackgroundSyncer(
                self._client,
                self.store.outbox,
                on_wipe=self._wipe,
                on_report=self._report,
                on_config=self._config,
                on_failure=self._failure,
                config_etag=(enrolment.config or {}).get("etag"),
                interval=self.schedule.interval,
                base=self.schedule.base,
                cap=self.schedule.cap,
            )
            if self.threaded:
                self._syncer.start()
            self._changed()

    def stop(self) -> None:
        with self._lock:
            syncer, client = self._syncer, self._client
            self._syncer = self._client = None
        if syncer is not None:
            syncer.stop()
        if client is not None:
            client.close()
        self._changed()

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if on:
            self.attach()
        else:
            self.stop()

    def poke(self) -> None:
        """Send now (a record was just finalised)."""
        syncer = self._syncer
        if syncer is not None:
            syncer.poke()

    def step(self) -> None:
        """One round in the caller's thread (tests, and a syncer started unthreaded)."""
        syncer = self._syncer
        if syncer is not None:
            syncer.step()

    # --- what the syncer tells --------------------------------------------------------------

    def _report(self, report: SyncReport) -> None:
        if report.error is not None:
            self.log.failed("auto", report.error.code, report.acknowledged)
        else:
            self.log.succeeded("auto", report.acknowledged, report.errors)
        self._changed()

    def _failure(self, code: str) -> None:
        self.log.failed("auto", code)
        self._changed()

    def _config(self, config: ConfigResponse, etag: str | None) -> None:
        with self._lock:
            self._pending_config = (config, etag)
            if not self.store.locked:
                self._save_pending_config()
        self._changed()

    def _save_pending_config(self) -> None:
        pending = self._pending_config
        if pending is None:
            return
        config, etag = pending
        try:
            enrolment = self.store.enrolment
            if enrolment is not None:
                save_config(self.store, enrolment, config, etag)
            self._pending_config = None
        except StoreError as exc:  # locked in between: saved at the next unlock
            log.info("configuration kept for the next unlock: %s", exc.code)

    def _wipe(self) -> None:
        """The coordinator withdrew this tablet: erase it, and stop."""
        log.warning("device revoked: wiping the store")
        self.store.wipe(reason="revoked")
        self.revoked = True
        with self._lock:
            self._syncer = None
            client, self._client = self._client, None
        if client is not None:
            client.close()
        self._changed()

    def _changed(self) -> None:
        self.version += 1

    # --- manual Send -------------------------------------------------------------------------

    def record_manual(self, report: SyncReport | None, code: str | None) -> None:
        """A Send the worker pressed: into the same log."""
        if code is not None:
            self.log.failed("manual", code, report.acknowledged if report else 0)
        elif report is not None:
            self.log.succeeded("manual", report.acknowledged, report.errors)
        self._changed()


def save_config(
    store: Store, enrolment: Enrolment, config: ConfigResponse, etag: str | None
) -> None:
    """Keep a downloaded configuration (questionnaires, referral directory) in the store."""
    data = config.model_dump(mode="json")
    data["etag"] = etag
    enrolment.config = data
    store.save_enrolment(enrolment)
