"""The device side of the wire protocol: claim, upload, config download.

The transport is a seam: tests pass ``httpx.ASGITransport(app)`` to run the real server in
process, or a fault-injecting transport. Nothing is acknowledged to the outbox except the
server's own per-item results for envelopes this client sent, in an answer the server signed.

After :meth:`SyncClient.claim`, ``client.token`` is the device's whole credential (its id, the
server token, its own Ed25519 key, the server's signing key and the pinned TLS certificate) as
one opaque string: the field app stores it encrypted as before and hands it back to
``SyncClient(url, token)``. Every request is then signed by the device key, and every answer
believed only with the server's signature over it (docs/SECURITY.md).
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import os
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sync import crypto
from sync.client._http import http_client
from sync.client._http import parse as _parse
from sync.client._http import raise_for as _raise_for
from sync.errors import (
    Revoked,
    SyncError,
    Unauthorized,
    Unreachable,
)
from sync.protocol import (
    API_PREFIX,
    HEADER_COUNTER,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_STATEMENT,
    Claim,
    ClaimRequest,
    ClaimResponse,
    ConfigResponse,
    EnvelopeIn,
    ItemResult,
    ItemStatus,
    Outbox,
    UploadRequest,
    UploadResponse,
    b64,
    claim_request_transcript,
    claim_response_transcript,
    normalise_code,
    request_transcript,
    statement_transcript,
    token_aad,
    unb64,
)

Progress = Callable[[int, int, int], None]

GZIP_MIN_BYTES = 1024


@dataclass
class SyncReport:
    """What one ``sync_once`` did. ``error`` is the first failure (the rest waits for a retry)."""

    sent: int = 0
    total: int = 0
    stored: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    errors: int = 0
    error: SyncError | None = None
    details: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        return self.stored + self.duplicate

    @property
    def complete(self) -> bool:
        return self.error is None


fingerprint_of = crypto.fingerprint  # the one recipe, under the name the client exported

_CREDENTIAL_TAG = "wmc2."


@dataclass(frozen=True)
class DeviceCredential:
    """What a device holds after enrolment; secret (it carries the device's private key)."""

    device_id: str
    token: str
    device_key: str  # base64 of the raw Ed25519 private key
    server_key: str  # base64 of the server's raw Ed25519 public key, pinned
    tls_certificate: str | None = None  # PEM of the pinned self-signed certificate

    def encode(self) -> str:
        raw = json.dumps(asdict(self), separators=(",", ":")).encode("utf-8")
        return _CREDENTIAL_TAG + base64.urlsafe_b64encode(raw).decode("ascii")

    @classmethod
    def decode(cls, text: str | None) -> DeviceCredential | None:
        """The credential in ``text``; None for anything else (a bare v1 token)."""
        if not text or not text.startswith(_CREDENTIAL_TAG):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(text[len(_CREDENTIAL_TAG) :]))
            return cls(**data)
        except (ValueError, TypeError):
            raise SyncError("credential_invalid") from None

    def __repr__(self) -> str:  # never the secrets
        return f"DeviceCredential(device_id={self.device_id!r})"


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pinned_context(certificate_pem: str) -> ssl.SSLContext:
    """TLS that trusts exactly this certificate (a field office's self-signed one)."""
    context = ssl.create_default_context(cadata=certificate_pem)
    context.check_hostname = False  # the pin, not the name, identifies the server
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


class SyncClient:
    """Speaks ``/api/v2`` to one agency server for one device.

    ``token`` is the credential string from :meth:`claim` (``client.token`` afterwards). A
    plain-HTTP address that is not loopback is refused (``plain_http_refused``) unless a
    transport is given (tests run the server in process)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
        batch_size: int = 200,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        scheme = urlsplit(self.base_url).scheme.lower()
        if scheme not in ("http", "https"):
            raise SyncError("server_url_invalid")
        if scheme == "http" and transport is None and not is_loopback(self.base_url):
            raise SyncError("plain_http_refused")
        self.credential = DeviceCredential.decode(token)
        self.token = token
        self.batch_size = batch_size
        self._transport = transport
        self._timeout = timeout
        self._counter = 0
        self._http = self._client()
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if self.base_url.lower().startswith("https:"):
            cert = self.credential.tls_certificate if self.credential else None
            # before enrolment nothing is trusted to TLS: the claim is MAC'd under the code,
            # and the certificate it names is checked against the connection's
            verify = pinned_context(cert) if cert else self.credential is not None
        return http_client(
            self.base_url, transport=self._transport, timeout=self._timeout, verify=verify
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self.credential is not None:
            return {"Authorization": f"Bearer {self.credential.token}"}
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _next_counter(self) -> int:
        self._counter = max(self._counter + 1, time.time_ns() // 1000)
        return self._counter

    def send(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, str]:
        """One request under this device's signature, and its nonce; the answer is returned
        as it came (not yet checked: see :meth:`signed`). For tools and tests."""
        headers = dict(kwargs.pop("headers", None) or {})
        nonce = b64(os.urandom(16))
        if self.credential is not None:
            body = kwargs.get("content", b"") or b""
            if isinstance(body, str):
                body = body.encode("utf-8")
            elif not isinstance(body, bytes):
                body = b""  # a streamed body is not signed: the server refuses it
            counter = self._next_counter()
            message = request_transcript(
                method, API_PREFIX + path, self.credential.device_id, counter, nonce, body
            )
            key = unb64(self.credential.device_key, 32)
            headers[HEADER_COUNTER] = str(counter)
            headers[HEADER_NONCE] = nonce
            headers[HEADER_SIGNATURE] = b64(crypto.sign(key, message))
        headers.update(self._headers())
        response = self._http.request(method, path, headers=headers, **kwargs)
        response.read()
        return response, nonce

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        where = f"{method} {path}"
        for attempt in range(3):
            try:
                response, nonce = self.send(method, path, **dict(kwargs))
            except httpx.HTTPError as exc:
                raise Unreachable(request=where) from exc
            if self.credential is None:
                _raise_for(response, where)
                return response
            if not self.signed(response, nonce):
                if response.status_code == 401:  # unsigned: changes nothing but this call
                    raise Unauthorized(request=where, status=401)
                raise Unreachable("statement_invalid", request=where, status=response.status_code)
            stale = _stale_counter(response)
            if stale is not None and attempt < 2:
                # above the server's highest, by a random step: two clients of one device
                # that were refused together do not pick the same counter again
                self._counter = max(self._counter, stale) + secrets.randbelow(1000)
                continue
            _raise_for(response, where)
            return response
        raise Unauthorized("counter_stale", request=where, status=401)

    def signed(self, response: httpx.Response, nonce: str) -> bool:
        """True when the server's pinned key signed this answer to this very request."""
        assert self.credential is not None
        try:
            statement = unb64(response.headers.get(HEADER_STATEMENT, ""), 64)
            server_key = unb64(self.credential.server_key, 32)
        except ValueError:
            return False
        message = statement_transcript(
            self.credential.device_id, nonce, response.status_code, response.content
        )
        return crypto.verify(server_key, statement, message)

    # --- calls --------------------------------------------------------------------------------

    def health(self, timeout: float = 5.0) -> bool:
        """True when the server answers its health probe."""
        try:
            response = self._http.get("/health", timeout=timeout)
            return response.status_code == 200 and response.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    def claim(self, code: str, device_name: str, expected_fingerprint: str | None = None) -> Claim:
        """Spend an enrolment code (typed, or from the QR code); keeps the credential in
        ``self.token``. The code never crosses the wire: its Argon2id keys authenticate the
        request and the answer, so an on-path attacker can swap neither the agency key, nor the
        server's signing key, nor its TLS certificate. With the fingerprint from the QR code,
        the agency key must match it too."""
        lookup, mac_key, token_key = crypto.enrolment_keys(normalise_code(code))
        device_key = crypto.new_signing_key()
        request = ClaimRequest(
            lookup=lookup,
            device_name=device_name,
            device_key=b64(crypto.signing_public_key(device_key)),
            nonce=b64(os.urandom(16)),
            mac=b64(b"\0" * 32),
        )
        request.mac = b64(crypto.mac(mac_key, claim_request_transcript(request)))
        response, claimed = self._post_claim(request)
        _check_claimed(request, claimed, mac_key, expected_fingerprint)
        certificate = self._check_tls(response, claimed.tls_fingerprint)
        self.credential = DeviceCredential(
            device_id=claimed.device_id,
            token=_open_token(token_key, request, claimed),
            device_key=b64(device_key),
            server_key=claimed.server_key,
            tls_certificate=certificate,
        )
        self.token = self.credential.encode()
        self._http.close()
        self._http = self._client()
        return Claim(
            device_id=claimed.device_id,
            token=self.token,
            agency_public_key=claimed.agency_public_key,
            agency_key_fingerprint=claimed.agency_key_fingerprint,
            site=claimed.site,
            role=claimed.role,
            config_etag=claimed.config_etag,
            server_key_fingerprint=crypto.fingerprint(unb64(claimed.server_key)),
            tls_fingerprint=claimed.tls_fingerprint,
        )

    def _post_claim(self, request: ClaimRequest) -> tuple[httpx.Response, ClaimResponse]:
        try:
            response = self._http.post("/enrol/claim", json=request.model_dump(mode="json"))
            response.read()
        except httpx.HTTPError as exc:
            raise Unreachable(request="POST /enrol/claim") from exc
        _raise_for(response, "POST /enrol/claim")
        return response, _parse(ClaimResponse, response, "POST /enrol/claim")

    def _check_tls(self, response: httpx.Response, pinned: str | None) -> str | None:
        """The PEM of the certificate to pin, when the (authenticated) claim names one: the
        connection must have used exactly it, and over HTTPS (no downgrade)."""
        if pinned is None:
            return None
        if not self.base_url.lower().startswith("https:"):
            raise SyncError("tls_downgrade")
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        if not der or crypto.certificate_fingerprint(der) != pinned:
            raise SyncError("tls_certificate_mismatch")
        return ssl.DER_cert_to_PEM_cert(der)

    def upload(self, envelopes: list[EnvelopeIn], waiting: int | None = None) -> list[ItemResult]:
        """Send one batch; returns the server's results for envelopes of this batch only.
        ``waiting``: records the outbox holds unsent, this batch included (a count only)."""
        request = UploadRequest(envelopes=envelopes, waiting=waiting)
        payload = request.model_dump_json(exclude_none=True).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if len(payload) >= GZIP_MIN_BYTES:
            payload = gzip.compress(payload, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        response = self._request("POST", "/envelopes", content=payload, headers=headers)
        parsed = _parse(UploadResponse, response, "POST /envelopes")
        sent = {e.id for e in envelopes}
        return [r for r in parsed.results if r.id in sent]

    def fetch_config(self, etag: str | None = None) -> tuple[ConfigResponse | None, str | None]:
        """(config, etag), or (None, etag) when the copy with ``etag`` is still current."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        response = self._request("GET", "/config", headers=headers)
        if response.status_code == 304:
            return None, etag
        return _parse(ConfigResponse, response, "GET /config"), response.headers.get("etag")

    def sync_once(self, outbox: Outbox, progress: Progress | None = None) -> SyncReport:
        """Upload everything pending, in batches; acknowledge each batch with the server's
        results. Stops at the first failure (kept in ``report.error``); raises
        :class:`Revoked` when the device must wipe itself."""
        with self._lock:
            return self._sync(outbox, progress)

    def _sync(self, outbox: Outbox, progress: Progress | None) -> SyncReport:
        report = SyncReport()
        tried: set[Any] = set()
        report.total = _waiting(outbox) or 0

        def tell() -> None:
            if progress is not None:
                progress(report.sent, report.total, report.errors)

        tell()
        while True:
            batch = [e for e in outbox.pending(self.batch_size + len(tried)) if e.id not in tried]
            batch = batch[: self.batch_size]
            if not batch:
                break
            report.total = max(report.total, report.sent + len(batch))
            try:
                results = self.upload(batch, waiting=_waiting(outbox))
            except Revoked:
                raise
            except SyncError as exc:
                report.errors += 1
                report.error = exc
                tell()
                break
            outbox.acknowledge(results)
            tried.update(e.id for e in batch)
            for r in results:
                setattr(report, r.status.value, getattr(report, r.status.value) + 1)
                if r.status in (ItemStatus.conflict, ItemStatus.rejected):
                    report.errors += 1
                    report.details.append(r.detail or r.status.value)
            report.sent += len(batch)
            tell()
        return report


def _check_claimed(
    request: ClaimRequest,
    claimed: ClaimResponse,
    mac_key: bytes,
    expected_fingerprint: str | None,
) -> None:
    """The answer is the server's (its MAC under the code's key) and names a well-formed agency
    key, the one the QR code named when it named one."""
    try:
        tag = unb64(claimed.mac, 32)
    except ValueError:
        tag = b""
    if not crypto.mac_ok(mac_key, claim_response_transcript(request, claimed), tag):
        raise SyncError("enrolment_unauthentic")
    try:
        public_raw = unb64(claimed.agency_public_key, 32)
        unb64(claimed.server_key, 32)
    except ValueError as exc:
        raise SyncError("agency_key_invalid") from exc
    if crypto.fingerprint(public_raw) != claimed.agency_key_fingerprint:
        raise SyncError("agency_key_invalid")
    if expected_fingerprint and expected_fingerprint != claimed.agency_key_fingerprint:
        raise SyncError("fingerprint_mismatch")


def _open_token(token_key: bytes, request: ClaimRequest, claimed: ClaimResponse) -> str:
    """The device's token, sealed under the code's token key."""
    try:
        return crypto.decrypt(
            token_key, unb64(claimed.token_sealed), token_aad(request, claimed.device_id)
        ).decode("ascii")
    except (ValueError, crypto.CryptoError) as exc:
        raise SyncError("enrolment_unauthentic") from exc


def _waiting(outbox: Outbox) -> int | None:
    """How many records the outbox holds unsent."""
    return int(outbox.pending_count())


def _stale_counter(response: httpx.Response) -> int | None:
    if response.status_code != 401:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("detail") == "counter_stale":
        value = body.get("counter")
        if isinstance(value, int) and 0 <= value < 2**62:
            return value
    return None
