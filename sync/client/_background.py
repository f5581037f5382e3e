"""Background sync: probe, upload, back off with jitter up to a cap, and wake on demand."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from sync.client._client import Progress, SyncClient, SyncReport
from sync.errors import Revoked, SyncError
from sync.protocol import ConfigResponse, Outbox

log = logging.getLogger(__name__)


def backoff_delay(
    failures: int, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, never over cap."""
    step = min(cap, base * (2 ** max(0, failures - 1)))
    return float(step / 2 + rng() * step / 2)


class BackgroundSyncer:
    """Syncs whenever the server is reachable.

    ``on_wipe`` is called (once) when the server says this device is revoked; the syncer then
    stops. ``on_report`` gets each :class:`SyncReport`; ``on_config`` each new configuration;
    ``on_failure`` the code of each round that could not reach or use the server (``unreachable``
    when the health probe fails), so a screen can say what went wrong.
    """

    def __init__(
        self,
        client: SyncClient,
        outbox: Outbox,
        *,
        on_wipe: Callable[[], None],
        on_report: Callable[[SyncReport], None] | None = None,
        on_config: Callable[[ConfigResponse, str | None], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
        config_etag: str | None = None,
        progress: Progress | None = None,
        interval: float = 60.0,
        base: float = 2.0,
        cap: float = 300.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.on_wipe = on_wipe
        self.on_report = on_report
        self.on_config = on_config
        self.on_failure = on_failure
        self.config_etag = config_etag
        self.progress = progress
        self.interval = interval
        self.base = base
        self.cap = cap
        self.rng = rng
        self.failures = 0
        self.delays: list[float] = []
        self.wiped = False
        self.last_error: str | None = None  # the kind of the last unexpected failure, if any
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="waymark-sync", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """Sync now (a record was finalised, or the person asked)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def step(self) -> float:
        """One round: probe, upload, fetch config. Returns the delay before the next round."""
        ok = False
        try:
            if not self.client.health():
                self._failed("unreachable")
            else:
                report = self.client.sync_once(self.outbox, self.progress)
                if self.on_report is not None:
                    self.on_report(report)
                ok = report.error is None
                if ok and self.on_config is not None:
                    config, etag = self.client.fetch_config(self.config_etag)
                    if config is not None:
                        self.config_etag = etag
                        self.on_config(config, etag)
        except Revoked:
            self.wiped = True
            self._stop.set()
            self.on_wipe()
            return 0.0
        except SyncError as exc:
            ok = False
            self._failed(exc.code)
        self.failures = 0 if ok else self.failures + 1
        delay = self.interval if ok else backoff_delay(self.failures, self.base, self.cap, self.rng)
        self.delays.append(delay)
        del self.delays[:-100]
        return delay

    def _failed(self, code: str) -> None:
        if self.on_failure is not None:
            self.on_failure(code)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.step()
            except Exception as exc:  # the thread's boundary: the outbox or a
                # callback failed in a way no step names; retry with backoff, never stop quietly
                self.failures += 1
                self.last_error = type(exc).__name__
                log.warning("background sync step failed (%s); retrying", self.last_error)
                delay = backoff_delay(self.failures, self.base, self.cap, self.rng)
            if self._stop.is_set():
                break
            self._wake.wait(delay)
            self._wake.clear()
