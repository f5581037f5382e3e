"""Server settings in one place; every field has a safe default for a field-office laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sync.protocol import MAX_BATCH, MAX_REQUEST_BYTES, MAX_SEALED_BYTES


@dataclass
class Settings:
    """Where the server keeps its data and the limits it enforces.

    ``database_url`` defaults to a SQLite file in ``data_dir``; a ``postgresql://`` URL switches
    to PostgreSQL (several server processes may then share it). ``config_dir`` holds what devices
    download: ``questionnaires/`` (files), ``translations/`` (files) and ``sites/<site>.yaml``
    (``referral_directory`` and ``settings``).
    """

    data_dir: Path = field(default_factory=lambda: Path("waymark-data"))
    database_url: str | None = None
    config_dir: Path | None = None
    public_url: str | None = None
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_batch: int = MAX_BATCH
    enrolment_ttl: timedelta = timedelta(hours=24)
    claim_limit: int = 10
    claim_window: timedelta = timedelta(minutes=1)
    trust_forwarded_for: bool = False
    run_migrations: bool = True
    #: the certificate the server serves (PEM); its fingerprint travels in the enrolment
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: the address of the TLS proxy in front (plain HTTP beyond loopback is refused without it);
    #: forwarded client addresses are believed from it only
    proxy: str | None = None
    #: the largest sealed envelope and the most sealed bytes one device may store
    max_envelope_bytes: int = MAX_SEALED_BYTES
    device_quota_bytes: int | None = 2_000_000_000
    #: the most sealed bytes in one page a coordinator reads
    page_max_bytes: int = 16_000_000
    #: how much larger than its compressed size a gzip body may grow
    max_inflation_ratio: int = 20

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if self.config_dir is not None:
            self.config_dir = Path(self.config_dir)
        if self.tls_cert is not None:
            self.tls_cert = Path(self.tls_cert)
        if self.tls_key is not None:
            self.tls_key = Path(self.tls_key)
        self.trust_forwarded_for = self.trust_forwarded_for or self.proxy is not None

    @property
    def url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'waymark-server.db').resolve()}"

    @property
    def tls_fingerprint(self) -> str | None:
        """SHA-256 hex of the served certificate, or None without TLS."""
        if self.tls_cert is None:
            return None
        from sync.crypto import certificate_fingerprint

        return certificate_fingerprint(self.tls_cert.read_bytes())

    @property
    def config_path(self) -> Path:
        return self.config_dir if self.config_dir is not None else self.data_dir / "config"

    def to_env(self) -> dict[str, str]:
        """The environment that makes :meth:`from_env` rebuild these settings (for workers)."""
        env = {"WAYMARK_DATA_DIR": str(self.data_dir.resolve())}
        if self.database_url:
            env["WAYMARK_DATABASE_URL"] = self.database_url
        if self.config_dir is not None:
            env["WAYMARK_CONFIG_DIR"] = str(self.config_dir.resolve())
        if self.public_url:
            env["WAYMARK_PUBLIC_URL"] = self.public_url
        if self.tls_cert is not None:
            env["WAYMARK_TLS_CERT"] = str(self.tls_cert.resolve())
        if self.proxy:
            env["WAYMARK_PROXY"] = self.proxy
        return env

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from WAYMARK_DATA_DIR, _DATABASE_URL, _CONFIG_DIR and _PUBLIC_URL."""
        values: dict[str, object] = {}
        if os.environ.get("WAYMARK_DATA_DIR"):
            values["data_dir"] = Path(os.environ["WAYMARK_DATA_DIR"])
        if os.environ.get("WAYMARK_DATABASE_URL"):
            values["database_url"] = os.environ["WAYMARK_DATABASE_URL"]
        if os.environ.get("WAYMARK_CONFIG_DIR"):
            values["config_dir"] = Path(os.environ["WAYMARK_CONFIG_DIR"])
        if os.environ.get("WAYMARK_PUBLIC_URL"):
            values["public_url"] = os.environ["WAYMARK_PUBLIC_URL"]
        if os.environ.get("WAYMARK_TLS_CERT"):
            values["tls_cert"] = Path(os.environ["WAYMARK_TLS_CERT"])
        if os.environ.get("WAYMARK_PROXY"):
            values["proxy"] = os.environ["WAYMARK_PROXY"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
