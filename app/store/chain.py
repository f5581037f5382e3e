"""The one hash chain of Waymark's audit logs: the device's and the coordinator console's.

Each entry's ``hash`` is SHA-256 over its sequence number, time, event, record id, detail text
and the previous entry's hash (the first entry's previous hash is :data:`GENESIS`); the log's
head is the newest entry's sequence number and hash, kept apart. Editing, removing or
reordering an entry, or cutting off the newest ones, breaks the chain, and :func:`verify` says
where. The same recipe and the same check serve a live log and an exported one (JSON or CSV,
:func:`read_export`), so ``waymark audit verify`` checks both alike.

Pure: no database, no files; callers hand in rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sync.errors import WaymarkError

GENESIS = "0" * 64
EXPORT_FORMAT = "waymark-audit"
EXPORT_VERSION = 1
CSV_COLUMNS = ("kind", "seq", "at", "event", "record_id", "actor", "detail", "prev", "hash")


def entry_hash(seq: int, at: str, event: str, record_id: str | None, detail: str, prev: str) -> str:
    """The recipe (unchanged since the device's first audit log: its logs still verify)."""
    body = json.dumps([seq, at, event, record_id, detail, prev], ensure_ascii=True)
    return hashlib.sha256(body.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored entry as the chain sees it (``detail`` is the exact text that was hashed)."""

    seq: int
    at: str
    event: str
    record_id: str | None
    detail: str
    prev: str
    hash: str
    actor: str = ""  # shown, not hashed apart (the console puts it in ``detail`` too)


@dataclass(frozen=True)
class Report:
    """What :func:`verify` found: ``ok``, how many entries, and the first broken one."""

    ok: bool
    entries: int
    problem: str | None = None  # hash_mismatch, chain_broken, sequence_gap, head_mismatch, ...
    seq: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def verify(links: Iterable[Link], head: tuple[int, str] | None) -> Report:
    """Walk the chain in storage order, check every link, then the head."""
    prev, expected_seq, count = GENESIS, 1, 0
    for link in links:
        if link.seq != expected_seq:
            return Report(False, count, "sequence_gap", int(link.seq))
        if link.prev != prev:
            return Report(False, count, "chain_broken", int(link.seq))
        if entry_hash(link.seq, link.at, link.event, link.record_id, link.detail, link.prev) != (
            link.hash
        ):
            return Report(False, count, "hash_mismatch", int(link.seq))
        prev, expected_seq, count = link.hash, expected_seq + 1, count + 1
    if count == 0 and head is None:
        return Report(True, 0)
    if head is None or int(head[0]) != count or head[1] != prev:
        return Report(False, count, "head_mismatch", count + 1)
    return Report(True, count)


# --- exports --------------------------------------------------------------------------------


def _escape(value: str) -> str:
    """Spreadsheet-safe and reversible: a leading formula character or apostrophe gets an
    apostrophe before it (so the exact hashed text comes back with :func:`_unescape`)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def export_json(links: Sequence[Link], head: tuple[int, str] | None, source: str) -> str:
    return json.dumps(
        {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "source": source,
            "head": {"seq": head[0], "hash": head[1]} if head else None,
            "entries": [
                {
                    "seq": x.seq,
                    "at": x.at,
                    "event": x.event,
                    "record_id": x.record_id,
                    "actor": x.actor,
                    "detail": x.detail,
                    "prev": x.prev,
                    "hash": x.hash,
                }
                for x in links
            ],
        },
        ensure_ascii=False,
        indent=1,
    )


def export_csv(links: Sequence[Link], head: tuple[int, str] | None) -> str:
    """Entries, then one ``head`` row (sequence number and hash of the newest entry)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for x in links:
        w.writerow(
            [
                "entry",
                x.seq,
                x.at,
                x.event,
                x.record_id or "",
                _escape(x.actor),
                _escape(x.detail),
                x.prev,
                x.hash,
            ]
        )
    if head is not None:
        w.writerow(["head", head[0], "", "", "", "", "", "", head[1]])
    return out.getvalue()


class ChainCode(StrEnum):
    """Why an exported audit log could not be read."""

    NOT_UTF8 = "not_utf8"
    NOT_AN_AUDIT_EXPORT = "not_an_audit_export"


class ExportUnreadable(WaymarkError):
    """The file is not an audit export this version of Waymark reads."""

    codes = ChainCode
    code = ChainCode.NOT_AN_AUDIT_EXPORT


def read_export(data: bytes) -> tuple[list[Link], tuple[int, str] | None]:
    """The links and head of an exported log (JSON or CSV, told apart by content)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportUnreadable(ChainCode.NOT_UTF8) from exc
    if text.lstrip().startswith("{"):
        return _read_json(text)
    return _read_csv(text)


def _read_json(text: str) -> tuple[list[Link], tuple[int, str] | None]:
    try:
        doc = json.loads(text)
        if doc.get("format") != EXPORT_FORMAT:
            raise ExportUnreadable()
        head = doc.get("head")
        links = [
            Link(
                int(e["seq"]),
                str(e["at"]),
                str(e["event"]),
                None if e.get("record_id") is None else str(e["record_id"]),
                str(e["detail"]),
                str(e["prev"]),
                str(e["hash"]),
                str(e.get("actor") or ""),
            )
            for e in doc.get("entries") or []
        ]
        return links, (int(head["seq"]), str(head["hash"])) if head else None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExportUnreadable() from exc


def _read_csv(text: str) -> tuple[list[Link], tuple[int, str] | None]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ExportUnreadable()
    links: list[Link] = []
    head: tuple[int, str] | None = None
    try:
        for row in rows[1:]:
            if not row:
                continue
            kind, seq, at, event, record_id, actor, detail, prev, digest = row
            if kind == "head":
                head = (int(seq), digest)
            elif kind == "entry":
                links.append(
                    Link(
                        int(seq),
                        at,
                        event,
                        record_id or None,
                        _unescape(detail),
                        prev,
                        digest,
                        _unescape(actor),
                    )
                )
            else:
                raise ExportUnreadable()
    except ValueError as exc:
        raise ExportUnreadable() from exc
    return links, head
