"""Coordinator commands: ``waymark server``, ``enrol``, ``devices``, ``keys``, ``coordinator``
and ``export``. They work on the server's database directly (a SQLite file in the data folder,
or a PostgreSQL URL); ``export`` can also read from a running server with a coordinator token.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.cli.errors import CliError
from app.i18n import N_
from app.resources import questionnaires_dir

PRIVATE_KEY_FILE = "agency-private.pem"
PUBLIC_KEY_FILE = "agency-public.key"

#: Words for the codes the server and the export raise, translated where they are shown.
CODES = {
    "role_invalid": N_("The role must be outreach or interpreter."),
    "site_invalid": N_("The site name is empty or too long."),
    "device_unknown": N_("No device has the id {device_id}."),
    "agency_key_invalid": N_("That file does not hold an agency public key."),
    "agency_key_missing": N_("No agency key is installed yet: run 'waymark keys new' first."),
    "key_unreadable": N_("The private key could not be opened: wrong passphrase or damaged file."),
    "questionnaire_unreadable": N_("The questionnaire {file} could not be read."),
    "format_unknown": N_("Unknown format {format}."),
    "output_required": N_("This format needs an output file (--output)."),
    "source_unreachable": N_("The server could not be reached."),
    "source_refused": N_("The server refused the request ({status})."),
    "passphrase_required": N_(
        "A passphrase is needed: use --passphrase-file, WAYMARK_PASSPHRASE or a terminal."
    ),
    "passphrase_mismatch": N_("The passphrases do not match."),
    "passphrase_short": N_("The passphrase must have at least 10 characters."),
    "file_exists": N_("{file} already exists; it was left unchanged."),
    "plain_http_public": N_(
        "Refusing to serve plain HTTP beyond this computer ({host}): give --tls-cert and "
        "--tls-key, or --tls-self-signed, or --behind-tls-proxy ADDRESS when a TLS proxy "
        "stands in front."
    ),
    "public_url_plain": N_(
        "The public address {url} is plain HTTP: devices refuse it beyond this computer. "
        "Use an https:// address."
    ),
    "tls_key_missing": N_("A certificate needs its private key too (--tls-key)."),
    "ca_file_unreadable": N_(
        "The certificate file {file} could not be read: it must hold the agency server's "
        "certificate (PEM)."
    ),
    "database_driver_missing": N_(
        "A PostgreSQL database needs Waymark's PostgreSQL driver: install it with pip install "
        "'waymark[{extra}]'. Without --database-url the server uses a SQLite file."
    ),
    "scope_invalid": N_("Unknown scope in {scopes}: use read, erase and devices."),
    "coordinator_unknown": N_("No coordinator credential has the id {id}."),
    "file_unusable": N_("{file} could not be read or written."),
    "export_unwritable": N_("The export file could not be written. Check the folder."),
    "unreachable": N_("The server could not be reached."),
    "reply_invalid": N_("The server's reply could not be read. Try again later."),
    "refused": N_("The server refused the request ({status})."),
    "unauthenticated": N_(
        "The server did not accept the coordinator token: it is unknown, expired or revoked."
    ),
}


def _data_options(parser: argparse.ArgumentParser, _: Any) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("WAYMARK_DATA_DIR", "waymark-data")),
        help=_("folder for the server's data (default: waymark-data)"),
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WAYMARK_DATABASE_URL"),
        help=_("PostgreSQL URL; without it a SQLite file in the data folder is used"),
    )


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from sync.server import Settings

    settings = Settings(data_dir=args.data_dir, database_url=args.database_url, **extra)
    if settings.url.startswith("postgresql"):
        _postgresql_driver()
    return settings


def _postgresql_driver() -> None:
    """``database_driver_missing`` (naming the extra to install) when a PostgreSQL URL is
    given to a Waymark installed without its PostgreSQL driver."""
    try:
        import psycopg  # noqa: F401 - the driver SQLAlchemy's postgresql+psycopg URLs load
    except ImportError:
        raise _CliError("database_driver_missing", extra="postgresql") from None


def _say_error(_: Any, code: str, params: dict[str, Any] | None = None) -> int:
    template = CODES.get(code)
    text = _(template, **(params or {})) if template else _("Error: {code}", code=code)
    print(text, file=sys.stderr)
    return 1


def _passphrase(args: argparse.Namespace, _: Any, confirm: bool) -> str:
    if getattr(args, "passphrase_file", None):
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    if os.environ.get("WAYMARK_PASSPHRASE"):
        return os.environ["WAYMARK_PASSPHRASE"]
    if not sys.stdin or not sys.stdin.isatty():
        raise _CliError("passphrase_required")
    first = getpass.getpass(_("Passphrase for the agency private key: "))
    if confirm and getpass.getpass(_("The same passphrase again: ")) != first:
        raise _CliError("passphrase_mismatch")
    return first


_CliError = CliError  # the command line's one coded error (app/cli/errors.py)


def _guarded(handler: Any) -> Any:
    """Run a handler, turning coded errors into translated messages and exit code 1."""

    def run(args: argparse.Namespace, _: Any) -> int:
        from app.console.export import ExportError
        from sync.errors import SyncError

        try:
            return int(handler(args, _) or 0)
        except (_CliError, ExportError) as exc:
            return _say_error(_, exc.code, exc.params)
        except SyncError as exc:
            return _say_error(_, exc.code, {"status": exc.status, **exc.params})
        except OSError as exc:  # a missing key, passphrase or token file; a full disk
            if exc.filename is None:
                raise
            return _say_error(_, "file_unusable", {"file": str(exc.filename)})

    return run


# --- handlers ---------------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _self_signed(data_dir: Path, host: str, public_url: str | None) -> tuple[Path, Path]:
    """The field office's own certificate in ``data_dir/tls`` (made once, kept 0600)."""
    from urllib.parse import urlsplit

    from sync import crypto

    folder = data_dir / "tls"
    cert, key = folder / "server-cert.pem", folder / "server-key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    hosts = ["localhost", "127.0.0.1"]
    for name in (host, urlsplit(public_url or "").hostname):
        if name and name not in hosts and name not in ("0.0.0.0", "::"):  # noqa: S104
            hosts.append(name)
    cert_pem, key_pem = crypto.new_tls_certificate(hosts)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, data in ((key, key_pem), (cert, cert_pem)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return cert, key


def cmd_server(args: argparse.Namespace, _: Any) -> int:
    from sync.server import run

    cert, key = args.tls_cert, args.tls_key
    if cert is not None and key is None:
        raise _CliError("tls_key_missing")
    if cert is None and args.tls_self_signed:
        cert, key = _self_signed(args.data_dir, args.host, args.public_url)
    public = args.public_url or ""
    if cert is None and args.behind_tls_proxy is None:
        if not _loopback(args.host):
            refusal = CODES["plain_http_public"]
            print(_(refusal, host=args.host), file=sys.stderr)
            return 2
        if public.startswith("http://") and not _loopback(public.split("//")[1].split(":")[0]):
            raise _CliError("public_url_plain", url=public)
    settings = _settings(
        args,
        config_dir=args.config_dir,
        public_url=args.public_url,
        tls_cert=cert,
        tls_key=key,
        proxy=args.behind_tls_proxy,
    )
    scheme = "https" if cert is not None else "http"
    print(_("Waymark server on {scheme}://{host}:{port}", scheme=scheme, host=args.host,
            port=args.port))
    if settings.tls_fingerprint:
        print(_("TLS certificate fingerprint (devices pin it at enrolment): {fingerprint}",
                fingerprint=settings.tls_fingerprint))
    sys.stdout.flush()
    run(settings, args.host, args.port, workers=args.workers)
    return 0


def cmd_enrol(args: argparse.Namespace, _: Any) -> int:
    import segno

    from sync.server import admin

    code = admin.create_enrolment(
        _settings(args),
        args.site,
        args.role,
        ttl=timedelta(hours=args.hours),
        server_url=args.server_url,
    )
    if code.fingerprint is None:
        raise _CliError("agency_key_missing")
    print(_("Enrolment code: {code}", code=code.code))
    print(_("Site: {site}  Role: {role}", site=code.site, role=code.role))
    until = code.expires_at.strftime("%Y-%m-%d %H:%M")
    print(_("Valid until: {time} (UTC), once only", time=until))
    print(_("Agency key fingerprint: {fingerprint}", fingerprint=code.fingerprint))
    if code.server_url:
        print(_("Server: {url}", url=code.server_url))
    print(_("Text of the QR code (may be pasted on the device): {text}", text=code.payload()))
    if not args.no_qr:
        segno.make(code.payload(), error="m").terminal(out=sys.stdout, compact=True)
    return 0


def cmd_devices_list(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    devices = admin.list_devices(_settings(args))
    if not devices:
        print(_("No devices are enrolled."))
    for d in devices:
        state = _("revoked") if d.revoked_at else _("active")
        seen = d.last_seen_at.strftime("%Y-%m-%d %H:%M") if d.last_seen_at else "-"
        print("\t".join(_printable(v) for v in (d.id, d.name, d.site, d.role, state, seen)))
    return 0


def _printable(text: object) -> str:
    """Text from a device, safe for a terminal: control characters (escape sequences) dropped."""
    return "".join(ch for ch in str(text) if ch.isprintable())


def cmd_devices_revoke(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    device = admin.revoke_device(_settings(args), args.device_id)
    print(_("Device {device_id} is revoked; it will wipe itself at its next contact.",
            device_id=device.id))
    return 0


def cmd_keys_new(args: argparse.Namespace, _: Any) -> int:
    from sync import crypto

    out: Path = args.out
    private_path, public_path = out / PRIVATE_KEY_FILE, out / PUBLIC_KEY_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise _CliError("file_exists", file=str(path))
    passphrase = _passphrase(args, _, confirm=True)
    if len(passphrase) < 10:
        raise _CliError("passphrase_short")
    pem, public_raw = crypto.new_agency_keypair(passphrase)
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(base64.b64encode(public_raw).decode("ascii") + "\n", encoding="ascii")
    print(_("Private key (encrypted): {path}", path=str(private_path)))
    print(_("Public key: {path}", path=str(public_path)))
    print(_("Fingerprint: {fingerprint}", fingerprint=crypto.fingerprint(public_raw)))
    if args.install:
        from sync.server import admin

        admin.install_agency_key(_settings(args), public_raw)
        print(_("New devices will seal their records to this key."))
    return 0


def _new_passphrase(args: argparse.Namespace, _: Any) -> str:
    """The passphrase a key is rewrapped under: a file, or typed twice at a terminal."""
    if getattr(args, "new_passphrase_file", None):
        new = Path(args.new_passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    elif not sys.stdin or not sys.stdin.isatty():
        raise _CliError("passphrase_required")
    else:
        new = getpass.getpass(_("New passphrase for the agency private key: "))
        if getpass.getpass(_("The same passphrase again: ")) != new:
            raise _CliError("passphrase_mismatch")
    if len(new) < 10:
        raise _CliError("passphrase_short")
    return new


def cmd_keys_rewrap(args: argparse.Namespace, _: Any) -> int:
    """The agency private key under a new passphrase, in the current file format; the file is
    replaced whole (never half-written), readable by its owner only."""
    from sync import crypto

    path: Path = args.key
    blob = path.read_bytes()
    passphrase = _passphrase(args, _, confirm=False)
    new = _new_passphrase(args, _)
    try:
        rewrapped = crypto.rewrap_agency_key(blob, passphrase, new)
    except crypto.CryptoError as exc:
        raise _CliError("key_unreadable") from exc
    part = path.with_name(path.name + ".new")
    part.unlink(missing_ok=True)  # a copy an interrupted run left
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(rewrapped)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)
    print(_("{path} is now under the new passphrase.", path=str(path)))
    if crypto.is_legacy_agency_key(blob):
        print(_("It was in the older PEM format and is now in the current one."))
    return 0


def read_public_key(path: Path) -> bytes:
    raw = path.read_bytes()
    if len(raw) == 32:
        return raw
    try:
        decoded = base64.b64decode(raw.strip(), validate=True)
    except ValueError as exc:
        raise _CliError("agency_key_invalid") from exc
    if len(decoded) != 32:
        raise _CliError("agency_key_invalid")
    return decoded


def cmd_keys_install(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    key = admin.install_agency_key(_settings(args), read_public_key(args.public_key))
    print(_("Agency key {fingerprint} installed.", fingerprint=key.fingerprint))
    return 0


def cmd_coordinator_add(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    scopes = [x.strip() for x in args.scopes.split(",") if x.strip()]
    ttl = timedelta(days=args.days) if args.days else None
    token = admin.add_coordinator(_settings(args), args.name, scopes, ttl)
    print(_("Coordinator token (shown once, keep it safe):"))
    print(token)
    return 0


def cmd_coordinator_list(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    coordinators = admin.list_coordinators(_settings(args))
    if not coordinators:
        print(_("No coordinator credentials exist."))
    for c in coordinators:
        if c.revoked_at:
            state = _("revoked")
        elif c.expires_at and c.expires_at <= datetime.now(UTC).replace(tzinfo=None):
            state = _("expired")
        else:
            state = _("active")
        until = c.expires_at.strftime("%Y-%m-%d %H:%M") if c.expires_at else "-"
        print("\t".join(_printable(v) for v in (c.id, c.name, c.scopes, state, until)))
    return 0


def cmd_coordinator_revoke(args: argparse.Namespace, _: Any) -> int:
    from sync.server import admin

    coord = admin.revoke_coordinator(_settings(args), args.coordinator_id)
    print(_("Coordinator credential {id} is revoked.", id=coord.id))
    return 0


def cmd_coordinator_actions(args: argparse.Namespace, _: Any) -> int:
    """What each coordinator credential did (reads, erasures, revocations), oldest first: the
    accountability trail an agency's data protection officer asks for. Never any content."""
    from sync.server import admin

    settings = _settings(args)
    names = {c.id: c.name for c in admin.list_coordinators(settings)}
    actions = [
        a
        for a in admin.coordinator_actions(settings)
        if not args.coordinator or a.coordinator_id == args.coordinator
    ]
    if not actions:
        print(_("No coordinator actions are recorded."))
    for a in actions:
        row = (
            a.at.strftime("%Y-%m-%d %H:%M:%S"),
            a.coordinator_id,
            names.get(a.coordinator_id, ""),
            a.action,
            a.target or "-",
        )
        print("\t".join(_printable(v) for v in row))
    return 0


def cmd_export(args: argparse.Namespace, _: Any) -> int:
    from app.console import export as ex

    passphrase = _passphrase(args, _, confirm=False)
    key = ex.load_key(args.key.read_bytes(), passphrase)
    if args.server:
        token = (
            args.token_file.read_text(encoding="utf-8").strip()
            if args.token_file
            else os.environ.get("WAYMARK_COORDINATOR_TOKEN", "")
        )
        envelopes = list(ex.envelopes_from_server(args.server, token, verify=_trust(args)))
    else:
        envelopes = list(_database_envelopes(_settings(args)))
    plan = None
    if args.questionnaire:
        plan = ex.load_plan(args.questionnaire)
    else:
        forms = {(e.form_id, e.form_version) for e in envelopes}
        if args.form:
            forms = {f for f in forms if f[0] == args.form}
        if len(forms) >= 1 and args.questionnaires_dir.is_dir():
            form_id, version = sorted(forms)[-1]
            found = ex.find_questionnaire(args.questionnaires_dir, form_id, version)
            found = found or ex.find_questionnaire(args.questionnaires_dir, form_id)
            if found is not None:
                plan = ex.load_plan(found)
    result = ex.export(envelopes, key, args.format, args.output, plan=plan, form_id=args.form,
                       stdout=sys.stdout)
    message = _("{n} records exported.", n=result.records)
    print(message, file=sys.stderr if args.output is None else sys.stdout)
    if result.unreadable:
        print(_("{n} envelopes could not be opened: {ids}", n=len(result.unreadable),
                ids=" ".join(result.unreadable)), file=sys.stderr)
        return 1
    return 0


def _trust(args: argparse.Namespace) -> Any:
    """The TLS trust for ``--server``: the system's, or the certificate in ``--ca-file``."""
    if not args.ca_file:
        return True
    from app.console.errors import ConsoleError
    from app.console.model import trust

    try:
        return trust(args.ca_file)
    except ConsoleError:
        raise _CliError("ca_file_unreadable", file=str(args.ca_file)) from None


def _database_envelopes(settings: Any) -> Any:
    """Every envelope in the server's own database, for ``waymark export`` run on the server
    machine without ``--server`` (the console package itself reads only through the API)."""
    from app.console.export import Sealed
    from sync.server import admin

    for row in admin.envelopes(settings):
        yield Sealed(record_id=row.record_id, device_id=row.device_id, form_id=row.form_id,
                     form_version=row.form_version, sealed=bytes(row.sealed),
                     seq=int(row.seq or 0), received_at=row.received_at,
                     conflict=bool(row.conflict))


# --- registration -----------------------------------------------------------------------------


def register(subparsers: Any, _: Any) -> None:
    _register_server(subparsers, _)
    _register_enrol(subparsers, _)
    _register_devices(subparsers, _)
    _register_keys(subparsers, _)
    _register_coordinator(subparsers, _)
    _register_export(subparsers, _)


def _register_server(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("server", help=_("run the agency server"))
    _data_options(p, _)
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    p.add_argument("--port", type=int, default=8000, help=_("port to listen on"))
    p.add_argument("--workers", type=int, default=1,
                   help=_("server processes (more than one needs PostgreSQL)"))
    p.add_argument("--config-dir", type=Path, default=None,
                   help=_("folder with questionnaires/ and sites/ that devices download"))
    p.add_argument("--public-url", default=os.environ.get("WAYMARK_PUBLIC_URL"),
                   help=_("the address devices use to reach this server"))
    p.add_argument("--tls-cert", type=Path, default=None,
                   help=_("serve HTTPS with this certificate (PEM)"))
    p.add_argument("--tls-key", type=Path, default=None,
                   help=_("the certificate's private key (PEM)"))
    p.add_argument("--tls-self-signed", action="store_true",
                   help=_("serve HTTPS with a certificate made for this server (devices pin it)"))
    p.add_argument("--behind-tls-proxy", metavar="ADDRESS", default=None,
                   help=_("a TLS proxy at ADDRESS stands in front: plain HTTP is allowed, and "
                          "forwarded client addresses are believed from it only"))
    p.set_defaults(func=_guarded(cmd_server))


def _register_enrol(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("enrol", help=_("make a one-time enrolment code for a device"))
    _data_options(p, _)
    p.add_argument("--site", required=True, help=_("the site the device works at"))
    p.add_argument("--role", choices=("outreach", "interpreter"), default="outreach",
                   help=_("the role of the person using the device"))
    p.add_argument("--hours", type=float, default=24.0, help=_("hours the code stays valid"))
    p.add_argument("--server-url", default=os.environ.get("WAYMARK_PUBLIC_URL"),
                   help=_("the address devices use to reach the server"))
    p.add_argument("--no-qr", action="store_true", help=_("print the code without a QR code"))
    p.set_defaults(func=_guarded(cmd_enrol))


def _register_devices(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("devices", help=_("list or revoke enrolled devices"))
    dsub = p.add_subparsers(dest="devices_command", metavar="ACTION", required=True)
    q = dsub.add_parser("list", help=_("list enrolled devices"))
    _data_options(q, _)
    q.set_defaults(func=_guarded(cmd_devices_list))
    q = dsub.add_parser("revoke", help=_("revoke a device; it wipes itself at its next contact"))
    _data_options(q, _)
    q.add_argument("device_id", help=_("the device id from 'waymark devices list'"))
    q.set_defaults(func=_guarded(cmd_devices_revoke))


def _register_keys(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("keys", help=_("the agency key pair"))
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    q = ksub.add_parser("new", help=_("make a new agency key pair"))
    _data_options(q, _)
    q.add_argument("--out", type=Path, default=Path("."), help=_("folder for the key files"))
    q.add_argument("--passphrase-file", type=Path, help=_("file holding the passphrase"))
    q.add_argument("--install", action="store_true",
                   help=_("also install the public key in the server's database"))
    q.set_defaults(func=_guarded(cmd_keys_new))
    q = ksub.add_parser("install", help=_("install an agency public key in the server"))
    _data_options(q, _)
    q.add_argument("public_key", type=Path, help=_("the public key file"))
    q.set_defaults(func=_guarded(cmd_keys_install))
    q = ksub.add_parser("rewrap", help=_("put the agency private key under a new passphrase "
                                         "(a key file of the older format is moved to the "
                                         "current one)"))
    q.add_argument("--key", type=Path, required=True, help=_("the agency private key file"))
    q.add_argument("--passphrase-file", type=Path, help=_("file holding the passphrase"))
    q.add_argument("--new-passphrase-file", type=Path,
                   help=_("file holding the new passphrase"))
    q.set_defaults(func=_guarded(cmd_keys_rewrap))


def _register_coordinator(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("coordinator", help=_("coordinator console credentials"))
    csub = p.add_subparsers(dest="coordinator_command", metavar="ACTION", required=True)
    q = csub.add_parser("add", help=_("make a coordinator token"))
    _data_options(q, _)
    q.add_argument("name", help=_("who the token is for"))
    q.add_argument("--scopes", default="read,erase,devices",
                   help=_("what the token may do: read, erase, devices (comma-separated)"))
    q.add_argument("--days", type=float, default=None,
                   help=_("days until the token expires (default: never)"))
    q.set_defaults(func=_guarded(cmd_coordinator_add))
    q = csub.add_parser("list", help=_("list coordinator credentials"))
    _data_options(q, _)
    q.set_defaults(func=_guarded(cmd_coordinator_list))
    q = csub.add_parser("revoke", help=_("revoke a coordinator credential"))
    _data_options(q, _)
    q.add_argument("coordinator_id", help=_("the id from 'waymark coordinator list'"))
    q.set_defaults(func=_guarded(cmd_coordinator_revoke))
    q = csub.add_parser("actions", help=_("what each coordinator credential did, oldest first"))
    _data_options(q, _)
    q.add_argument("--coordinator", default="", help=_("only this credential's actions"))
    q.set_defaults(func=_guarded(cmd_coordinator_actions))


def _register_export(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("export", help=_("open the records with the private key and export"))
    _data_options(p, _)
    p.add_argument("--key", type=Path, required=True, help=_("the agency private key file"))
    p.add_argument("--passphrase-file", type=Path, help=_("file holding the passphrase"))
    p.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv",
                   help=_("output format"))
    p.add_argument("--output", type=Path, help=_("output file (csv and json default to stdout)"))
    p.add_argument("--questionnaire", type=Path,
                   help=_("questionnaire file, for the columns of each choice"))
    p.add_argument("--questionnaires-dir", type=Path, default=questionnaires_dir(),
                   help=_("where to look the questionnaire up by form id and version"))
    p.add_argument("--form", help=_("export only this form id"))
    p.add_argument("--server", help=_("read from a running server instead of its database"))
    p.add_argument("--token-file", type=Path, help=_("file holding a coordinator token"))
    p.add_argument(
        "--ca-file",
        type=Path,
        help=_(
            "the agency server's certificate (PEM), when it is self-signed or certified by the "
            "agency's own authority"
        ),
    )
    p.set_defaults(func=_guarded(cmd_export))
