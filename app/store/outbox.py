"""The outbox: finalised records, sealed for the agency, waiting for the server's receipt.

A typed view the store owns (it hands over its lock, its transaction and its checkpoint; the
outbox never imports the store). Implements ``sync.protocol.Outbox``. It needs no PIN:
envelopes are sealed, and purging needs no key, so the sync client may run while the store is
locked. The sync client calls :meth:`Outbox.acknowledge` only with results the server signed.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Connection

from app.store import audit
from app.store.audit import Event
from app.store.states import CONFLICT, FINALISED, SENT, iso
from sync.protocol import EnvelopeIn, ItemResult, ItemStatus


class Outbox:
    """``pending(limit)`` -> envelopes to upload; ``acknowledge(results)`` -> what the server
    said about each: stored/duplicate are sent (readable copy purged after ``retention``, the
    sealed copy after ``sealed_retention``), conflicts are kept aside for a later look,
    rejected ones are tried again later."""

    def __init__(
        self,
        *,
        write: Callable[[], AbstractContextManager[Connection]],
        lock: threading.RLock,
        clock: Callable[[], float],
        retention: Callable[[], float],
        sealed_retention: Callable[[], float],
        checkpoint: Callable[[], None],
    ) -> None:
        self._write = write
        self._lock = lock
        self._clock = clock
        self._retention = retention
        self._sealed_retention = sealed_retention
        self._checkpoint = checkpoint

    def pending(self, limit: int) -> list[EnvelopeIn]:
        """Up to ``limit`` envelopes, never-tried and oldest first."""
        with self._lock, self._write() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, device_id, form_id, form_version, finalised_at, sealed FROM record "
                "WHERE sync_state IN ('pending', 'rejected') AND sealed IS NOT NULL "
                "ORDER BY sync_attempts, finalised_at LIMIT ?",
                (int(limit),),
            ).fetchall()
        envelopes, invalid = [], []
        for r in rows:
            try:
                envelopes.append(
                    EnvelopeIn.build(
                        id=r[0],
                        device_id=r[1],
                        form_id=r[2],
                        form_version=r[3],
                        created_at=datetime.fromisoformat(r[4]),
                        sealed=bytes(r[5]),
                    )
                )
            except (ValidationError, ValueError):
                invalid.append(r[0])  # kept, but never allowed to block the rest of the queue
        if invalid:
            with self._lock, self._write() as conn:
                for record_id in invalid:
                    conn.exec_driver_sql(
                        "UPDATE record SET sync_state = 'invalid', sync_detail = 'bad_envelope' "
                        "WHERE id = ?",
                        (record_id,),
                    )
        return envelopes

    def pending_count(self) -> int:
        """How many records wait to be sent."""
        with self._lock, self._write() as conn:
            return int(
                conn.exec_driver_sql(
                    "SELECT count(*) FROM record WHERE sync_state IN ('pending', 'rejected')"
                ).scalar_one()
            )

    def __len__(self) -> int:
        return self.pending_count()

    def conflicts(self) -> list[str]:
        """Record ids the server holds a different envelope for (kept for a later look)."""
        with self._lock, self._write() as conn:
            return [
                r[0]
                for r in conn.exec_driver_sql("SELECT id FROM record WHERE sync_state = 'conflict'")
            ]

    def acknowledge(self, results: list[ItemResult]) -> None:
        """Apply the server's per-item results (ids not in the outbox are ignored)."""
        now_ts = self._clock()
        retention = self._retention()
        plan = _Receipt(
            now=iso(now_ts),
            purge_now=retention <= 0,
            purge_after=None if retention <= 0 else iso(now_ts + retention),
            drop_sealed=self._sealed_retention() <= 0,
        )
        counts: Counter[str] = Counter()
        purged = 0
        with self._lock:
            with self._write() as conn:
                for result in results:
                    if not _in_outbox(conn, str(result.id)):
                        continue
                    counts[str(result.status)] += 1
                    purged += _apply(conn, result, plan)
                if counts:
                    audit.append(
                        conn,
                        Event.sync,
                        at=plan.now,
                        stored=counts["stored"],
                        duplicate=counts["duplicate"],
                        conflict=counts["conflict"],
                        rejected=counts["rejected"],
                    )
            if purged:
                self._checkpoint()


@dataclass(frozen=True)
class _Receipt:
    """When a receipt is applied, and what the retention settings make of it."""

    now: str
    purge_now: bool  # no retention: the readable copy goes at once
    purge_after: str | None
    drop_sealed: bool  # no sealed retention: the sealed copy goes at once


def _in_outbox(conn: Connection, record_id: str) -> bool:
    row = conn.exec_driver_sql(
        "SELECT status FROM record WHERE id = ? AND sealed IS NOT NULL", (record_id,)
    ).first()
    return row is not None and row[0] in (FINALISED, CONFLICT)


def _apply(conn: Connection, result: ItemResult, plan: _Receipt) -> int:
    """One item's result written to its record; 1 when its readable copy was purged."""
    record_id = str(result.id)
    if result.acknowledged:
        return _sent(conn, record_id, str(result.status), plan)
    if result.status == ItemStatus.conflict:
        conn.exec_driver_sql(
            "UPDATE record SET status = ?, sync_state = 'conflict', "
            "sync_detail = ?, sync_attempts = sync_attempts + 1 WHERE id = ?",
            (CONFLICT, result.detail, record_id),
        )
    else:
        conn.exec_driver_sql(
            "UPDATE record SET sync_state = 'rejected', sync_detail = ?, "
            "sync_attempts = sync_attempts + 1 WHERE id = ?",
            (result.detail, record_id),
        )
    return 0


def _sent(conn: Connection, record_id: str, status: str, plan: _Receipt) -> int:
    """Stored or duplicate: the record is sent; its copies go as the retention settings say."""
    conn.exec_driver_sql(
        "UPDATE record SET status = ?, sync_state = 'acknowledged', "
        "sync_detail = ?, acked_at = ?, purge_after = ?, "
        "sync_attempts = sync_attempts + 1 WHERE id = ?",
        (SENT, status, plan.now, plan.purge_after, record_id),
    )
    if plan.drop_sealed:
        conn.exec_driver_sql("UPDATE record SET sealed = NULL WHERE id = ?", (record_id,))
    if not plan.purge_now:
        return 0
    conn.exec_driver_sql("UPDATE record SET session = NULL WHERE id = ?", (record_id,))
    audit.append(conn, Event.purge, record_id, at=plan.now)
    return 1
