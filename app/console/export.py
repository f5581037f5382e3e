"""Open sealed envelopes with the agency private key and write them as Kobo/ODK-style tables.

Columns are named as Kobo and ODK exports name them: ``group/question``; a select_multiple is
one space-separated column plus one 0/1 column per choice (``group/question/choice``), choices
taken from the questionnaire when one is given. The outcome's flags and pathways follow, as
space-separated ids plus one 0/1 column each.

Errors carry codes (:class:`ExportError`); an envelope that does not open is counted and
reported by record id, never stopping the others.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import ssl
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import httpx

from app.console.errors import ExportError as ExportError  # its home before the one tree
from app.store import crypto
from sync.client import CoordinatorClient
from sync.protocol import EnvelopeOut

FORMATS = ("csv", "xlsx", "json")

META_COLUMNS = (
    "_id",
    "_uuid",
    "meta/instanceID",
    "_submission_time",
    "_xform_id_string",
    "_version",
    "_device_id",
    "_conflict",
    "language",
    "start",
    "end",
)


class SealedEnvelope(Protocol):
    """What export needs of a stored envelope (a server row or an API item)."""

    record_id: str
    device_id: str
    form_id: str
    form_version: str
    sealed: bytes
    seq: int
    received_at: datetime | None
    conflict: bool


@dataclass
class Sealed:
    record_id: str
    device_id: str
    form_id: str
    form_version: str
    sealed: bytes
    seq: int = 0
    received_at: datetime | None = None
    conflict: bool = False


@dataclass
class OpenedRecord:
    envelope: Sealed
    payload: dict[str, Any]


@dataclass
class ColumnPlan:
    """Answer columns in questionnaire order and the choices of each select_multiple."""

    paths: list[str] = field(default_factory=list)
    multiple: dict[str, list[str]] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    pathways: list[str] = field(default_factory=list)

    @classmethod
    def from_questionnaire(cls, questionnaire: Any) -> ColumnPlan:
        """Walk the engine's questionnaire model (items with path, type and choice list)."""
        plan = cls()
        root = getattr(questionnaire, "root", None)
        items = root.walk() if root is not None else getattr(questionnaire, "items", ())
        for item in items:
            kind = getattr(item, "type", "")
            path = getattr(item, "path", "") or getattr(item, "name", "")
            if kind in ("group", "repeat", "note", "") or not path or item is root:
                continue
            plan.paths.append(path)
            if kind == "select_multiple":
                choices = questionnaire.choices.get(item.choice_list, ())
                plan.multiple[path] = [c.name for c in choices]
        outcome = getattr(questionnaire, "outcome", None)
        if outcome is not None:
            plan.flags = [str(f) for f in outcome.flag_ids]
            plan.pathways = [str(p) for p in outcome.pathway_ids]
        return plan


@dataclass
class ExportResult:
    records: int = 0
    unreadable: list[str] = field(default_factory=list)


# --- sources ----------------------------------------------------------------------------------


def sealed_from(env: EnvelopeOut) -> Sealed:
    """An envelope as the coordinator API returns it, with its sealed bytes decoded."""
    return Sealed(
        record_id=str(env.id),
        device_id=env.device_id,
        form_id=env.form_id,
        form_version=env.form_version,
        sealed=base64.b64decode(env.sealed),
        seq=env.seq,
        received_at=env.received_at,
        conflict=env.conflict,
    )


def envelopes_from_server(
    url: str,
    token: str,
    transport: httpx.BaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
) -> Iterator[Sealed]:
    """Every envelope, paged from the server's coordinator endpoint through the one
    coordinator client (its :mod:`sync.errors` codes pass through unchanged; ``verify``: the
    TLS trust for a self-signed server, see :func:`app.console.model.trust`)."""
    with CoordinatorClient(url, token, transport=transport, verify=verify) as client:
        for env in client.envelopes():
            yield sealed_from(env)


# --- opening ----------------------------------------------------------------------------------


def load_key(pem: bytes, passphrase: str) -> crypto.AgencyPrivateKey:
    try:
        return crypto.load_agency_private_key(pem, passphrase)
    except crypto.CryptoError as exc:
        raise ExportError("key_unreadable") from exc


def well_formed(payload: Any, record_id: str) -> bool:
    """Whether an opened payload has the shape the console and the export read: a mapping
    naming this record, whose ``values`` and ``outcome`` are mappings and whose outcome
    ``flags`` and ``pathways`` are lists (docs/CONTRACTS.md). Anything else is counted as
    unreadable when it arrives, so one odd envelope never breaks every later view."""
    if not isinstance(payload, dict) or str(payload.get("record_id")) != record_id:
        return False
    values, outcome = payload.get("values"), payload.get("outcome")
    if values is not None and not isinstance(values, dict):
        return False
    if outcome is None:
        return True
    if not isinstance(outcome, dict):
        return False
    return all(isinstance(outcome.get(k) or [], list) for k in ("flags", "pathways"))


def open_envelope(key: crypto.AgencyPrivateKey, env: Sealed) -> dict[str, Any] | None:
    """The one way an envelope is opened (export and console alike): the payload, or None
    when it does not open with this key, was sealed for another record or device, or is not
    the shape docs/CONTRACTS.md gives a sealed record."""
    info = crypto.envelope_info(env.record_id, env.device_id, env.form_id, env.form_version)
    try:
        payload = json.loads(crypto.open_sealed(key, env.sealed, info))
    except (crypto.CryptoError, ValueError):
        return None
    return payload if well_formed(payload, env.record_id) else None


def open_envelopes(
    envelopes: Iterable[Sealed],
    key: crypto.AgencyPrivateKey,
    result: ExportResult,
    form_id: str | None = None,
) -> Iterator[OpenedRecord]:
    """Decrypt each envelope; a failure is noted by record id and skipped."""
    for env in envelopes:
        if form_id and env.form_id != form_id:
            continue
        payload = open_envelope(key, env)
        if payload is None:
            result.unreadable.append(env.record_id)
            continue
        result.records += 1
        yield OpenedRecord(env, payload)


# --- tabulating -------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _ids(items: Any) -> list[str]:
    return [str(i.get("id")) for i in items or () if isinstance(i, Mapping) and i.get("id")]


def tabulate(
    records: Sequence[OpenedRecord], plan: ColumnPlan | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows): questionnaire columns first, then any others seen, then the outcome."""
    plan = plan or ColumnPlan()
    paths = list(plan.paths)
    multiple = {k: list(v) for k, v in plan.multiple.items()}
    flags, pathways = list(plan.flags), list(plan.pathways)
    for rec in records:
        for path, value in (rec.payload.get("values") or {}).items():
            if path not in paths:
                paths.append(path)
            if path in multiple and isinstance(value, list):
                multiple[path].extend(v for v in map(str, value) if v not in multiple[path])
        outcome = rec.payload.get("outcome") or {}
        flags.extend(f for f in _ids(outcome.get("flags")) if f not in flags)
        pathways.extend(p for p in _ids(outcome.get("pathways")) if p not in pathways)

    columns = list(META_COLUMNS)
    for path in paths:
        columns.append(path)
        columns.extend(f"{path}/{choice}" for choice in multiple.get(path, ()))
    columns.append("outcome/flags")
    columns.extend(f"outcome/flags/{f}" for f in flags)
    columns.append("outcome/pathways")
    columns.extend(f"outcome/pathways/{p}" for p in pathways)

    rows = [_row(rec, paths, multiple, flags, pathways) for rec in records]
    return columns, rows


def _row(
    rec: OpenedRecord,
    paths: Sequence[str],
    multiple: Mapping[str, Sequence[str]],
    flags: Sequence[str],
    pathways: Sequence[str],
) -> dict[str, Any]:
    """One record's row of :func:`tabulate`: meta, answers (one 0/1 cell per choice of a
    select_multiple), then the outcome."""
    p, env = rec.payload, rec.envelope
    row: dict[str, Any] = {
        "_id": env.seq,
        "_uuid": env.record_id,
        "meta/instanceID": f"uuid:{env.record_id}",
        "_submission_time": env.received_at.isoformat() if env.received_at else "",
        "_xform_id_string": env.form_id,
        "_version": env.form_version,
        "_device_id": env.device_id,
        "_conflict": "1" if env.conflict else "0",
        "language": p.get("language", ""),
        "start": p.get("started_at", ""),
        "end": p.get("finalised_at", ""),
    }
    values = p.get("values") or {}
    for path in paths:
        value = values.get(path)
        row[path] = _cell(value)
        if path in multiple:
            picked = set(map(str, value)) if isinstance(value, list) else set()
            answered = path in values
            for choice in multiple[path]:
                row[f"{path}/{choice}"] = (1 if choice in picked else 0) if answered else ""
    outcome = p.get("outcome") or {}
    raised, sent = _ids(outcome.get("flags")), _ids(outcome.get("pathways"))
    row["outcome/flags"] = " ".join(raised)
    row["outcome/pathways"] = " ".join(sent)
    for f in flags:
        row[f"outcome/flags/{f}"] = 1 if f in raised else 0
    for pw in pathways:
        row[f"outcome/pathways/{pw}"] = 1 if pw in sent else 0
    return row


# --- writing ----------------------------------------------------------------------------------

#: What a spreadsheet program reads as the start of a formula (OWASP's list, with the
#: full-width forms some programs accept too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell or a header as a formula: text starting
    (after any spaces) with a formula character gets a leading apostrophe; numbers written
    as text (``-5``, ``+3.2``) and non-text values stay as they are."""
    if not isinstance(value, str) or not value.lstrip(" ").startswith(FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


@contextmanager
def private_file(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """A NEW file only its owner can read (0600, ``O_EXCL``: an existing file is never
    overwritten or followed through a link); when writing fails the partial file is removed,
    so no half-written copy of decrypted records is left behind."""
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except FileExistsError:
        raise ExportError("file_exists", file=str(path)) from None
    except OSError:
        raise ExportError("export_unwritable", file=str(path)) from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
    except OSError:
        path.unlink(missing_ok=True)
        raise ExportError("export_unwritable", file=str(path)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_csv(columns: list[str], rows: list[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow([formula_safe(c) for c in columns])
    for row in rows:
        writer.writerow([formula_safe(row.get(c, "")) for c in columns])


def write_xlsx(columns: list[str], rows: list[dict[str, Any]], out: Path | IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("records")

    def cell(value: Any) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value=formula_safe(value))
        if isinstance(c.value, str):
            c.data_type = "s"  # text stays text, never a formula
        return c

    sheet.append([cell(c) for c in columns])
    for row in rows:
        sheet.append([cell(row.get(col, "")) for col in columns])
    book.save(out)


def write_json(records: Sequence[OpenedRecord], out: IO[str]) -> None:
    data = [
        {
            "_id": r.envelope.seq,
            "_submission_time": (
                r.envelope.received_at.isoformat() if r.envelope.received_at else None
            ),
            "_conflict": r.envelope.conflict,
            **r.payload,
        }
        for r in records
    ]
    json.dump(data, out, ensure_ascii=False, indent=2, default=str)


def write(
    records: Sequence[OpenedRecord],
    fmt: str,
    output: Path | None,
    *,
    plan: ColumnPlan | None = None,
    stdout: IO[str] | None = None,
) -> None:
    """Write records as ``fmt`` to a new private file (or to ``stdout`` for csv and json)."""
    if fmt not in FORMATS:
        raise ExportError("format_unknown", format=fmt)
    if output is None and (fmt == "xlsx" or stdout is None):
        raise ExportError("output_required")
    if fmt == "json":
        if output is None:
            write_json(records, stdout)  # type: ignore[arg-type]
        else:
            with private_file(output, "w", encoding="utf-8") as fh:
                write_json(records, fh)
        return
    columns, rows = tabulate(records, plan)
    if fmt == "xlsx":
        assert output is not None
        with private_file(output, "wb") as fh:
            write_xlsx(columns, rows, fh)
    elif output is None:
        write_csv(columns, rows, stdout)  # type: ignore[arg-type]
    else:
        with private_file(output, "w", encoding="utf-8-sig", newline="") as fh:
            write_csv(columns, rows, fh)


def export(
    envelopes: Iterable[Sealed],
    key: crypto.AgencyPrivateKey,
    fmt: str,
    output: Path | None,
    *,
    plan: ColumnPlan | None = None,
    form_id: str | None = None,
    stdout: IO[str] | None = None,
) -> ExportResult:
    """Open every envelope and write one table (csv, xlsx) or list (json)."""
    if fmt not in FORMATS:
        raise ExportError("format_unknown", format=fmt)
    if fmt == "xlsx" and output is None:
        raise ExportError("output_required")
    result = ExportResult()
    records = list(open_envelopes(envelopes, key, result, form_id))
    write(records, fmt, output, plan=plan, stdout=stdout)
    return result


def find_questionnaire(folder: Path, form_id: str, version: str | None = None) -> Path | None:
    """The questionnaire file in ``folder`` with this form id (and version, when given)."""
    import yaml

    for path in sorted(folder.glob("*.y*ml")):
        try:
            head = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            continue
        if (
            isinstance(head, dict)
            and head.get("form_id") == form_id
            and (version is None or str(head.get("version")) == version)
        ):
            return path
    return None


def load_plan(path: Path) -> ColumnPlan:
    """A column plan from a questionnaire file, through the engine's loader."""
    try:
        from app.engine import QuestionnaireError, load_questionnaire
    except ImportError as exc:
        raise ExportError("questionnaire_unreadable", file=path.name) from exc
    try:
        return ColumnPlan.from_questionnaire(load_questionnaire(path.read_bytes(), path.name))
    except (QuestionnaireError, OSError) as exc:
        raise ExportError("questionnaire_unreadable", file=path.name) from exc
