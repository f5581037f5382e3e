"""``waymark demo``: the whole of Waymark on one machine, on its embedded defaults.

It keeps everything under one folder (``waymark-data`` by default):

    waymark-data/                 the agency server's data (SQLite database, config)
    waymark-data/coordinator/     the agency key pair; the demo passphrase beside it
    waymark-data/device/          the field app's encrypted store

On first run it makes the agency key pair, installs the public key in the server, starts the
server, enrols the field app as a device with a one-time code and sets the demo PIN. Every run
then serves the field app in web mode (offline, no CDN) and prints both addresses and the PIN.
Ctrl-C (or SIGTERM) stops both cleanly.

A demo passphrase and PIN are written down on purpose: this is for trying Waymark out, never
for real screenings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEMO_PIN = "246810"
DEMO_PASSPHRASE = "demo passphrase, not for field use"  # noqa: S105 - the demo says it aloud
DEMO_SITE = "demo-site"
PRIVATE_KEY = "agency-private.pem"
PASSPHRASE_FILE = "demo-passphrase.txt"  # noqa: S105 - a file name


def register(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser(
        "demo", help=_("start the agency server and an enrolled field app on this machine")
    )
    p.add_argument("--data", type=Path, default=Path("waymark-data"),
                   help=_("folder for all demo data (default: waymark-data)"))
    p.add_argument("--server-port", type=int, default=8000, help=_("the server's port"))
    p.add_argument("--app-port", type=int, default=8550, help=_("the field app's port"))
    p.set_defaults(func=run)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.2)
    return False


def _waymark(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def ensure_agency_key(data: Path) -> None:
    """Make the agency key pair once and install its public half in the server."""
    from sync import crypto
    from sync.server import Settings, admin

    coordinator = data / "coordinator"
    private = coordinator / PRIVATE_KEY
    if private.exists() and admin.agency_key(Settings(data_dir=data)) is not None:
        return
    coordinator.mkdir(parents=True, exist_ok=True)
    pem, public_raw = crypto.new_agency_keypair(DEMO_PASSPHRASE)
    private.write_bytes(pem)
    private.chmod(0o600)
    (coordinator / PASSPHRASE_FILE).write_text(DEMO_PASSPHRASE + "\n", encoding="utf-8")
    admin.install_agency_key(Settings(data_dir=data), public_raw)


#: the demo site's referral directory: sample services with made-up numbers, so the urgent
#: screen and the summary show what a real site's directory looks like
DEMO_DIRECTORY: list[dict[str, Any]] = [
    {
        "name": "Sample medical point (demo)",
        "pathways": ["urgent", "medical", "mhpss"],
        "phone": "+000 100 200 300",
        "hours": "24/7",
        "emergency": True,
    },
    {
        "name": "Sample protection desk (demo)",
        "pathways": ["urgent", "child", "gbv", "trafficking"],
        "phone": "+000 100 200 301",
        "hours": "Mon-Fri 9-17",
        "emergency": True,
    },
    {
        "name": "Sample legal aid (demo)",
        "pathways": ["legal_aid", "international_protection"],
        "phone": "+000 100 200 302",
        "address": "Reception centre, office 4",
        "hours": "Mon-Fri 9-17",
    },
    {
        "name": "Sample family tracing (demo)",
        "pathways": ["family_tracing"],
        "phone": "+000 100 200 303",
        "hours": "Tue, Thu 10-16",
    },
]


def ensure_site_config(data: Path) -> None:
    """What the demo server gives its devices: the questionnaires (the screening, and the
    three-question skeleton only here in the demo) and the demo site's directory. Kept when
    already there, so a coordinator's edits survive a restart."""
    import shutil

    import yaml

    from app.ui.main import QUESTIONNAIRES_DIR

    config = data / "config"
    (config / "sites").mkdir(parents=True, exist_ok=True)
    forms = config / "questionnaires"
    if not forms.exists():
        forms.mkdir()
        for name in ("screening.yaml", "skeleton.yaml"):
            shutil.copy(QUESTIONNAIRES_DIR / name, forms / name)
    site = config / "sites" / f"{DEMO_SITE}.yaml"
    if not site.exists():
        site.write_text(
            yaml.safe_dump({"referral_directory": DEMO_DIRECTORY}, sort_keys=False), "utf-8"
        )


def ensure_device(data: Path, server_url: str) -> None:
    """Set the demo PIN and enrol the field app, unless that was done on an earlier run."""
    from app.store import Enrolment, Store
    from sync.client import SyncClient
    from sync.server import Settings, admin

    with contextlib.closing(Store.open(data / "device")) as store:
        if store.needs_pin_setup:
            store.set_pin(DEMO_PIN)
        else:
            store.unlock(DEMO_PIN)
        if store.enrolled:
            store.lock()
            return
        code = admin.create_enrolment(
            Settings(data_dir=data), DEMO_SITE, "outreach", server_url=server_url
        )
        with SyncClient(server_url) as client:
            claimed = client.claim(code.code, "demo tablet", expected_fingerprint=code.fingerprint)
        store.save_enrolment(Enrolment.claimed(server_url, claimed))
        store.lock()


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop every part; a second Ctrl-C while stopping must not leave a part running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(args: argparse.Namespace, _: Any) -> int:
    data: Path = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    for port in (args.server_port, args.app_port):
        if not _port_free(port):
            print(_("Port {port} is in use; choose another with --server-port or --app-port.",
                    port=port), file=sys.stderr)
            return 1
    ensure_agency_key(data)
    ensure_site_config(data)
    procs: list[subprocess.Popen[bytes]] = []

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    # Ctrl-C stops the demo even when it was started from a shell that ignores SIGINT in
    # background jobs (Python then keeps ignoring it); SIGTERM stops it the same way.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not _start(data, args.server_port, args.app_port, procs, _):
            return 1
        _say_running(data, args.server_port, args.app_port, _)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print(_("A part of the demo stopped; stopping the rest."), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("Stopping."), flush=True)
        return 0
    finally:
        _stop(procs)


def _start(
    data: Path, server_port: int, app_port: int, procs: list[subprocess.Popen[bytes]], _: Any
) -> bool:
    """The agency server, the enrolled demo device, then the field app; each started process
    is put in ``procs`` (stopped by the caller). False, with the reason said, when one fails."""
    from app.store.errors import StoreError
    from app.store.messages import describe
    from sync.errors import SyncError

    server_url = f"http://127.0.0.1:{server_port}"
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        _waymark("server", "--data-dir", str(data), "--port", str(server_port),
                 "--public-url", server_url),
        start_new_session=True,
    )
    procs.append(server)
    if not _wait_for_port(server_port, server, 60):
        print(_("The agency server did not start."), file=sys.stderr)
        return False
    try:
        ensure_device(data, server_url)
    except (StoreError, SyncError) as exc:
        # e.g. the demo PIN was changed in the app, or the server refused the enrolment
        print(_("The demo device could not be prepared: {reason}",
                reason=describe(exc, _) if isinstance(exc, StoreError) else exc.code),
              file=sys.stderr)
        return False
    field_app = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        _waymark("app", "--data", str(data / "device"), "--port", str(app_port)),
        start_new_session=True,
    )
    procs.append(field_app)
    if not _wait_for_port(app_port, field_app, 90):
        print(_("The field app did not start."), file=sys.stderr)
        return False
    return True


def _say_running(data: Path, server_port: int, app_port: int, _: Any) -> None:
    """Both addresses, the demo PIN, and how to export what reached the server."""
    server_url = f"http://127.0.0.1:{server_port}"
    key = data / "coordinator" / PRIVATE_KEY
    passphrase = data / "coordinator" / PASSPHRASE_FILE
    print()
    print(_("Waymark demo is running."))
    print(
        _(
            "Agency server: {url}  (API documentation: {url}/api/v2/openapi.json)",
            url=server_url,
        )
    )
    print(_("Field app: {url}", url=f"http://127.0.0.1:{app_port}/"))
    print(_("Demo PIN: {pin}", pin=DEMO_PIN))
    print(_("Export what reached the server:"))
    print(f"  waymark export --data-dir {data} --key {key} --passphrase-file {passphrase}")
    print(_("Press Ctrl-C to stop."), flush=True)
