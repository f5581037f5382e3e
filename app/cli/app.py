"""``waymark app``: serve the field app in a browser on this machine."""

from __future__ import annotations

import argparse
import sys
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
    register_i18n(subparsers, _)


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


# --- waymark i18n: the Babel workflow for the interface catalogs ---------------------------------


def register_i18n(subparsers: Any, _: Any) -> None:
    p = subparsers.add_parser(
        "i18n", help=_("extract, update and check the interface translations (Babel)")
    )
    p.add_argument(
        "action",
        choices=("extract", "update", "check"),
        help=_(
            "extract: write locales/messages.pot; update: merge it into every catalog; "
            "check: compile every catalog and list missing translations"
        ),
    )
    p.set_defaults(func=run_i18n)


def run_i18n(args: argparse.Namespace, _: Any) -> int:
    from app.i18n import catalogs

    try:
        return _run_i18n(args, _)
    except catalogs.CatalogError:
        print(
            _(
                "The translation workflow runs in a copy of Waymark's source code "
                "(babel.cfg beside app/ and locales/), not in an installed copy."
            ),
            file=sys.stderr,
        )
        return 2


def _run_i18n(args: argparse.Namespace, _: Any) -> int:
    from app.i18n import catalogs

    if args.action == "extract":
        count = catalogs.extract()
        print(_("{n} messages extracted to {path}", n=count, path=catalogs.TEMPLATE), flush=True)
        return 0
    if args.action == "update":
        for code, added in catalogs.update().items():
            print(_("{language}: {n} new messages to translate", language=code, n=added))
        return 0
    problems = catalogs.check()
    for problem in problems:
        print(problem)
    if problems:
        print(_("{n} problems in the catalogs", n=len(problems)))
        return 1
    print(_("Every catalog compiles and every message is translated."))
    return 0
