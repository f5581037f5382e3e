"""``waymark console``: the coordinator console, a Flet web app on this computer.

It asks in the browser for the agency private key file and its passphrase, pulls envelopes
from the server with a coordinator token (``waymark coordinator add NAME`` prints one) and
keeps the opened records in its own encrypted store in ``--data``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from app.i18n import N_

CODES = {
    "token_unreadable": N_("The token file {file} could not be read."),
    "token_empty": N_("The token file {file} is empty."),
    "ca_file_unreadable": N_(
        "The certificate file {file} could not be read: it must hold the agency server's "
        "certificate (PEM)."
    ),
    "host_not_local": N_(
        "The console serves decrypted records: it listens on this computer only "
        "(127.0.0.1, ::1 or localhost)."
    ),
}
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


def _error(_: Any, code: str, **params: Any) -> int:
    print(_(CODES[code], **params), file=sys.stderr)
    return 2


def run(args: argparse.Namespace, _: Any) -> int:
    try:
        token = Path(args.token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return _error(_, "token_unreadable", file=args.token_file)
    if not token:
        return _error(_, "token_empty", file=args.token_file)
    if args.host not in LOCAL_HOSTS:
        return _error(_, "host_not_local")
    ca_file = Path(args.ca_file) if args.ca_file else None
    if ca_file is not None:
        from app.console.errors import ConsoleError
        from app.console.model import trust

        try:
            trust(ca_file)
        except ConsoleError:
            return _error(_, "ca_file_unreadable", file=args.ca_file)
    from app.console.ui import serve

    print(
        _(
            "Coordinator console at http://{host}:{port}/ (Ctrl-C to stop)",
            host=args.host,
            port=args.port,
        ),
        flush=True,
    )
    serve(
        args.server,
        token,
        Path(args.data),
        args.host,
        args.port,
        lang=getattr(_, "code", "en"),
        actor=args.name or _login_name(),
        key_path=str(args.key or ""),
        questionnaires_dir=Path(args.questionnaires) if args.questionnaires else None,
        sites_dir=Path(args.sites) if args.sites else None,
        ca_file=ca_file,
    )
    return 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def register(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser(
        "console", help=_("coordinator console: open, follow up, erase and export records")
    )
    p.add_argument("--server", required=True, help=_("the agency server's address"))
    p.add_argument("--token-file", required=True, help=_("file holding the coordinator token"))
    p.add_argument("--data", required=True, help=_("folder for the console's encrypted store"))
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on (this computer)"))
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("WAYMARK_CONSOLE_PORT", "8560")),
        help=_("port to listen on (default 8560)"),
    )
    p.add_argument("--key", help=_("private key file to offer in the form"))
    p.add_argument(
        "--name",
        default=getpass.getuser(),
        help=_("your name, kept with each follow-up step (default: your login name)"),
    )
    p.add_argument("--questionnaires", help=_("folder of questionnaires, for labels and columns"))
    p.add_argument(
        "--sites",
        help=_("folder of the sites' files (referral directories), for referral slips"),
    )
    p.add_argument(
        "--ca-file",
        help=_(
            "the agency server's certificate (PEM), when it is self-signed or certified by the "
            "agency's own authority"
        ),
    )
    p.set_defaults(func=run)
