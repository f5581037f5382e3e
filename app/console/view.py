"""What the console's screens show and do, without Flet: routes, the selected record, the
notice, erasure confirmation. The Flet layer (``app.console.ui``) only draws this state and
forwards clicks; slow calls (key derivation, pulling, erasing on the server) are made off the
event loop by that layer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.console.errors import ConsoleError
from app.console.model import Console, Labels, load_labels
from app.console.reading import Reading, correction_value
from app.console.table import PAGE_SIZES, Column, TablePage, TableQuery
from sync.errors import SyncError, WaymarkError
from sync.protocol import case_code

log = logging.getLogger(__name__)

#: What a person's action can fail with and still be shown as a notice: Waymark's coded errors
#: and the file system. Anything else reaches the page's event boundary (``ConsoleApp.act``).
EXPECTED: tuple[type[Exception], ...] = (WaymarkError, OSError)


#: The table's filters a click can toggle.
FILTERS = ("sites", "pathways", "flags", "follow")


class Route(StrEnum):
    OPEN = "open"
    DASHBOARD = "dashboard"
    RECORDS = "records"
    RECORD = "record"
    EXPORT = "export"
    AUDIT = "audit"


@dataclass
class Notice:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    error: bool = True


class ConsoleView:
    """The state of one browser page over one :class:`Console`."""

    def __init__(
        self,
        console: Console,
        lang: str = "en",
        *,
        key_path: str = "",
        export_dir: Path | None = None,
        idle_seconds: float = 15 * 60,
    ) -> None:
        self.console = console
        self.lang = lang
        self.key_path = key_path
        self.route = Route.OPEN
        self.record_id: str | None = None
        self.notice: Notice | None = None
        self.confirm_erase = False
        self.export_dir = export_dir or console.data_dir / "exports"
        self._labels: Labels | None = None
        self.correcting: str | None = None
        #: the choices ticked so far when correcting a select_multiple answer, in the
        #: questionnaire's order, and the reason typed so far (kept while choices are ticked)
        self.picked: tuple[str, ...] = ()
        self.reason_draft = ""
        self.query = TableQuery()
        self.picking_columns = False
        self.idle_seconds = idle_seconds
        self.last_touch = time.monotonic()

    def touch(self) -> None:
        self.last_touch = time.monotonic()

    def check_idle(self, now: float | None = None) -> bool:
        """Lock when nobody has touched the page for ``idle_seconds``; True if it locked."""
        now = time.monotonic() if now is None else now
        if self.console.unlocked and now - self.last_touch >= self.idle_seconds:
            self.lock()
            self.notice = Notice("idle_locked", error=False)
            return True
        return False

    @property
    def labels(self) -> Labels:
        if self._labels is None:
            self._labels = load_labels(self.console.questionnaires_dir, self.lang)
        return self._labels

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self._labels = None

    def _fail(self, exc: Exception) -> None:
        """Show a failure as a notice: its code and params, or (uncoded) only its type in
        the log."""
        if isinstance(exc, (ConsoleError, SyncError)):
            params = dict(exc.params)
            if isinstance(exc, SyncError) and exc.status is not None:
                params["status"] = exc.status
            self.notice = Notice(exc.code, params)
        else:  # never the exception's text: it could carry content
            log.error("console action failed: %s", type(exc).__name__)
            self.notice = Notice("unexpected_error")

    # --- opening ---------------------------------------------------------------------------

    def open(self, key_path: str, passphrase: str, actor: str, previous: str = "") -> None:
        """Unlock with the key file and passphrase, then pull what is new (a failed pull still
        shows what the console already keeps)."""
        self.notice = None
        actor = actor.strip()
        if not actor:
            self.notice = Notice("actor_required")
            return
        try:
            self.console.actor = actor
            self.console.unlock_file(key_path, passphrase, previous)
        except EXPECTED as exc:
            self._fail(exc)
            return
        self.key_path = key_path
        self.route = Route.DASHBOARD
        self.pull()
        try:
            self.console.store.verify_audit()
        except EXPECTED as exc:  # shown, not blocking: the records are still needed
            self._fail(exc)

    def pull(self) -> None:
        try:
            result = self.console.pull()
        except EXPECTED as exc:
            self._fail(exc)
            return
        self.notice = Notice(
            "pulled", {"new": result.new, "unreadable": len(result.unreadable)}, error=False
        )

    def lock(self) -> None:
        self.console.lock()
        self.route = Route.OPEN
        self.record_id = None
        self.confirm_erase = False
        self.correcting = None
        self.notice = None

    # --- moving around ---------------------------------------------------------------------

    def show(self, route: Route) -> None:
        if not self.console.unlocked:
            self.route = Route.OPEN
            return
        self.route = route
        self.confirm_erase = False
        self.correcting = None
        self.notice = None

    # --- the submissions table -------------------------------------------------------------

    def table(self) -> TablePage:
        """The page of the submissions table the coordinator's query asks for."""
        return self.console.table(self.query)

    def search(self, text: str) -> None:
        self.query = replace(self.query, search=text.strip()[:32], page=0)

    def toggle_filter(self, name: str, value: str) -> None:
        """Add or remove one value of a filter (sites, pathways, flags, follow)."""
        if name in FILTERS:
            self.query = self.query.toggled(name, value)

    def set_dates(self, first: str, last: str) -> None:
        """The date range (ISO dates, either may be empty); a date that does not read is
        refused with a notice and the range left as it was."""
        self.notice = None
        try:
            lo = date.fromisoformat(first.strip()) if first.strip() else None
            hi = date.fromisoformat(last.strip()) if last.strip() else None
        except ValueError:
            self.notice = Notice("date_invalid")
            return
        if lo and hi and hi < lo:
            lo, hi = hi, lo
        self.query = replace(self.query, date_from=lo, date_to=hi, page=0)

    def clear_filters(self) -> None:
        self.query = TableQuery(
            sort=self.query.sort,
            descending=self.query.descending,
            page_size=self.query.page_size,
            columns=self.query.columns,
        )

    def sort(self, column: str) -> None:
        self.query = self.query.sorted_by(Column(column))

    def toggle_column(self, column: str) -> None:
        col = Column(column)
        self.query = self.query.with_column(col, col not in self.query.columns)

    def set_page_size(self, size: int) -> None:
        if size in PAGE_SIZES:
            self.query = replace(self.query, page_size=size, page=0)

    def go_page(self, page: int) -> None:
        self.query = replace(self.query, page=max(0, page))

    def toggle_column_picker(self) -> None:
        self.picking_columns = not self.picking_columns

    def open_record(self, record_id: str) -> None:
        """Show one record; who viewed which record is audited (without content)."""
        self.show(Route.RECORD)
        if self.route is not Route.RECORD:
            return
        self.record_id = record_id
        try:
            self.console.store.audit("view", self.console.actor or "console", record_id)
        except EXPECTED as exc:
            self._fail(exc)

    # --- acting on a record ----------------------------------------------------------------

    def follow(self, pathway: str, state: str) -> None:
        self.notice = None
        if self.record_id is None:
            return
        try:
            self.console.follow(self.record_id, pathway, state)
        except EXPECTED as exc:
            self._fail(exc)

    def export_audit(self, fmt: str) -> Path | None:
        """Write the audit log (with its chain head) to the exports folder."""
        self.notice = None
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = self.export_dir / f"audit-{stamp}.{fmt}"
        try:
            n = self.console.export_audit(fmt, target)
        except EXPECTED as exc:
            self._fail(exc)
            return None
        self.notice = Notice("audit_exported", {"n": n, "file": str(target)}, error=False)
        return target

    def write_slip(self, pathway: str, fmt: str) -> Path | None:
        """Write the referral slip of one pathway of the open record to the exports folder."""
        self.notice = None
        if self.record_id is None:
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        name = f"slip-{case_code(self.record_id)}-{pathway}-{stamp}.{fmt}"
        target = self.export_dir / name
        try:
            self.console.write_slip(self.record_id, pathway, fmt, target)
        except EXPECTED as exc:
            self._fail(exc)
            return None
        self.notice = Notice("slip_written", {"file": str(target)}, error=False)
        return target

    def start_correction(self, path: str) -> None:
        self.correcting = path
        self.notice = None
        self.reason_draft = ""
        reading = self._reading(path)
        value = reading.value if reading is not None else None
        self.picked = tuple(str(x) for x in value) if isinstance(value, list) else ()

    def cancel_correction(self) -> None:
        self.correcting = None
        self.picked = ()

    def toggle_choice(self, name: str) -> None:
        """Tick or untick one choice of the select_multiple answer being corrected (only
        the questionnaire's own choices: a name it does not offer is ignored)."""
        reading = self._reading(self.correcting) if self.correcting else None
        if reading is None or reading.type != "select_multiple":
            return
        offered = [n for n, _label in reading.choices]
        if name not in offered:
            return
        ticked = set(self.picked) ^ {name}
        # ticked names the questionnaire no longer offers stay, after its own, in their order
        rest = [n for n in self.picked if n not in offered and n in ticked]
        self.picked = tuple([n for n in offered if n in ticked] + rest)

    def save_choices(self, reason: str = "") -> None:
        """Correct the select_multiple answer being edited to the choices ticked."""
        if self.record_id is None or self.correcting is None:
            return
        self._save(self.correcting, list(self.picked), reason)

    def save_correction(self, value: str, reason: str = "") -> None:
        """Correct the answer being edited; the engine checks the typed value (a
        select_multiple's choices are ticked with :meth:`toggle_choice`, or typed
        space-separated)."""
        if self.record_id is None or self.correcting is None:
            return
        path = self.correcting
        try:
            reading = self._reading(path)
            new = correction_value(value, reading) if reading is not None else value.strip()
        except EXPECTED as exc:
            self._fail(exc)
            return
        self._save(path, new, reason)

    def _reading(self, path: str) -> Reading | None:
        """The record's answer at ``path``, in words (None when the record has none)."""
        if self.record_id is None:
            return None
        words = self.console.words(self.record_id, self.lang)
        sections = (words.sections + words.worker) if words is not None else []
        return next((r for sec in sections for r in sec.readings if r.path == path), None)

    def _save(self, path: str, new: Any, reason: str) -> None:
        assert self.record_id is not None
        try:
            self.console.correct(self.record_id, path, new, reason.strip(), lang=self.lang)
        except EXPECTED as exc:
            self._fail(exc)
            return
        self.correcting = None
        self.picked = ()
        self.reason_draft = ""
        self.notice = Notice("corrected", error=False)

    def ask_erase(self) -> None:
        self.confirm_erase = True
        self.notice = None

    def cancel_erase(self) -> None:
        self.confirm_erase = False

    def erase(self) -> None:
        if self.record_id is None or not self.confirm_erase:
            return
        try:
            result = self.console.erase(self.record_id)
        except EXPECTED as exc:
            self._fail(exc)
            return
        self.confirm_erase = False
        self.record_id = None
        self.route = Route.RECORDS
        code = "erased_everywhere" if result.server_done else "erased_here_only"
        self.notice = Notice(code, error=not result.server_done)

    # --- export ----------------------------------------------------------------------------

    def export(self, fmt: str, record_id: str | None = None) -> Path | None:
        self.notice = None
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        name = f"record-{record_id[:8]}-{stamp}.{fmt}" if record_id else f"records-{stamp}.{fmt}"
        target = self.export_dir / name
        try:
            result = self.console.export(fmt, target, record_ids=[record_id] if record_id else None)
        except EXPECTED as exc:
            self._fail(exc)
            return None
        self.notice = Notice(
            "exported", {"records": result.records, "file": str(target)}, error=False
        )
        return target
