"""What the server does, apart from HTTP: shared by the API, the admin functions and the CLI."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from sync import crypto
from sync.errors import Refused, ServerSetupError, Unauthorized
from sync.protocol import (
    MAX_SEALED_BYTES,
    ClaimRequest,
    ConfigResponse,
    EnvelopeIn,
    EnvelopeOut,
    ItemResult,
    ItemStatus,
    claim_request_transcript,
    normalise_code,
    unb64,
)
from sync.server import security
from sync.server.models import (
    AgencyKey,
    ClaimAttempt,
    Coordinator,
    CoordinatorAction,
    Device,
    Enrolment,
    Envelope,
    Erasure,
    RequestSeen,
    ServerKey,
    as_utc,
    utcnow,
)

ROLES = ("outreach", "interpreter")
SEEN_EVERY = timedelta(seconds=60)


# --- agency key -------------------------------------------------------------------------------


fingerprint_of = crypto.fingerprint  # the one recipe, kept under its old name here


def server_key(session: Session) -> ServerKey:
    """The server's signing key, made on first use (one row, shared by every process)."""
    key = session.get(ServerKey, 1)
    if key is None:
        private = crypto.new_signing_key()
        conn = session.connection()
        stmt = _insert_into(conn.dialect.name, ServerKey).on_conflict_do_nothing(
            index_elements=["id"]
        )
        conn.execute(
            stmt,
            {
                "id": 1,
                "private_raw": private,
                "public_raw": crypto.signing_public_key(private),
                "created_at": utcnow(),
            },
        )
        session.commit()
        key = session.get(ServerKey, 1)
        assert key is not None
    return key


def active_key(session: Session) -> AgencyKey | None:
    return session.exec(
        select(AgencyKey).where(AgencyKey.active == True).order_by(AgencyKey.id.desc())  # type: ignore[union-attr]  # noqa: E712
    ).first()


def install_key(session: Session, public_raw: bytes, fingerprint: str | None = None) -> AgencyKey:
    if len(public_raw) != 32:
        raise ServerSetupError("agency_key_invalid")
    for old in session.exec(select(AgencyKey).where(AgencyKey.active == True)):  # noqa: E712
        old.active = False
        session.add(old)
    key = AgencyKey(public_raw=public_raw, fingerprint=fingerprint or fingerprint_of(public_raw))
    session.add(key)
    session.commit()
    session.refresh(key)
    return key


# --- enrolment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEnrolment:
    code: str
    site: str
    role: str
    expires_at: datetime


def new_enrolment(session: Session, site: str, role: str, ttl: timedelta) -> NewEnrolment:
    if role not in ROLES:
        raise Refused("role_invalid", params={"role": role})
    site = site.strip()
    if not site or len(site) > 128:
        raise Refused("site_invalid")
    code = security.new_code()
    expires = utcnow() + ttl
    lookup, mac_key, token_key = crypto.enrolment_keys(normalise_code(code))
    session.add(
        Enrolment(
            code_hash=lookup,
            mac_key=mac_key,
            token_key=token_key,
            site=site,
            role=role,
            expires_at=expires,
        )
    )
    session.commit()
    return NewEnrolment(code=code, site=site, role=role, expires_at=expires)


def claims_blocked(session: Session, client: str, limit: int, window: timedelta) -> bool:
    """True when this client address made ``limit`` failed claims within the window.

    Only failures count, so a field office enrolling many tablets behind one address is not
    slowed down, while guessing codes is."""
    now = utcnow()
    recent = session.exec(
        select(sa.func.count())
        .select_from(ClaimAttempt)
        .where(ClaimAttempt.client == client[:64], ClaimAttempt.at >= now - window)
    ).one()
    return int(recent) >= limit


def note_failed_claim(session: Session, client: str, window: timedelta) -> None:
    now = utcnow()
    session.execute(sa.delete(ClaimAttempt).where(col(ClaimAttempt.at) < now - window * 10))
    session.add(ClaimAttempt(client=client[:64], at=now))
    session.commit()


@dataclass(frozen=True)
class Claimed:
    device: Device
    token: str
    key: AgencyKey
    mac_key: bytes
    token_key: bytes


def claim(session: Session, request: ClaimRequest) -> Claimed:
    """Spend a one-time code for a new device and its token (atomic: one claim wins).

    The request must carry the code's MAC over everything in it (so an on-path attacker can
    put in neither its own device key nor another name); a bad MAC does not spend the code."""
    key = active_key(session)
    if key is None:
        raise ServerSetupError("agency_key_missing")
    now = utcnow()
    enrolment = session.exec(select(Enrolment).where(Enrolment.code_hash == request.lookup)).first()
    try:
        device_key = unb64(request.device_key, 32)
        tag = unb64(request.mac, 32)
    except ValueError:
        raise Refused("enrolment_code_invalid", status=400) from None
    if (
        enrolment is None
        or enrolment.mac_key is None
        or enrolment.token_key is None
        or not crypto.mac_ok(enrolment.mac_key, claim_request_transcript(request), tag)
    ):
        raise Refused("enrolment_code_invalid", status=400)
    device_id = security.new_id("dev")
    spent = session.execute(
        sa.update(Enrolment)
        .where(
            col(Enrolment.id) == enrolment.id,
            col(Enrolment.used_at).is_(None),
            col(Enrolment.expires_at) > now,
        )
        .values(used_at=now, device_id=device_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Refused("enrolment_code_invalid", status=400)
    token, token_hash = security.new_token(device_id)
    device = Device(
        id=device_id,
        name=clean_text(request.device_name)[:128] or device_id,
        site=enrolment.site,
        role=enrolment.role,
        token_hash=token_hash,
        enrolled_at=now,
        public_key=device_key,
    )
    mac_key, token_key = enrolment.mac_key, enrolment.token_key
    session.add(device)
    session.commit()
    session.refresh(device)
    return Claimed(device=device, token=token, key=key, mac_key=mac_key, token_key=token_key)


def clean_text(text: str) -> str:
    """Text a device sent, without control characters (so no terminal runs its escapes) and
    without NUL (which PostgreSQL refuses)."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


# --- authentication ---------------------------------------------------------------------------


def device_for_token(session: Session, token: str) -> Device | None:
    parts = security.split_token(token)
    if parts is None or not parts[0].startswith("dev_"):
        security.same_hash("x", "0" * 64)  # same work either way
        return None
    device = session.get(Device, parts[0])
    stored = device.token_hash if device is not None else "0" * 64
    ok = security.same_hash(parts[1], stored)
    return device if ok and device is not None else None


#: How far below a device's highest counter (microseconds of its clock) a request may be: its
#: requests may arrive out of order, never twice.
REPLAY_WINDOW = 10 * 60 * 1_000_000


def advance_counter(session: Session, device_id: str, counter: int) -> int | None:
    """Accept a request's counter once: it must be new for this device and not older than the
    replay window below the highest it used (so several processes refuse a replay alike).
    None when accepted, else the highest counter seen (the device continues above it)."""
    highest = int(
        session.execute(
            sa.select(col(Device.counter)).where(col(Device.id) == device_id)
        ).scalar_one_or_none()
        or 0
    )
    if counter <= highest - REPLAY_WINDOW:
        return highest
    conn = session.connection()
    stmt = (
        _insert_into(conn.dialect.name, RequestSeen)
        .values(device_id=device_id, counter=counter)
        .on_conflict_do_nothing(index_elements=["device_id", "counter"])
        .returning(RequestSeen.counter)
    )
    if conn.execute(stmt).first() is None:
        session.rollback()
        return max(highest, counter)
    if counter > highest:
        session.execute(
            sa.update(Device)
            .where(col(Device.id) == device_id, col(Device.counter) < counter)
            .values(counter=counter)
        )
        session.execute(
            sa.delete(RequestSeen).where(
                col(RequestSeen.device_id) == device_id,
                col(RequestSeen.counter) <= counter - REPLAY_WINDOW,
            )
        )
    session.commit()
    return None


def coordinator_for_token(session: Session, token: str) -> Coordinator | None:
    """The coordinator credential of this token; None if unknown; Unauthorized with
    ``credential_revoked`` or ``credential_expired`` when it was good once."""
    parts = security.split_token(token)
    if parts is None or not parts[0].startswith("coord_"):
        security.same_hash("x", "0" * 64)
        return None
    coord = session.get(Coordinator, parts[0])
    stored = coord.token_hash if coord is not None else "0" * 64
    ok = security.same_hash(parts[1], stored)
    if not ok or coord is None:
        return None
    if coord.revoked_at is not None:
        raise Unauthorized("credential_revoked")
    if coord.expires_at is not None and coord.expires_at <= utcnow():
        raise Unauthorized("credential_expired")
    return coord


SCOPES = ("read", "erase", "devices")


def record_action(session: Session, coordinator_id: str, action: str, target: str | None) -> None:
    session.add(CoordinatorAction(coordinator_id=coordinator_id, action=action, target=target))
    session.commit()


def touch(session: Session, device: Device) -> None:
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        session.execute(
            sa.update(Device).where(col(Device.id) == device.id).values(last_seen_at=now)
        )
        session.commit()


def new_coordinator(
    session: Session,
    name: str,
    scopes: Sequence[str] = SCOPES,
    ttl: timedelta | None = None,
) -> tuple[Coordinator, str]:
    """A new credential with these scopes, expiring after ``ttl`` (never, if None)."""
    wanted = sorted(set(scopes), key=SCOPES.index) if all(x in SCOPES for x in scopes) else None
    if not wanted:
        raise Refused("scope_invalid", params={"scopes": ",".join(scopes)})
    cid = security.new_id("coord")
    token, token_hash = security.new_token(cid)
    coord = Coordinator(
        id=cid,
        name=clean_text(name)[:128] or cid,
        token_hash=token_hash,
        scopes=",".join(wanted),
        expires_at=utcnow() + ttl if ttl is not None else None,
    )
    session.add(coord)
    session.commit()
    session.refresh(coord)
    return coord, token


def devices(session: Session) -> list[Device]:
    return list(session.exec(select(Device).order_by(Device.enrolled_at, Device.id)))  # type: ignore[arg-type]


def coordinators(session: Session) -> list[Coordinator]:
    return list(session.exec(select(Coordinator).order_by(Coordinator.created_at)))  # type: ignore[arg-type]


def revoke_coordinator(session: Session, coordinator_id: str) -> Coordinator:
    coord = session.get(Coordinator, coordinator_id)
    if coord is None:
        raise Refused("coordinator_unknown", status=404, params={"id": coordinator_id})
    if coord.revoked_at is None:
        coord.revoked_at = utcnow()
        session.add(coord)
        session.commit()
        session.refresh(coord)
    return coord


def revoke(session: Session, device_id: str, by: str = "cli") -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise Refused("device_unknown", status=404, params={"device_id": device_id[:64]})
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by = by[:64]
        session.add(device)
        session.commit()
        session.refresh(device)
    return device


# --- upload -----------------------------------------------------------------------------------


def _insert_into(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _insert(dialect: str) -> Any:
    return _insert_into(dialect, Envelope)


def note_waiting(
    session: Session, device: Device, waiting: int, results: Sequence[ItemResult]
) -> None:
    """Keep how many sealed records the device still holds after this upload, for the
    coordinator's device list; a count, never anything about the records themselves."""
    left = max(0, waiting - sum(1 for r in results if r.acknowledged))
    if device.waiting != left:
        session.execute(sa.update(Device).where(col(Device.id) == device.id).values(waiting=left))
        session.commit()


#: The latest ``created_at`` a record may carry (a later one is refused, not stored).
LATEST = datetime(9000, 1, 1)


def _naive_utc(value: datetime) -> datetime | None:
    """``value`` as naive UTC, or None when it cannot be one (9999-12-31T23:59:59-14:00)."""
    try:
        out = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    except (OverflowError, ValueError):
        return None
    return out if out < LATEST else None


Key = tuple[str, str]  # (record id, digest): one version of one record


def upload(
    session: Session,
    device: Device,
    envelopes: Sequence[EnvelopeIn],
    max_sealed: int = MAX_SEALED_BYTES,
    quota: int | None = None,
) -> list[ItemResult]:
    """Store a batch idempotently; one result per envelope, in order.

    stored: new; duplicate: this id and digest are already kept (or the record was erased);
    conflict: this id is kept with another digest, so this one is kept beside it, flagged;
    rejected: not kept (detail: digest_mismatch, sealed_invalid, too_large, device_mismatch,
    created_at_invalid, quota_exceeded).
    """
    results: list[ItemResult | None] = [None] * len(envelopes)
    candidates: dict[Key, tuple[EnvelopeIn, bytes]] = {}
    order: list[tuple[int, Key]] = []
    for i, env in enumerate(envelopes):
        detail, sealed = _unpack(env, device, max_sealed)
        if detail is not None:
            results[i] = ItemResult(id=env.id, status=ItemStatus.rejected, detail=detail)
            continue
        key = (str(env.id), env.digest)
        order.append((i, key))
        candidates.setdefault(key, (env, sealed))
    kept = _Kept.of(session, sorted({k[0] for k in candidates}))
    batch = _Batch.of(candidates, kept, int(device.stored_bytes or 0), quota)
    inserted = _insert_rows(session, device, batch.rows)
    session.commit()
    first_use: set[Key] = set()
    for i, key in order:
        results[i] = _result(key, kept, batch, key in inserted and key not in first_use)
        if key in inserted:
            first_use.add(key)
    return [r for r in results if r is not None]


def _unpack(env: EnvelopeIn, device: Device, max_sealed: int) -> tuple[str | None, bytes]:
    """(why the envelope is rejected or None, its sealed bytes)."""
    if env.device_id != device.id:
        return "device_mismatch", b""
    try:
        sealed = base64.b64decode(env.sealed, validate=True)
    except (binascii.Error, ValueError):
        return "sealed_invalid", b""
    if len(sealed) > max_sealed:
        return "too_large", sealed
    if hashlib.sha256(sealed).hexdigest() != env.digest:
        return "digest_mismatch", sealed
    if _naive_utc(env.created_at) is None:
        return "created_at_invalid", sealed
    return None, sealed


@dataclass(frozen=True)
class _Kept:
    """What the server already holds of a batch's record ids."""

    versions: dict[Key, bool]  # each kept version -> whether it is a conflict
    ids: set[str]
    erased: set[str]

    @classmethod
    def of(cls, session: Session, ids: list[str]) -> _Kept:
        kept = cls({}, set(), set())
        if not ids:
            return kept
        # one round trip: kept envelopes of these ids, and tombstones (digest NULL)
        stored = select(Envelope.record_id, Envelope.digest, Envelope.conflict).where(
            Envelope.record_id.in_(ids)  # type: ignore[attr-defined]
        )
        gone = select(
            Erasure.record_id, sa.null().label("digest"), sa.false().label("conflict")
        ).where(Erasure.record_id.in_(ids))  # type: ignore[attr-defined]
        for rid, digest, conflict in session.execute(sa.union_all(stored, gone)):
            if digest is None:
                kept.erased.add(rid)
                continue
            kept.versions[(rid, digest)] = bool(conflict)
            kept.ids.add(rid)
        return kept


@dataclass(frozen=True)
class _Batch:
    """The rows to insert (each new version, flagged a conflict when its id is held already),
    and the versions the device's quota leaves out."""

    rows: list[dict[str, Any]]
    new: dict[Key, bool]  # each new version -> whether it is a conflict
    over_quota: set[Key]

    @classmethod
    def of(
        cls,
        candidates: dict[Key, tuple[EnvelopeIn, bytes]],
        kept: _Kept,
        used: int,
        quota: int | None,
    ) -> _Batch:
        batch = cls([], {}, set())
        now = utcnow()
        seen_ids = set(kept.ids)
        for key, (env, sealed) in candidates.items():
            if key in kept.versions or key[0] in kept.erased:
                continue
            if quota is not None and used + len(sealed) > quota:
                batch.over_quota.add(key)
                continue
            used += len(sealed)
            batch.new[key] = key[0] in seen_ids
            seen_ids.add(key[0])
            batch.rows.append(
                {
                    "record_id": key[0],
                    "digest": key[1],
                    "device_id": env.device_id,
                    "form_id": env.form_id,
                    "form_version": env.form_version,
                    "created_at": _naive_utc(env.created_at),
                    "received_at": now,
                    "sealed": sealed,
                    "conflict": batch.new[key],
                }
            )
        return batch


def _insert_rows(session: Session, device: Device, rows: list[dict[str, Any]]) -> set[Key]:
    """Insert the new versions (a version another process stored meanwhile is skipped) and
    count their bytes against the device; the keys this call inserted."""
    if not rows:
        return set()
    conn = session.connection()
    stmt = (
        _insert(conn.dialect.name)
        .on_conflict_do_nothing(index_elements=["record_id", "digest"])
        .returning(Envelope.record_id, Envelope.digest)
    )
    # executemany with RETURNING: one cached statement, sent as multi-row batches
    inserted = {(r[0], r[1]) for r in conn.execute(stmt, rows)}
    added = sum(len(r["sealed"]) for r in rows if (r["record_id"], r["digest"]) in inserted)
    if added:
        session.execute(
            sa.update(Device)
            .where(col(Device.id) == device.id)
            .values(stored_bytes=Device.stored_bytes + added)
        )
    return inserted


def _result(key: Key, kept: _Kept, batch: _Batch, first_insert: bool) -> ItemResult:
    """One envelope's result; a version sent twice in a batch is stored once, then duplicate."""
    rid = UUID(key[0])
    if key[0] in kept.erased:
        return ItemResult(id=rid, status=ItemStatus.duplicate, detail="erased")
    if key in batch.over_quota:
        return ItemResult(id=rid, status=ItemStatus.rejected, detail="quota_exceeded")
    if first_insert:
        status = ItemStatus.conflict if batch.new[key] else ItemStatus.stored
        return ItemResult(id=rid, status=status)
    if kept.versions.get(key) or batch.new.get(key):
        return ItemResult(id=rid, status=ItemStatus.conflict)
    return ItemResult(id=rid, status=ItemStatus.duplicate)


# --- coordinator reads and erasure ------------------------------------------------------------


def _page(session: Session, since: int, limit: int) -> list[Envelope]:
    """Envelopes after ``since`` in arrival order. ``conflict`` is settled on read too: an
    envelope is a conflict when an earlier one holds its record id (two processes storing
    two versions of one record at the same instant cannot both see the other first)."""
    earlier = aliased(Envelope)
    clash = (
        sa.select(sa.literal(1))
        .where(
            col(earlier.record_id) == col(Envelope.record_id),
            col(earlier.seq) < col(Envelope.seq),
        )
        .exists()
    )
    rows = session.execute(
        sa.select(Envelope, clash)
        .where(col(Envelope.seq) > since)
        .order_by(col(Envelope.seq))
        .limit(limit)
    ).all()
    out = []
    for row, clashes in rows:
        row.conflict = bool(row.conflict or clashes)
        out.append(row)
    session.expunge_all()  # the settled flag is for the reader, never written back
    return out


def envelopes_since(
    session: Session, since: int, limit: int, max_bytes: int | None = None
) -> list[EnvelopeOut]:
    """A page of envelopes; with ``max_bytes``, cut after the sealed bytes reach it (at least
    one envelope, so a reader always moves on)."""
    out: list[EnvelopeOut] = []
    total = 0
    for row in _page(session, since, limit):
        total += len(row.sealed)
        if out and max_bytes is not None and total > max_bytes:
            break
        out.append(envelope_out(row))
    return out


def envelope_out(row: Envelope) -> EnvelopeOut:
    return EnvelopeOut(
        seq=int(row.seq or 0),
        id=row.record_id,  # type: ignore[arg-type]
        device_id=row.device_id,
        form_id=row.form_id,
        form_version=row.form_version,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        received_at=as_utc(row.received_at),  # type: ignore[arg-type]
        digest=row.digest,
        sealed=base64.b64encode(row.sealed).decode("ascii"),
        conflict=row.conflict,
    )


def iter_envelopes(session: Session, batch: int = 500) -> Iterator[Envelope]:
    since = 0
    while True:
        rows = _page(session, since, batch)
        if not rows:
            return
        yield from rows
        since = int(rows[-1].seq or 0)


def erase(session: Session, record_id: str, coordinator_id: str) -> int:
    """Delete every envelope of a record and leave a tombstone so it is never stored again."""
    gone = session.execute(sa.delete(Envelope).where(col(Envelope.record_id) == record_id))
    if session.get(Erasure, record_id) is None:
        session.add(Erasure(record_id=record_id, coordinator_id=coordinator_id))
    session.commit()
    if session.connection().dialect.name == "sqlite":
        # secure_delete zeroed the freed pages; the checkpoint moves them out of the WAL too
        session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


# --- config download --------------------------------------------------------------------------

CONFIG_SUFFIXES = (".yaml", ".yml", ".xlsx", ".xls", ".json", ".po")


def _files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.name: base64.b64encode(p.read_bytes()).decode("ascii")
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES
    }


def site_config(config_dir: Path, site: str) -> tuple[ConfigResponse, str]:
    """The configuration a device of this site downloads, and its ETag.

    Files are base64 so spreadsheets travel as well as text. ``sites/<site>.yaml`` (else
    ``sites/default.yaml``) holds ``referral_directory`` (a list) and ``settings`` (a map).
    """
    site_data: dict[str, Any] = {}
    for name in (site, "default"):
        path = config_dir / "sites" / f"{name}.yaml"
        if path.is_file() and "/" not in name and not name.startswith("."):
            try:
                loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise ServerSetupError("site_config_invalid", params={"site": name}) from exc
            directory = loaded.get("referral_directory") if isinstance(loaded, dict) else None
            settings = loaded.get("settings") if isinstance(loaded, dict) else None
            if (
                not isinstance(loaded, dict)
                or not isinstance(directory or [], list)
                or not all(isinstance(entry, dict) for entry in directory or [])
                or not isinstance(settings or {}, dict)
            ):
                raise ServerSetupError("site_config_invalid", params={"site": name})
            site_data = loaded
            break
    config = ConfigResponse(
        questionnaires=_files(config_dir / "questionnaires"),
        translations=_files(config_dir / "translations"),
        referral_directory=list(site_data.get("referral_directory") or []),
        settings=dict(site_data.get("settings") or {}),
    )
    body = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    return config, etag
