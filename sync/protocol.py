"""The wire protocol between a device and the agency server (version 2).

Plain pydantic models shared by ``sync.client`` and ``sync.server``; neither side imports
``app``. The server only ever sees sealed envelopes: ``sealed`` is HPKE ciphertext for the
agency key, ``digest`` the SHA-256 hex of those sealed bytes.

Version 2 (docs/SECURITY.md): the enrolment is authenticated both ways under keys stretched
from the one-time code (the code never crosses the wire); every device request is signed by
the device's own Ed25519 key with a strictly growing counter; every answer to a device request
is a statement signed by the server's key (pinned at enrolment), bound to the device id and the
request's random nonce. ``/api/v1`` answers 410 ``api_version_retired``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The protocol version carried in every path.
API_VERSION = "v2"
API_PREFIX = f"/api/{API_VERSION}"
RETIRED_PREFIXES = ("/api/v1/",)

#: Headers of a signed device request and of the server's signed answer.
HEADER_COUNTER = "x-waymark-counter"
HEADER_NONCE = "x-waymark-nonce"
HEADER_SIGNATURE = "x-waymark-signature"
HEADER_STATEMENT = "x-waymark-statement"

#: Limits the server enforces (and the client respects when batching).
MAX_BATCH = 500
MAX_SEALED_BYTES = 1_000_000
MAX_REQUEST_BYTES = 8_000_000

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = r"^[A-Za-z0-9_.:\-]{1,128}$"


@dataclass(frozen=True)
class Claim:
    """What a claim gives the device (``sync.client.SyncClient.claim``): ``token`` is the
    whole credential to keep (secret)."""

    device_id: str
    token: str
    agency_public_key: str  # base64 of the raw X25519 public key, authenticated
    agency_key_fingerprint: str
    site: str
    role: str
    config_etag: str
    server_key_fingerprint: str
    tls_fingerprint: str | None

    def __repr__(self) -> str:
        return f"Claim(device_id={self.device_id!r}, site={self.site!r})"


#: Crockford's base32 alphabet: no I, L, O or U, so a code read aloud is not misheard.
_CASE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CASE_PAIRS = tuple(a + b for a in _CASE_ALPHABET for b in _CASE_ALPHABET)


def case_code(record_id: str) -> str:
    """The pseudonymous case code a worker and a coordinator both see for a record.

    Derived from the record's random id (40 bits of its SHA-256, Crockford base32, ``XXXX-XXXX``),
    so the field app, the console and exports agree without storing or sending anything more;
    it names no person and cannot be turned back into anything but the record id.
    """
    n = int.from_bytes(hashlib.sha256(str(record_id).lower().encode("ascii")).digest()[:5], "big")
    # four 10-bit groups, two base32 digits each (a table lookup: the console lists 100,000)
    return (
        f"{_CASE_PAIRS[n >> 30]}{_CASE_PAIRS[(n >> 20) & 1023]}-"
        f"{_CASE_PAIRS[(n >> 10) & 1023]}{_CASE_PAIRS[n & 1023]}"
    )


def normalise_code(code: str) -> str:
    """An enrolment code as both sides stretch it: upper case, no separators, and O->0,
    I/L->1 as Crockford reads them."""
    cleaned = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("OIL", "011"))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, length: int | None = None) -> bytes:
    """Strict base64; ValueError on bad text or a wrong length."""
    raw = base64.b64decode(text, validate=True)
    if length is not None and len(raw) != length:
        raise ValueError("length")
    return raw


def digest_of(sealed: bytes) -> str:
    """SHA-256 hex of the sealed bytes: the envelope's identity for idempotency."""
    return hashlib.sha256(sealed).hexdigest()


class EnvelopeIn(BaseModel):
    """One finalised record, sealed for the agency key, as a device uploads it."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    device_id: str = Field(min_length=1, max_length=64)
    form_id: str = Field(pattern=_NAME)
    form_version: str = Field(pattern=_NAME)
    created_at: datetime
    digest: str = Field(min_length=64, max_length=64)
    sealed: str = Field(min_length=1, max_length=(MAX_SEALED_BYTES * 4) // 3 + 8)

    @field_validator("digest")
    @classmethod
    def _hex_digest(cls, v: str) -> str:
        v = v.lower()
        if not _HEX64.match(v):
            raise ValueError("digest_not_hex")
        return v

    def sealed_bytes(self) -> bytes:
        """The sealed bytes; raises ValueError on bad base64."""
        return base64.b64decode(self.sealed, validate=True)

    @classmethod
    def build(
        cls,
        *,
        id: UUID | str,
        device_id: str,
        form_id: str,
        form_version: str,
        created_at: datetime,
        sealed: bytes,
    ) -> EnvelopeIn:
        """Make an envelope from sealed bytes, computing digest and base64."""
        return cls(
            id=UUID(str(id)),
            device_id=device_id,
            form_id=form_id,
            form_version=form_version,
            created_at=created_at,
            digest=digest_of(sealed),
            sealed=base64.b64encode(sealed).decode("ascii"),
        )


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    envelopes: list[EnvelopeIn] = Field(min_length=1, max_length=MAX_BATCH)
    #: sealed records the device still holds unsent, this batch included; the coordinator sees
    #: what is waiting on each device (``DeviceInfo.waiting``)
    waiting: int | None = Field(default=None, ge=0, le=10_000_000)


class ItemStatus(StrEnum):
    stored = "stored"        # new: kept
    duplicate = "duplicate"  # same id and digest already kept: counted once, acknowledged
    conflict = "conflict"    # same id, other digest: kept beside the first, not acknowledged
    rejected = "rejected"    # refused (detail says why): not acknowledged


class ItemResult(BaseModel):
    id: UUID
    status: ItemStatus
    detail: str | None = None  # a short code, never words or content

    @property
    def acknowledged(self) -> bool:
        """True when the server holds this exact envelope, so the device may purge it."""
        return self.status in (ItemStatus.stored, ItemStatus.duplicate)


class UploadResponse(BaseModel):
    results: list[ItemResult]


_B64_32 = r"^[A-Za-z0-9+/]{43}=$"
_B64_16 = r"^[A-Za-z0-9+/]{22}==$"


class ClaimRequest(BaseModel):
    """Spend a one-time code without sending it: ``lookup`` and ``mac`` come from
    :func:`sync.crypto.enrolment_keys` of the code; ``device_key`` is the device's own Ed25519
    public key (base64), so a token seen on the wire is of no use without the device."""

    model_config = ConfigDict(extra="forbid")

    lookup: str = Field(pattern=r"^[0-9a-f]{64}$")
    device_name: str = Field(min_length=1, max_length=128)
    device_key: str = Field(pattern=_B64_32)
    nonce: str = Field(pattern=_B64_16)
    mac: str = Field(pattern=_B64_32)


class ClaimResponse(BaseModel):
    """The server's answer, MAC'd under the code's key over the request too: an on-path
    attacker can change neither the agency key, nor the server's signing key, nor the TLS
    certificate the device pins. ``token_sealed`` is the device token under the code's token
    key (AES-256-GCM)."""

    device_id: str
    token_sealed: str
    agency_public_key: str  # base64 of the raw X25519 public key
    agency_key_fingerprint: str
    server_key: str  # base64 of the server's raw Ed25519 public key
    tls_fingerprint: str | None = None  # SHA-256 hex of the certificate the server serves
    site: str
    role: str
    config_etag: str
    mac: str


def claim_request_transcript(req: ClaimRequest) -> bytes:
    from sync.crypto import transcript

    return transcript(
        b"waymark-claim-request\x02", req.lookup, req.device_name, req.device_key, req.nonce
    )


def claim_response_transcript(req: ClaimRequest, resp: ClaimResponse) -> bytes:
    from sync.crypto import transcript

    return transcript(
        b"waymark-claim-response\x02",
        claim_request_transcript(req),
        resp.device_id,
        resp.token_sealed,
        resp.agency_public_key,
        resp.agency_key_fingerprint,
        resp.server_key,
        resp.tls_fingerprint,
        resp.site,
        resp.role,
        resp.config_etag,
    )


def token_aad(req: ClaimRequest, device_id: str) -> bytes:
    from sync.crypto import transcript

    return transcript(b"waymark-device-token\x02", req.lookup, req.device_key, device_id)


def request_transcript(
    method: str, target: str, device_id: str, counter: int, nonce: str, body: bytes
) -> bytes:
    """What a device signs: method, path with query, its id, counter, nonce, body digest."""
    from sync.crypto import transcript

    return transcript(
        b"waymark-request\x02",
        method.upper(),
        target,
        device_id,
        counter,
        nonce,
        hashlib.sha256(body).digest(),
    )


def statement_transcript(device_id: str, nonce: str, status: int, body: bytes) -> bytes:
    """What the server signs for every answer to a device: the device, the request's nonce,
    the status and the body. A revocation (403 ``wipe``) or an acknowledgement is only
    believed with this signature."""
    from sync.crypto import transcript

    return transcript(
        b"waymark-statement\x02", device_id, nonce, status, hashlib.sha256(body).digest()
    )


class ConfigResponse(BaseModel):
    """What a device downloads: questionnaires (file name: text), referrals, settings."""

    questionnaires: dict[str, str] = Field(default_factory=dict)
    translations: dict[str, str] = Field(default_factory=dict)
    referral_directory: list[dict[str, Any]] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)


class HealthResponse(BaseModel):
    status: str = "ok"
    api: str = API_VERSION


class ErrorBody(BaseModel):
    """Error bodies carry a code; a revoked device also gets ``wipe: true`` (believed only
    when signed); ``counter_stale`` carries the last counter the server saw."""

    detail: str
    wipe: bool = False
    counter: int | None = None


class DeviceInfo(BaseModel):
    device_id: str
    name: str
    site: str
    role: str
    enrolled_at: datetime
    last_seen_at: datetime | None = None
    revoked_at: datetime | None = None
    #: records waiting on the device after its last upload (None: it never said)
    waiting: int | None = None


class EnvelopeOut(BaseModel):
    """An envelope as the coordinator console reads it back (still sealed)."""

    seq: int
    id: UUID
    device_id: str
    form_id: str
    form_version: str
    created_at: datetime
    received_at: datetime
    digest: str
    sealed: str
    conflict: bool = False


class EnvelopesPage(BaseModel):
    """One page of envelopes in arrival order.

    ``next_since`` pages through what is there now. ``settled_since`` is the cursor to keep for
    the next incremental read: with several server processes, an envelope can become visible
    after one with a higher ``seq``, so the cursor only passes envelopes received some seconds
    ago; a reader starting from it may see an envelope twice (same ``seq``), never miss one.
    """

    envelopes: list[EnvelopeOut]
    next_since: int
    settled_since: int


@runtime_checkable
class Outbox(Protocol):
    """The device's queue of finalised, sealed records (``app.store`` implements it; every fake
    used in tests runs the same contract suite, tests/sync/test_outbox_contract.py)."""

    def pending(self, limit: int) -> list[EnvelopeIn]:
        """Up to ``limit`` envelopes still to send (never-tried first)."""
        ...

    def pending_count(self) -> int:
        """How many records wait to be sent (the progress total; a count only)."""
        ...

    def acknowledge(self, results: list[ItemResult]) -> None:
        """Called only with the server's per-item results; purges readable copies of
        stored/duplicate items; keeps conflicts and errors for a later try."""
        ...
