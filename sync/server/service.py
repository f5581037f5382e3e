"""What the server does, apart from HTTP: shared by the API, the admin functions and the CLI."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from sync.errors import Refused, ServerSetupError
from sync.protocol import (
    MAX_SEALED_BYTES,
    ConfigResponse,
    EnvelopeIn,
    EnvelopeOut,
    ItemResult,
    ItemStatus,
)
from sync.server import security
from sync.server.models import (
    AgencyKey,
    ClaimAttempt,
    Coordinator,
    Device,
    Enrolment,
    Envelope,
    Erasure,
    as_utc,
    utcnow,
)

ROLES = ("outreach", "interpreter")
SEEN_EVERY = timedelta(seconds=60)


# --- agency key -------------------------------------------------------------------------------


def fingerprint_of(public_raw: bytes) -> str:
    """Short hex of SHA-256 (the same recipe as ``app.store.crypto.fingerprint``)."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


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
    session.add(
        Enrolment(
            code_hash=security.hash_secret(security.normalise_code(code)),
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


def claim(session: Session, code: str, device_name: str) -> Claimed:
    """Spend a one-time code for a new device and its token (atomic: one claim wins)."""
    key = active_key(session)
    if key is None:
        raise ServerSetupError("agency_key_missing")
    code_hash = security.hash_secret(security.normalise_code(code))
    now = utcnow()
    device_id = security.new_id("dev")
    spent = session.execute(
        sa.update(Enrolment)
        .where(
            col(Enrolment.code_hash) == code_hash,
            col(Enrolment.used_at).is_(None),
            col(Enrolment.expires_at) > now,
        )
        .values(used_at=now, device_id=device_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Refused("enrolment_code_invalid", status=400)
    enrolment = session.exec(select(Enrolment).where(Enrolment.code_hash == code_hash)).one()
    token, token_hash = security.new_token(device_id)
    device = Device(
        id=device_id,
        name=device_name.strip()[:128] or device_id,
        site=enrolment.site,
        role=enrolment.role,
        token_hash=token_hash,
        enrolled_at=now,
    )
    session.add(device)
    session.commit()
    session.refresh(device)
    return Claimed(device=device, token=token, key=key)


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


def coordinator_for_token(session: Session, token: str) -> Coordinator | None:
    parts = security.split_token(token)
    if parts is None or not parts[0].startswith("coord_"):
        security.same_hash("x", "0" * 64)
        return None
    coord = session.get(Coordinator, parts[0])
    stored = coord.token_hash if coord is not None else "0" * 64
    ok = security.same_hash(parts[1], stored)
    if not ok or coord is None or coord.revoked_at is not None:
        return None
    return coord


def touch(session: Session, device: Device) -> None:
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        session.execute(
            sa.update(Device).where(col(Device.id) == device.id).values(last_seen_at=now)
        )
        session.commit()


def new_coordinator(session: Session, name: str) -> tuple[Coordinator, str]:
    cid = security.new_id("coord")
    token, token_hash = security.new_token(cid)
    coord = Coordinator(id=cid, name=name.strip()[:128] or cid, token_hash=token_hash)
    session.add(coord)
    session.commit()
    session.refresh(coord)
    return coord, token


def devices(session: Session) -> list[Device]:
    return list(session.exec(select(Device).order_by(Device.enrolled_at, Device.id)))  # type: ignore[arg-type]


def revoke(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise Refused("device_unknown", status=404, params={"device_id": device_id})
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        session.add(device)
        session.commit()
        session.refresh(device)
    return device


# --- upload -----------------------------------------------------------------------------------


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Envelope)


def note_waiting(
    session: Session, device: Device, waiting: int, results: Sequence[ItemResult]
) -> None:
    """Keep how many sealed records the device still holds after this upload, for the
    coordinator's device list; a count, never anything about the records themselves."""
    left = max(0, waiting - sum(1 for r in results if r.acknowledged))
    if device.waiting != left:
        session.execute(sa.update(Device).where(col(Device.id) == device.id).values(waiting=left))
        session.commit()


def upload(session: Session, device: Device, envelopes: Sequence[EnvelopeIn]) -> list[ItemResult]:
    """Store a batch idempotently; one result per envelope, in order.

    stored: new; duplicate: this id and digest are already kept (or the record was erased);
    conflict: this id is kept with another digest, so this one is kept beside it, flagged;
    rejected: not kept (detail: digest_mismatch, sealed_invalid, too_large, device_mismatch).
    """
    results: list[ItemResult | None] = [None] * len(envelopes)
    candidates: dict[tuple[str, str], tuple[int, EnvelopeIn, bytes]] = {}
    order: list[tuple[int, tuple[str, str]]] = []
    for i, env in enumerate(envelopes):
        detail = None
        sealed = b""
        if env.device_id != device.id:
            detail = "device_mismatch"
        else:
            try:
                sealed = base64.b64decode(env.sealed, validate=True)
            except (binascii.Error, ValueError):
                detail = "sealed_invalid"
            else:
                if len(sealed) > MAX_SEALED_BYTES:
                    detail = "too_large"
                elif hashlib.sha256(sealed).hexdigest() != env.digest:
                    detail = "digest_mismatch"
        if detail is not None:
            results[i] = ItemResult(id=env.id, status=ItemStatus.rejected, detail=detail)
            continue
        key = (str(env.id), env.digest)
        order.append((i, key))
        if key not in candidates:
            candidates[key] = (i, env, sealed)

    ids = sorted({k[0] for k in candidates})
    known: dict[tuple[str, str], bool] = {}
    known_ids: set[str] = set()
    erased: set[str] = set()
    if ids:
        # one round trip: kept envelopes of these ids, and tombstones (digest NULL)
        kept = select(Envelope.record_id, Envelope.digest, Envelope.conflict).where(
            Envelope.record_id.in_(ids)  # type: ignore[attr-defined]
        )
        gone = select(
            Erasure.record_id, sa.null().label("digest"), sa.false().label("conflict")
        ).where(Erasure.record_id.in_(ids))  # type: ignore[attr-defined]
        for rid, digest, conflict in session.execute(sa.union_all(kept, gone)):
            if digest is None:
                erased.add(rid)
                continue
            known[(rid, digest)] = bool(conflict)
            known_ids.add(rid)

    now = utcnow()
    rows: list[dict[str, Any]] = []
    new_keys: dict[tuple[str, str], bool] = {}
    seen_ids: set[str] = set(known_ids)
    for key, (_i, env, sealed) in candidates.items():
        if key in known or key[0] in erased:
            continue
        conflict = key[0] in seen_ids
        seen_ids.add(key[0])
        new_keys[key] = conflict
        rows.append(
            {
                "record_id": key[0],
                "digest": key[1],
                "device_id": env.device_id,
                "form_id": env.form_id,
                "form_version": env.form_version,
                "created_at": (
                    env.created_at.astimezone(as_utc(now).tzinfo).replace(tzinfo=None)  # type: ignore[union-attr]
                    if env.created_at.tzinfo
                    else env.created_at
                ),
                "received_at": now,
                "sealed": sealed,
                "conflict": conflict,
            }
        )
    inserted: set[tuple[str, str]] = set()
    if rows:
        conn = session.connection()
        stmt = (
            _insert(conn.dialect.name)
            .on_conflict_do_nothing(index_elements=["record_id", "digest"])
            .returning(Envelope.record_id, Envelope.digest)
        )
        # executemany with RETURNING: one cached statement, sent as multi-row batches
        inserted = {(r[0], r[1]) for r in conn.execute(stmt, rows)}
    session.commit()

    first_use: set[tuple[str, str]] = set()
    for i, key in order:
        if key[0] in erased:
            results[i] = ItemResult(id=UUID(key[0]), status=ItemStatus.duplicate, detail="erased")
        elif key in inserted and key not in first_use:
            first_use.add(key)
            status = ItemStatus.conflict if new_keys[key] else ItemStatus.stored
            results[i] = ItemResult(id=UUID(key[0]), status=status)
        elif known.get(key) or (new_keys.get(key)):
            results[i] = ItemResult(id=UUID(key[0]), status=ItemStatus.conflict)
        else:
            results[i] = ItemResult(id=UUID(key[0]), status=ItemStatus.duplicate)
    return [r for r in results if r is not None]


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
        sa.select(Envelope, clash).where(col(Envelope.seq) > since).order_by(col(Envelope.seq))
        .limit(limit)
    ).all()
    out = []
    for row, clashes in rows:
        row.conflict = bool(row.conflict or clashes)
        out.append(row)
    session.expunge_all()  # the settled flag is for the reader, never written back
    return out


def envelopes_since(session: Session, since: int, limit: int) -> list[EnvelopeOut]:
    return [envelope_out(r) for r in _page(session, since, limit)]


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
