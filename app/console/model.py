"""What the coordinator console does, without any interface: a view-model free of Flet.

The console pulls sealed envelopes from the agency server with a coordinator token, opens them
with the agency private key on this machine, and keeps them in its own encrypted store
(:mod:`app.console.store`). From there it gives dashboard figures, the record list, each
record's pathways with their follow-up history, erasure (here and on the server, audited) and
exports through :mod:`app.console.export`.
"""

from __future__ import annotations

import functools
import ssl
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.console import export as ex
from app.console import reading as rd
from app.console import slips as sl
from app.console import table as tbl
from app.console.errors import ConsoleError
from app.console.store import (
    STATES,
    TRANSITIONS,
    ConsoleStore,
    Correction,
    FollowUp,
    NewRecord,
    StoredRecord,
    Summary,
)
from app.console.words import humanise, slip_words
from app.engine import Questionnaire, QuestionnaireError, load_questionnaire
from app.i18n import translator
from app.store import crypto
from sync.client import CoordinatorClient
from sync.errors import SyncError
from sync.protocol import EnvelopeOut, case_code, digest_of

PAGE_LIMIT = 500


@dataclass
class PullResult:
    """What one pull brought: new records kept, ones already kept, ones that did not open."""

    new: int = 0
    already: int = 0
    unreadable: list[str] = field(default_factory=list)
    erasures_sent: int = 0


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    site: str
    role: str
    last_seen_at: str | None
    revoked: bool
    records: int
    waiting: int | None = None  # sealed records still on the device at its last upload


@dataclass
class Dashboard:
    """Counts of distinct records; each list is (key, count) in display order."""

    total: int = 0
    per_site: list[tuple[str, int]] = field(default_factory=list)
    per_week: list[tuple[str, int]] = field(default_factory=list)
    per_pathway: list[tuple[str, int]] = field(default_factory=list)
    pathway_states: dict[str, dict[str, int]] = field(default_factory=dict)
    flags_by_dimension: list[tuple[str, int]] = field(default_factory=list)
    devices: list[DeviceRow] = field(default_factory=list)
    erased: int = 0
    unreadable: int = 0


@dataclass(frozen=True)
class RecordRow:
    id: str
    site: str
    device_id: str
    form_id: str
    received_on: str
    week: str
    language: str
    pathways: list[str]
    flags: int
    states: dict[str, str]
    conflict: bool


@dataclass(frozen=True)
class PathwayView:
    id: str
    state: str | None
    next_states: list[str]
    history: list[FollowUp]


@dataclass(frozen=True)
class Answer:
    path: str
    value: Any
    original: Any
    corrected: bool


@dataclass(frozen=True)
class RecordDetail:
    row: RecordRow
    versions: list[StoredRecord]
    pathways: list[PathwayView]
    flags: list[dict[str, Any]]
    answers: list[Answer]
    corrections: list[Correction]


@dataclass(frozen=True)
class EraseResult:
    record_id: str
    local: dict[str, int]
    server_done: bool
    server_count: int | None


@dataclass
class Labels:
    """Worker-facing labels of pathways, flags and ILO dimensions from the questionnaires, in
    one language; an id no questionnaire labels is shown humanised."""

    pathways: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)

    def pathway(self, ident: str) -> str:
        return self.pathways.get(ident) or humanise(ident)

    def flag(self, ident: str) -> str:
        return self.flags.get(ident) or humanise(ident)

    def dimension(self, ident: str) -> str:
        return self.dimensions.get(ident) or humanise(ident)


def load_labels(folder: Path | None, lang: str) -> Labels:
    """Labels from every questionnaire in ``folder`` that loads and has outcome rules."""
    labels = Labels()
    if folder is None or not folder.is_dir():
        return labels
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml", ".xlsx", ".xls"):
            continue
        try:
            rules = load_questionnaire(path.read_bytes(), path.name).outcome
        except (QuestionnaireError, OSError):  # one that does not load labels nothing
            continue
        if rules is None:
            continue
        for d in getattr(rules, "dimensions", ()):
            labels.dimensions.setdefault(d.id, d.label_in(lang))
        for rule in getattr(rules, "_flag_list", ()):
            labels.flags.setdefault(rule.id, _text(rule.label, lang))
        for rule in getattr(rules, "_pathways", ()):
            labels.pathways.setdefault(rule.id, _text(rule.label, lang))
    return labels


def _text(text: Any, lang: str) -> str:
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("en") or next(iter(text.values()), ""))
    return str(text or "")


def _corrected(values: dict[str, Any], corrections: Sequence[Correction]) -> dict[str, Any]:
    out = dict(values)
    for c in corrections:
        out[c.path] = c.value
    return out


def _day(value: object) -> str:
    """The ISO date of an ISO date or datetime text, or ""."""
    text = str(value or "")
    if len(text) >= 10 and _iso_date(text[:10]) and (len(text) == 10 or text[10] in "T "):
        return text[:10]  # what parsing the whole text gives, without parsing it
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return ""


@functools.lru_cache(maxsize=4096)
def _iso_date(text: str) -> bool:
    """Whether ``text`` is a valid ISO date (a table's records fall on a few hundred days)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def trust(ca_file: Path) -> ssl.SSLContext:
    """A TLS context that trusts the certificates in ``ca_file`` (PEM: the agency server's
    own self-signed certificate, or the agency's certificate authority) and still checks the
    server's name; ``ca_file_unreadable`` when the file holds none."""
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError, ValueError):
        raise ConsoleError("ca_file_unreadable", file=str(ca_file)) from None


def iso_week(value: str | None, fallback: str) -> str:
    """``2026-W48`` for an ISO date or datetime text (else the fallback's week)."""
    for text in (value, fallback):
        if not text:
            continue
        try:
            d = datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()
        except ValueError:
            try:
                d = date.fromisoformat(str(text)[:10])
            except ValueError:
                continue
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    return ""


class Console:
    """The console for one server, one token and one data folder.

    ``unlock`` first (the private key and its passphrase); every other call needs it.
    ``transport`` is the seam tests use to reach the server app in process.
    """

    def __init__(
        self,
        server_url: str,
        token: str,
        data_dir: Path,
        *,
        actor: str = "",
        transport: httpx.BaseTransport | None = None,
        kdf: crypto.KdfParams = crypto.DEFAULT_KDF,
        questionnaires_dir: Path | None = None,
        sites_dir: Path | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self._verify = trust(ca_file) if ca_file is not None else True
        self._token = token.strip()
        self.data_dir = data_dir
        self.actor = actor.strip()
        self._transport = transport
        self._kdf = kdf
        self.questionnaires_dir = questionnaires_dir
        self.sites_dir = sites_dir
        self._key: crypto.AgencyPrivateKey | None = None
        self._store: ConsoleStore | None = None
        self._index: tuple[list[tbl.Submission], tbl.Facets] | None = None
        self._questionnaires: dict[tuple[str, str], Questionnaire | None] = {}
        self._orders: dict[tuple[tbl.Column, bool], list[tbl.Submission]] = {}
        self._cases: dict[str, list[tbl.Submission]] | None = None
        self._positions: dict[str, int] | None = None  # record id -> its row in the index
        self._follow_counts: Counter[str] | None = None  # follow-up state -> rows in it

    def __repr__(self) -> str:
        return f"Console(server_url={self.server_url!r}, unlocked={self.unlocked})"

    # --- unlocking -------------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self._store is not None and self._key is not None

    @property
    def store(self) -> ConsoleStore:
        if self._store is None:
            raise ConsoleError("locked")
        return self._store

    @property
    def key(self) -> crypto.AgencyPrivateKey:
        if self._key is None:
            raise ConsoleError("locked")
        return self._key

    def unlock_file(self, key_path: Path | str, passphrase: str, previous: str = "") -> None:
        """Read the private key file and :meth:`unlock` with it."""
        path = Path(str(key_path).strip()).expanduser()
        try:
            pem = path.read_bytes()
        except OSError:
            raise ConsoleError("key_file_unreadable") from None
        self.unlock(pem, passphrase, previous)

    def unlock(self, pem: bytes, passphrase: str, previous: str = "") -> None:
        """Load the agency private key and open the console store with the same passphrase.

        After the key's passphrase was changed, ``previous`` (the old one) opens the store once
        and the store is wrapped again under the new passphrase."""
        if not passphrase:
            raise ConsoleError("passphrase_required")
        try:
            key = ex.load_key(pem, passphrase)
        except ex.ExportError:
            raise ConsoleError("key_unreadable") from None
        store = ConsoleStore.open(
            self.data_dir,
            previous or passphrase,
            agency_fingerprint=key.fingerprint,
            kdf=self._kdf,
        )
        if previous and previous != passphrase:
            try:
                store.change_passphrase(passphrase, self.actor or "console", kdf=self._kdf)
            except BaseException:
                store.close()
                raise
        self.lock()
        self._key, self._store = key, store

    def lock(self) -> None:
        """Forget the key and close the store."""
        if self._store is not None:
            self._store.close()
        self._store = None
        self._key = None
        self._changed()

    # --- server ----------------------------------------------------------------------------

    def _client(self) -> CoordinatorClient:
        return CoordinatorClient(
            self.server_url, self._token, transport=self._transport, verify=self._verify
        )

    def pull(self, progress: Callable[[int], None] | None = None) -> PullResult:
        """Fetch new envelopes, open and keep them; refresh devices; retry pending erasures.

        The cursor kept is the server's ``settled_since``, so an envelope committed out of
        order is never missed (seen twice at worst; the store keeps it once)."""
        store, key = self.store, self.key
        result = PullResult()
        with self._client() as http:
            for record_id in store.pending_erasures():
                self._erase_on_server(http, record_id)
                result.erasures_sent += 1
            devices = http.devices()
            store.put_devices(
                [
                    {
                        "id": d.device_id,
                        "name": d.name,
                        "site": d.site,
                        "role": d.role,
                        "enrolled_at": d.enrolled_at.isoformat(),
                        "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
                        "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
                        "waiting": d.waiting,
                    }
                    for d in devices
                ]
            )
            sites = {d.device_id: d.site for d in devices}
            since = store.since
            settled, frozen = since, False
            for page in http.pages(since, PAGE_LIMIT):
                opened = [
                    kept
                    for env in page.envelopes
                    if (kept := self._open(store, key, env, sites, result)) is not None
                ]
                added = store.add_records(opened)
                result.new += added
                result.already += len(opened) - added
                if not frozen:
                    # the cursor moves only over envelopes surely committed before them all
                    settled = max(settled, page.settled_since)
                    frozen = page.settled_since < page.next_since
                    store.set_since(settled)
                if progress is not None:
                    progress(result.new)
        if result.new:
            self._changed()
        store.audit(
            "pull",
            self.actor or "console",
            new=result.new,
            already=result.already,
            unreadable=len(result.unreadable),
        )
        return result

    def _open(
        self,
        store: ConsoleStore,
        key: crypto.AgencyPrivateKey,
        env: EnvelopeOut,
        sites: dict[str, str],
        result: PullResult,
    ) -> NewRecord | None:
        """Open one envelope; one that does not open is noted and None returned."""
        sealed = ex.sealed_from(env)
        digest = digest_of(sealed.sealed)
        payload = ex.open_envelope(key, sealed)
        if payload is None:
            result.unreadable.append(sealed.record_id)
            store.note_unreadable(sealed.record_id, digest, env.seq)
            return None
        return NewRecord(
            record_id=sealed.record_id,
            digest=digest,
            seq=env.seq,
            device_id=env.device_id,
            site=sites.get(env.device_id) or store.site_of(env.device_id),
            form_id=env.form_id,
            form_version=env.form_version,
            received_at=env.received_at,
            conflict=env.conflict,
            payload=payload,
        )

    # --- reading ---------------------------------------------------------------------------

    def _firsts(self) -> tuple[list[StoredRecord], set[str]]:
        """One version per record id (the first received), in arrival order, and the ids
        that have more than one version."""
        return _first_versions(self.store.records())

    def _first_summaries(self) -> tuple[list[Summary], set[str]]:
        """As :meth:`_firsts`, from the records' summaries (no answer is decrypted)."""
        return _first_versions(self.store.summaries())

    def _row(
        self, rec: StoredRecord, states: dict[tuple[str, str], FollowUp], conflicted: bool
    ) -> RecordRow:
        p = rec.payload
        return RecordRow(
            id=rec.id,
            site=rec.site,
            device_id=rec.device_id,
            form_id=rec.form_id,
            received_on=rec.received_on,
            week=iso_week(p.get("finalised_at"), rec.received_on),
            language=str(p.get("language") or ""),
            pathways=rec.pathways,
            flags=len(rec.flags),
            states={
                pw: states[(rec.id, pw)].state for pw in rec.pathways if (rec.id, pw) in states
            },
            conflict=rec.conflict or conflicted,
        )

    # --- the submissions table -------------------------------------------------------------

    def submissions(self) -> tuple[list[tbl.Submission], tbl.Facets]:
        """Every record as a table row, and the values its filters offer; built in memory
        from the open store once, and again after anything that changes a row."""
        if self._index is None:
            by_record: dict[str, dict[str, str]] = {}
            for (rid, pw), entry in self.store.all_states().items():
                by_record.setdefault(rid, {})[pw] = entry.state
            firsts, conflicted = self._first_summaries()
            # the store's listing already holds each pathway and flag once; this runs once
            # per record
            none: dict[str, str] = {}
            rows = [
                tbl.Submission(
                    rec.id,
                    case_code(rec.id),
                    rec.site,
                    _day(rec.finalised_at) or rec.received_on,
                    rec.received_on,
                    rec.form_id,
                    rec.form_version,
                    rec.language,
                    rec.pathways,
                    tuple([f[0] for f in rec.flags]) if rec.flags else (),
                    (
                        {p: got[p] for p in rec.pathways if p in got}
                        if (got := by_record.get(rec.id))
                        else none
                    ),
                    rec.conflict or rec.id in conflicted,
                    rec.seq,
                )
                for rec in firsts
            ]
            self._index = (rows, tbl.facets(rows))
        return self._index

    def table(self, query: tbl.TableQuery | None = None) -> tbl.TablePage:
        """One page of the submissions table. Each order asked for is kept while the table
        does not change, so paging and filtering do not sort again; a whole case code is
        looked up directly."""
        q = query or tbl.TableQuery()
        rows, known = self.submissions()
        code = tbl.normalise_code(q.search)
        if len(code) == 8:
            rows = list(self._by_case().get(code, ()))
        else:
            order = (q.sort, q.descending)
            if order not in self._orders:
                self._orders[order] = tbl.sort_rows(rows, q.sort, q.descending)
            rows = self._orders[order]
        page = tbl.query(rows, q, known=known, presorted=len(code) != 8)
        return replace(page, total=len(self.submissions()[0]))

    def _by_case(self) -> dict[str, list[tbl.Submission]]:
        if self._cases is None:
            self._cases = {}
            for row in self.submissions()[0]:
                self._cases.setdefault(row.case.replace("-", ""), []).append(row)
        return self._cases

    def _changed(self) -> None:
        self._index = None
        self._orders = {}
        self._cases = None
        self._positions = None
        self._follow_counts = None

    def rows(self) -> list[RecordRow]:
        """The record list, newest first."""
        states = self.store.all_states()
        firsts, conflicted = self._firsts()
        return [self._row(r, states, r.id in conflicted) for r in reversed(firsts)]

    def detail(self, record_id: str) -> RecordDetail:
        versions = self.store.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        states = self.store.all_states()
        history = self.store.history(record_id)
        first = versions[0]
        pathways = []
        for pw in dict.fromkeys(p for v in versions for p in v.pathways):
            entries = [h for h in history if h.pathway == pw]
            state = entries[-1].state if entries else None
            nexts = [s for s in STATES if s in TRANSITIONS[state]]
            pathways.append(PathwayView(pw, state, nexts, entries))
        corrections = self.store.corrections(record_id)
        original = dict(first.payload.get("values") or {})
        current = _corrected(original, corrections)
        answers = [
            Answer(
                path, current.get(path), original.get(path), path in {c.path for c in corrections}
            )
            for path in current
        ]
        return RecordDetail(
            self._row(first, states, len(versions) > 1),
            versions,
            pathways,
            first.flags,
            answers,
            corrections,
        )

    def dashboard(self) -> Dashboard:
        store = self.store
        firsts, _conflicted = self._first_summaries()
        states = store.all_states()
        sites: Counter[str] = Counter()
        weeks: Counter[str] = Counter()
        pathways: Counter[str] = Counter()
        dims: Counter[str] = Counter()
        per_device: Counter[str] = Counter()
        pw_states: dict[str, Counter[str]] = {}
        for rec in firsts:
            sites[rec.site] += 1
            weeks[iso_week(rec.finalised_at, rec.received_on)] += 1
            per_device[rec.device_id] += 1
            for pw in rec.pathways:
                pathways[pw] += 1
                entry = states.get((rec.id, pw))
                pw_states.setdefault(pw, Counter())[entry.state if entry else "open"] += 1
            for _flag, dimension in rec.flags:
                if dimension:
                    dims[dimension] += 1
        devices = [
            DeviceRow(
                id=d["id"],
                name=d["name"],
                site=d["site"],
                role=d["role"],
                last_seen_at=d["last_seen_at"],
                revoked=d["revoked_at"] is not None,
                records=per_device.get(d["id"], 0),
                waiting=d["waiting"],
            )
            for d in store.devices()
        ]
        return Dashboard(
            total=len(firsts),
            per_site=sorted(sites.items(), key=lambda kv: (-kv[1], kv[0])),
            per_week=sorted(weeks.items()),
            per_pathway=sorted(pathways.items(), key=lambda kv: (-kv[1], kv[0])),
            pathway_states={k: dict(v) for k, v in pw_states.items()},
            flags_by_dimension=sorted(dims.items(), key=lambda kv: (-kv[1], kv[0])),
            devices=devices,
            erased=len(store.erasures()),
            unreadable=len(store.unreadable()),
        )

    # --- acting ----------------------------------------------------------------------------

    def follow(self, record_id: str, pathway: str, state: str, note: str = "") -> FollowUp:
        """Move one pathway of one record to ``state``, as the coordinator ``actor``."""
        if not self.actor:
            raise ConsoleError("actor_required", record_id=record_id)
        entry = self.store.follow(record_id, pathway, state, self.actor, note=note)
        self._restate(record_id)
        return entry

    def _restate(self, record_id: str) -> None:
        """After a follow-up step only that record's row changes: it is replaced in the
        table and in each kept order (the follow-up order is sorted again when next asked
        for), so a coordinator working through 100,000 records does not wait for the table
        to be built again after every step."""
        if self._index is None:
            return
        rows, known = self._index
        if self._positions is None:
            self._positions = {r.record_id: i for i, r in enumerate(rows)}
        pos = self._positions.get(record_id)
        if pos is None:
            self._changed()
            return
        old = rows[pos]
        states = {pw: e.state for pw, e in self.store.states(record_id).items()}
        new = old._replace(states={p: states[p] for p in old.pathways if p in states})
        rows[pos] = new
        for order_key in list(self._orders):
            order = self._orders[order_key]
            if order_key[0] is tbl.Column.follow_up:
                del self._orders[order_key]
                continue
            at = next(i for i, r in enumerate(order) if r is old)
            order[at] = new
        if self._cases is not None:
            same = self._cases.get(old.case.replace("-", ""), [])
            self._cases[old.case.replace("-", "")] = [new if r is old else r for r in same]
        if self._follow_counts is None:
            self._follow_counts = Counter(s for r in rows if r is not new for s in r.follow_states)
            self._follow_counts.update(old.follow_states)
        self._follow_counts.subtract(old.follow_states)
        self._follow_counts.update(new.follow_states)
        follow = [s for s, n in self._follow_counts.items() if n > 0]
        self._index = (rows, replace(known, follow=tbl.follow_order(follow)))

    def correct(
        self, record_id: str, path: str, value: Any, reason: str = "", lang: str = "en"
    ) -> Correction:
        """Correct one answer at the person's request, once the engine has checked the new
        value against the question's type, choices and constraint (with the record's other
        answers in place); the original stays, the history too. A calculation, metadata or a
        value of a questionnaire this console does not have is never corrected."""
        if not self.actor:
            raise ConsoleError("actor_required", record_id=record_id)
        versions = self.store.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        first = versions[0]
        q = self.questionnaire(first.form_id, first.form_version)
        if q is None:
            raise ConsoleError("questionnaire_missing", record_id=record_id, form=first.form_id)
        original = dict(first.payload.get("values") or {})
        if path not in original:
            raise ConsoleError("answer_unknown", record_id=record_id)
        current = _corrected(original, self.store.corrections(record_id))
        stored, refusal = rd.check_correction(q, current, path, value, lang)
        if refusal is not None:
            raise ConsoleError(
                "correction_refused",
                record_id=record_id,
                reason=refusal.code,
                message=refusal.message,
            )
        return self.store.correct(record_id, path, stored, self.actor, reason=reason)

    # --- audit export ----------------------------------------------------------------------

    def export_audit(self, fmt: str, output: Path) -> int:
        """Write the audit log with its chain head as ``csv`` or ``json`` to a new private
        file; the number of entries written (the export itself is audited after it)."""
        if fmt not in ("csv", "json"):
            raise ConsoleError("format_unknown", format=fmt)
        text = self.store.export_audit(fmt)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            with ex.private_file(output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except ex.ExportError as exc:
            raise ConsoleError(exc.code, **exc.params) from None
        except OSError:
            raise ConsoleError("export_unwritable") from None
        head = self.store.audit_head()
        self.store.audit("audit_export", self.actor or "console", format=fmt)
        return head[0] if head else 0

    # --- referral slips ---------------------------------------------------------------------

    def directory(self, site: str) -> list[dict[str, Any]]:
        """The site's referral directory from ``sites_dir`` (``<site>.yaml``, else
        ``default.yaml``: the files the server gives that site's devices)."""
        import yaml

        folder = self.sites_dir
        if folder is None:
            return []
        for name in (site, "default"):
            path = folder / f"{name}.yaml"
            if name and "/" not in name and not name.startswith(".") and path.is_file():
                try:
                    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                except (yaml.YAMLError, UnicodeDecodeError, OSError):
                    raise ConsoleError("directory_unreadable", site=name) from None
                entries = loaded.get("referral_directory") if isinstance(loaded, dict) else None
                return [dict(e) for e in entries or [] if isinstance(e, dict)]
        return []

    def slip(self, record_id: str, pathway: str) -> sl.Slip:
        """The referral slip for one pathway of one record: only the answers that raised it,
        only when the person consented to this referral (or it is the duty of care), in the
        partner service's language with its directory contact."""
        versions = self.store.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        first = versions[0]
        q = self.questionnaire(first.form_id, first.form_version)
        if q is None:
            raise ConsoleError("questionnaire_missing", record_id=record_id, form=first.form_id)
        directory = self.directory(first.site)
        entry = sl.entry_for(directory, pathway) or {}
        lang = str(entry.get("language") or "")
        lang = lang if lang in q.languages else q.default_language
        payload = {
            **first.payload,
            "values": _corrected(
                dict(first.payload.get("values") or {}), self.store.corrections(record_id)
            ),
        }
        try:
            return sl.build(
                q,
                payload,
                pathway,
                site=first.site,
                day=_day(first.payload.get("finalised_at")) or first.received_on,
                directory=directory,
                words=slip_words(translator(lang)),
            )
        except sl.SlipRefused as exc:
            raise ConsoleError(exc.code, record_id=record_id, **exc.params) from None

    def write_slip(self, record_id: str, pathway: str, fmt: str, output: Path) -> sl.Slip:
        """Write the slip as ``pdf`` or ``txt`` to a new private file; the audit log records
        which record, which pathway and who, never what the slip says."""
        if fmt not in ("pdf", "txt"):
            raise ConsoleError("format_unknown", format=fmt)
        if not self.actor:
            raise ConsoleError("actor_required", record_id=record_id)
        slip = self.slip(record_id, pathway)
        data = sl.pdf(slip) if fmt == "pdf" else sl.text(slip).encode("utf-8")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            with ex.private_file(output, "wb") as fh:
                fh.write(data)
        except ex.ExportError as exc:
            raise ConsoleError(exc.code, **exc.params) from None
        except OSError:
            raise ConsoleError("export_unwritable") from None
        self.store.audit("slip", self.actor, record_id, pathway=pathway, format=fmt)
        return slip

    def questionnaire(self, form_id: str, version: str) -> Questionnaire | None:
        """The questionnaire a record was answered with (that version, else the newest file
        with its form id), loaded once; None when this console has none."""
        key = (form_id, version)
        if key not in self._questionnaires:
            found: Questionnaire | None = None
            folder = self.questionnaires_dir
            if folder is not None and folder.is_dir():
                path = ex.find_questionnaire(folder, form_id, version)
                path = path or ex.find_questionnaire(folder, form_id)
                if path is not None:
                    try:
                        found = load_questionnaire(path.read_bytes(), path.name)
                    except (QuestionnaireError, OSError):
                        found = None
            self._questionnaires[key] = found
        return self._questionnaires[key]

    def words(self, record_id: str, lang: str) -> rd.RecordWords | None:
        """The record in words in ``lang`` (corrections applied, originals beside); None
        when this console does not have its questionnaire."""
        versions = self.store.record(record_id)
        if not versions:
            raise ConsoleError("record_unknown", record_id=record_id)
        first = versions[0]
        q = self.questionnaire(first.form_id, first.form_version)
        if q is None:
            return None
        original = dict(first.payload.get("values") or {})
        fixes = _corrected({}, self.store.corrections(record_id))
        return rd.read(q, original, lang, fixes)

    def erase(self, record_id: str) -> EraseResult:
        """Erase a record here and on the server (an erasure waits here until the server
        confirms it; the next pull sends it again)."""
        if not self.actor:
            raise ConsoleError("actor_required", record_id=record_id)
        if not self.store.record(record_id) and record_id not in self.store.pending_erasures():
            raise ConsoleError("record_unknown", record_id=record_id)
        local = self.store.erase_local(record_id, self.actor)
        self._changed()
        try:
            with self._client() as http:
                count = self._erase_on_server(http, record_id)
        except SyncError:
            return EraseResult(record_id, local, False, None)
        return EraseResult(record_id, local, True, count)

    def _erase_on_server(self, http: CoordinatorClient, record_id: str) -> int:
        count = http.erase(record_id)
        self.store.server_erased(record_id, count, self.actor or "console")
        return count

    # --- export ----------------------------------------------------------------------------

    def opened(self, record_ids: Sequence[str] | None = None) -> list[ex.OpenedRecord]:
        """Kept records in the shape :mod:`app.console.export` writes."""
        wanted = set(record_ids) if record_ids is not None else None
        fixes: dict[str, list[Correction]] = {}
        for c in self.store.corrections():
            fixes.setdefault(c.record_id, []).append(c)
        out = []
        for rec in self.store.records():
            if wanted is not None and rec.id not in wanted:
                continue
            received = datetime.fromisoformat(rec.received_at) if rec.received_at else None
            sealed = ex.Sealed(
                record_id=rec.id,
                device_id=rec.device_id,
                form_id=rec.form_id,
                form_version=rec.form_version,
                sealed=b"",
                seq=rec.seq,
                received_at=received,
                conflict=rec.conflict,
            )
            payload = rec.payload
            if rec.id in fixes:
                payload = {
                    **payload,
                    "values": _corrected(payload.get("values") or {}, fixes[rec.id]),
                }
            out.append(ex.OpenedRecord(sealed, payload))
        return out

    def export(
        self,
        fmt: str,
        output: Path,
        *,
        record_ids: Sequence[str] | None = None,
        plan: ex.ColumnPlan | None = None,
    ) -> ex.ExportResult:
        """Write kept records as CSV, XLSX or JSON (one record's, to serve a right of access)."""
        if fmt not in ex.FORMATS:
            raise ConsoleError("format_unknown", format=fmt)
        records = self.opened(record_ids)
        if plan is None:
            plan = self._plan(records)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise ConsoleError("export_unwritable") from None
        try:
            ex.write(records, fmt, output, plan=plan)
        except ex.ExportError as exc:
            raise ConsoleError(exc.code, **exc.params) from None
        self.store.audit(
            "export",
            self.actor or "console",
            format=fmt,
            records=len(records),
            single=record_ids is not None,
        )
        return ex.ExportResult(records=len(records))

    def _plan(self, records: Sequence[ex.OpenedRecord]) -> ex.ColumnPlan | None:
        """The questionnaire's column plan when every record has one form and it is found."""
        forms = {(r.envelope.form_id, r.envelope.form_version) for r in records}
        if len({f for f, _v in forms}) != 1 or self.questionnaires_dir is None:
            return None
        form_id, version = next(iter(forms))
        path = ex.find_questionnaire(self.questionnaires_dir, form_id, version)
        path = path or ex.find_questionnaire(self.questionnaires_dir, form_id)
        if path is None:
            return None
        try:
            return ex.load_plan(path)
        except ex.ExportError:
            return None


_R = TypeVar("_R", StoredRecord, Summary)


def _first_versions(items: Iterable[_R]) -> tuple[list[_R], set[str]]:
    """The first version of each record id, in arrival order, and the ids seen more than once."""
    seen: dict[str, _R] = {}
    conflicted: set[str] = set()
    for rec in items:
        if rec.id in seen:
            conflicted.add(rec.id)
            continue
        seen[rec.id] = rec
    return list(seen.values()), conflicted
