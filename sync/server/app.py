"""The agency server's HTTP interface (FastAPI), versioned under ``/api/v2``.

Stateless: everything lives in the database, so several processes can share one PostgreSQL.
Error bodies carry codes (``{"detail": "device_revoked", "wipe": true}``), never words or
request content. Who is asking is settled by :class:`sync.server.middleware.Gate` before any
body is read; the routes find the device or coordinator in the request's state.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import crypto
from sync.errors import Refused, Revoked, ServerSetupError, SyncError, Unauthorized
from sync.protocol import (
    API_PREFIX,
    API_VERSION,
    ClaimRequest,
    ClaimResponse,
    ConfigResponse,
    DeviceInfo,
    EnvelopeOut,
    EnvelopesPage,
    ErrorBody,
    HealthResponse,
    UploadRequest,
    UploadResponse,
    b64,
    claim_response_transcript,
    token_aad,
)
from sync.server import service
from sync.server.db import open_database
from sync.server.middleware import COORDINATOR, DEVICE, Gate
from sync.server.models import Coordinator, Device, as_utc
from sync.server.settings import Settings

#: Time after which an envelope's insert has surely committed (see EnvelopesPage).
SETTLE = timedelta(seconds=10)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def classify(path: str) -> str | None:
    """Which credential a path needs: a device's, a coordinator's, or none."""
    if path in (f"{API_PREFIX}/envelopes", f"{API_PREFIX}/config"):
        return DEVICE
    if path.startswith((f"{API_PREFIX}/devices", f"{API_PREFIX}/coordinator/")) or path == (
        f"{API_PREFIX}/coordinator"
    ):
        return COORDINATOR
    return None


def create_app(settings: Settings | None = None, engine: sa.Engine | None = None) -> FastAPI:
    """The server app; opens (and migrates) the settings' database unless given an engine."""
    settings = settings or Settings()
    backend = _Backend(settings, engine or open_database(settings))
    app = FastAPI(
        title="Waymark agency server",
        version=API_VERSION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # no Swagger UI: it would load scripts from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = backend.engine
    api = APIRouter(prefix=API_PREFIX)
    _enrolment_routes(api, backend)
    _device_routes(api, backend)
    _coordinator_routes(api, backend)
    app.include_router(api)
    _install_error_handlers(app)
    app.add_middleware(
        Gate,
        max_bytes=settings.max_request_bytes,
        max_ratio=settings.max_inflation_ratio,
        classify=classify,
        authenticate=backend.authenticate,
        advance=backend.advance,
        signing_key=backend.signing_key,
    )
    return app


class _Backend:
    """What the routes and the gate share: the settings, the database, the server's key."""

    def __init__(self, settings: Settings, engine: sa.Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._keys: dict[str, bytes] = {}

    def db(self) -> Session:
        """A session used and closed inside one endpoint call, so its connection is back in
        the pool before the worker thread is (no generator dependency holding it)."""
        return Session(self.engine, expire_on_commit=False)

    def signing_key(self) -> bytes:
        if "private" not in self._keys:
            with self.db() as session:
                key = service.server_key(session)
                self._keys["private"], self._keys["public"] = key.private_raw, key.public_raw
        return self._keys["private"]

    def public_key(self) -> bytes:
        self.signing_key()
        return self._keys["public"]

    def authenticate(self, kind: str, token: str) -> Any:
        with self.db() as session:
            if kind == DEVICE:
                device = service.device_for_token(session, token)
                if device is not None:
                    service.touch(session, device)
                return device
            return service.coordinator_for_token(session, token)

    def advance(self, device_id: str, counter: int) -> int | None:
        with self.db() as session:
            return service.advance_counter(session, device_id, counter)


def _get_device(request: Request) -> Device:
    device = getattr(request.state, "waymark_device", None)
    if not isinstance(device, Device):
        raise Unauthorized()
    if device.revoked_at is not None:
        raise Revoked(status=403)
    return device


def _coordinator(*scopes: str) -> Any:
    """A coordinator credential holding any one of ``scopes``."""

    def check(request: Request) -> Coordinator:
        coord = getattr(request.state, "waymark_coordinator", None)
        if not isinstance(coord, Coordinator):
            raise Unauthorized()
        if not any(coord.allows(scope) for scope in scopes):
            raise Refused("scope_missing", status=403, params={"scope": scopes[0]})
        return coord

    return check


DeviceDep = Annotated[Device, Depends(_get_device)]
Reader = Annotated[Coordinator, Depends(_coordinator("read"))]
Eraser = Annotated[Coordinator, Depends(_coordinator("erase"))]
DeviceManager = Annotated[Coordinator, Depends(_coordinator("devices"))]
DeviceLister = Annotated[Coordinator, Depends(_coordinator("read", "devices"))]


def _enrolment_routes(api: APIRouter, b: _Backend) -> None:
    settings = b.settings

    @api.get("/health", response_model=HealthResponse)
    def health() -> HealthResponse:
        return HealthResponse()

    @api.post(
        "/enrol/claim",
        response_model=ClaimResponse,
        responses={**ERRORS, 429: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    def claim(body: ClaimRequest, request: Request) -> ClaimResponse:
        # the peer address; uvicorn replaces it by the forwarded one only from the TLS proxy
        client = request.client.host if request.client else "unknown"
        with b.db() as session:
            if service.claims_blocked(session, client, settings.claim_limit, settings.claim_window):
                raise Refused("rate_limited", status=429)
            try:
                claimed = service.claim(session, body)
            except Refused:
                session.rollback()
                service.note_failed_claim(session, client, settings.claim_window)
                raise
        return _claim_response(b, body, claimed)


def _claim_response(b: _Backend, body: ClaimRequest, claimed: service.Claimed) -> ClaimResponse:
    """The answer to a spent code: the token sealed under the code's key, the agency and
    server keys, the TLS pin, all under the code's MAC."""
    server_key = b.public_key()
    try:
        _config, etag = service.site_config(b.settings.config_path, claimed.device.site)
    except ServerSetupError:
        etag = ""  # the code is spent: the device enrols, and fetches its config once fixed
    token_sealed = crypto.encrypt(
        claimed.token_key, claimed.token.encode("ascii"), token_aad(body, claimed.device.id)
    )
    response = ClaimResponse(
        device_id=claimed.device.id,
        token_sealed=b64(token_sealed),
        agency_public_key=b64(claimed.key.public_raw),
        agency_key_fingerprint=claimed.key.fingerprint,
        server_key=b64(server_key),
        tls_fingerprint=b.settings.tls_fingerprint,
        site=claimed.device.site,
        role=claimed.device.role,
        config_etag=etag,
        mac="",
    )
    response.mac = b64(crypto.mac(claimed.mac_key, claim_response_transcript(body, response)))
    return response


def _device_routes(api: APIRouter, b: _Backend) -> None:
    settings = b.settings

    @api.post("/envelopes", response_model=UploadResponse, responses=ERRORS)
    def upload(body: UploadRequest, device: DeviceDep) -> UploadResponse:
        if len(body.envelopes) > settings.max_batch:
            raise Refused("batch_too_large", status=413)
        with b.db() as session:
            fresh = session.get(Device, device.id) or device
            results = service.upload(
                session,
                fresh,
                body.envelopes,
                max_sealed=settings.max_envelope_bytes,
                quota=settings.device_quota_bytes,
            )
            if body.waiting is not None:
                service.note_waiting(session, device, body.waiting, results)
            return UploadResponse(results=results)

    @api.get(
        "/config",
        response_model=ConfigResponse,
        responses={**ERRORS, 304: {"description": "Not modified"}},
    )
    def config(
        device: DeviceDep,
        response: Response,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        data, etag = service.site_config(settings.config_path, device.site)
        if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return data


def _coordinator_routes(api: APIRouter, b: _Backend) -> None:
    @api.get("/devices", response_model=list[DeviceInfo], responses=ERRORS)
    def list_devices(coord: DeviceLister) -> list[DeviceInfo]:
        with b.db() as session:
            service.record_action(session, coord.id, "list_devices", None)
            return [device_info(d) for d in service.devices(session)]

    @api.post(
        "/devices/{device_id}/revoke",
        response_model=DeviceInfo,
        responses={**ERRORS, 404: {"model": ErrorBody}},
    )
    def revoke_device(device_id: str, coord: DeviceManager) -> DeviceInfo:
        with b.db() as session:
            device = service.revoke(session, device_id, by=coord.id)
            service.record_action(session, coord.id, "revoke_device", device.id)
            return device_info(device)

    @api.get("/coordinator/envelopes", response_model=EnvelopesPage, responses=ERRORS)
    def coordinator_envelopes(
        coord: Reader,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> EnvelopesPage:
        with b.db() as session:
            rows = service.envelopes_since(session, since, limit, b.settings.page_max_bytes)
            service.record_action(session, coord.id, "read_envelopes", str(since))
        return EnvelopesPage(
            envelopes=rows,
            next_since=rows[-1].seq if rows else since,
            settled_since=_settled(rows, since),
        )

    @api.delete("/coordinator/records/{record_id}", responses=ERRORS)
    def erase_record(record_id: str, coord: Eraser) -> dict[str, int]:
        if len(record_id) > 36 or not record_id.isprintable():
            raise Refused("record_id_invalid", status=400)
        with b.db() as session:
            erased = service.erase(session, record_id, coord.id)
            service.record_action(session, coord.id, "erase_record", record_id)
            return {"erased": erased}


def _settled(rows: list[EnvelopeOut], since: int) -> int:
    """The last sequence number whose insert has surely committed (older than SETTLE)."""
    settled = since
    horizon = datetime.now(UTC) - SETTLE
    for row in rows:
        if row.received_at > horizon:
            break
        settled = row.seq
    return settled


def device_info(d: Device) -> DeviceInfo:
    return DeviceInfo(
        device_id=d.id,
        name=d.name,
        site=d.site,
        role=d.role,
        enrolled_at=as_utc(d.enrolled_at),  # type: ignore[arg-type]
        last_seen_at=as_utc(d.last_seen_at),
        revoked_at=as_utc(d.revoked_at),
        waiting=d.waiting,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    410: "api_version_retired",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "encoding_unsupported",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SyncError)
    async def sync_error(_request: Request, exc: SyncError) -> JSONResponse:
        if isinstance(exc, Revoked):
            return JSONResponse({"detail": exc.code, "wipe": True}, status_code=403)
        if isinstance(exc, Unauthorized):
            return JSONResponse(
                {"detail": exc.code}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if isinstance(exc, ServerSetupError):
            return JSONResponse({"detail": exc.code}, status_code=503)
        status = exc.status or 400
        headers = {"Retry-After": "60"} if status == 429 else None
        return JSONResponse({"detail": exc.code}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors()[:20]:
            loc = [str(p) for p in e.get("loc", ())][:6]
            if e.get("type") == "extra_forbidden" and loc:
                loc[-1] = "*"  # the unknown key is the sender's text: never echoed
            errors.append({"loc": loc, "type": str(e.get("type", ""))})
        return JSONResponse({"detail": "request_invalid", "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse({"detail": code}, status_code=exc.status_code, headers=exc.headers)
