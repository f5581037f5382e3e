"""A real agency for console tests: the server app on a SQLite file, a real agency key pair,
enrolled devices at two sites, and records sealed as a device seals them.

Shared by the console's unit tests and its browser test; nothing here is a fake (the
in-process transport calls the real FastAPI app).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.store import crypto
from sync.protocol import EnvelopeIn
from sync.server import Settings, admin, create_app
from tests.sync.helpers import PASSPHRASE, AgencyKeys, InProcessTransport

MARKER = "ZEBRA-MARKER-7731"
FORM = ("waymark_screening", "2026.11.1")

TRAFFICKING = {
    "flags": [
        {
            "id": "documents_held",
            "dimension": "coercion_destination",
            "strength": "strong",
            "because": ["journey/documents"],
        },
        {
            "id": "deceived_job",
            "dimension": "deceptive_recruitment",
            "strength": "medium",
            "because": ["work/promise"],
        },
    ],
    "pathways": [
        {"id": "trafficking", "because": ["documents_held"]},
        {"id": "legal", "because": ["documents_held"]},
    ],
    "indicators": {},
}
URGENT = {
    "flags": [{"id": "urgent_medical", "dimension": None, "strength": None, "because": []}],
    "pathways": [{"id": "urgent", "because": ["urgent_medical"]}],
    "indicators": {},
}
NOTHING: dict[str, Any] = {"flags": [], "pathways": [], "indicators": {}}


@dataclass
class Agency:
    settings: Settings
    keys: AgencyKeys
    token: str
    app: Any
    devices: dict[str, str] = field(default_factory=dict)  # site -> device id
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def passphrase(self) -> str:
        return PASSPHRASE

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self.app)

    def write_key(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "agency-private.pem"
        path.write_bytes(self.keys.private_pem)
        path.chmod(0o600)
        return path

    def upload(
        self,
        site: str,
        outcome: dict[str, Any],
        values: dict[str, Any] | None = None,
        *,
        finalised: datetime | None = None,
    ) -> str:
        """Seal one record at ``site`` and upload it through the real sync client."""
        device = self.devices[site]
        env = sealed(
            self.keys, device, values or {"intro/name": MARKER}, outcome, finalised=finalised
        )
        results = self.clients[site].upload([env])
        assert all(r.acknowledged for r in results), results
        return str(env.id)

    def close(self) -> None:
        engine = admin._ENGINES.pop(self.settings.url, None)
        if engine is not None:
            engine.dispose()


def sealed(
    keys: AgencyKeys,
    device: str,
    values: dict[str, Any],
    outcome: dict[str, Any],
    *,
    finalised: datetime | None = None,
    record_id: str | None = None,
) -> EnvelopeIn:
    rid = record_id or str(uuid.uuid4())
    at = finalised or datetime.now(UTC)
    payload = {
        "record_id": rid,
        "device_id": device,
        "form_id": FORM[0],
        "form_version": FORM[1],
        "language": "en",
        "started_at": (at - timedelta(minutes=20)).isoformat(),
        "finalised_at": at.isoformat(),
        "values": values,
        "outcome": outcome,
        "consent": {"screening": True, "storing": True},
    }
    blob = crypto.seal(
        keys.public_raw,
        json.dumps(payload).encode("utf-8"),
        crypto.envelope_info(rid, device, *FORM),
    )
    return EnvelopeIn.build(
        id=rid, device_id=device, form_id=FORM[0], form_version=FORM[1], created_at=at, sealed=blob
    )


def make_agency(folder: Path, sites: tuple[str, ...] = ("north", "south")) -> Agency:
    """A server with an agency key, a coordinator and one enrolled tablet per site."""
    from sync.client import SyncClient

    settings = Settings(data_dir=folder / "server")
    keys = AgencyKeys.new()
    admin.install_agency_key(settings, keys.public_raw)
    token = admin.add_coordinator(settings, "Coordinator One")
    app = create_app(settings)
    agency = Agency(settings, keys, token, app)
    for site in sites:
        code = admin.create_enrolment(settings, site)
        client = SyncClient("http://agency", transport=InProcessTransport(app))
        agency.devices[site] = client.claim(code.code, f"tablet-{site}").device_id
        agency.clients[site] = client
    return agency
