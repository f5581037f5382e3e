"""``waymark app``: serve the field app in a browser on this machine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser("app", help=_("serve the field app (web, offline)"))
    p.add_argument("--data", type=Path, required=True, help=_("folder for this device's data"))
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    p.add_argument("--port", type=int, default=8550, help=_("port to listen on"))
    p.add_argument(
        "--questionnaires",
        type=Path,
        default=None,
        help=_("folder of questionnaires (default: the bundled ones)"),
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, _: Any) -> int:
    from app.ui.main import serve

    print(
        _(
            "Waymark field app on http://{host}:{port}/ (Ctrl-C to stop)",
            host=args.host,
            port=args.port,
        ),
        flush=True,
    )
    serve(args.data, args.host, args.port, questionnaires_dir=args.questionnaires)
    return 0
