"""The ``waymark`` command.

Each module in this package that defines ``register(subparsers, _)`` adds its own subcommands;
the handler it sets with ``set_defaults(func=...)`` gets the parsed arguments and the
translator, and returns the exit code. Messages go through the gettext catalogs: the language
is ``--language``, else ``WAYMARK_LANGUAGE``, else English.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from app.i18n import SHIPPED, translator


def build_parser(_: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waymark", description="Waymark screening tool")
    parser.add_argument(
        "--language",
        default=os.environ.get("WAYMARK_LANGUAGE", "en"),
        choices=SHIPPED,
        help="language of messages",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub, _)
    return parser


def _language_from(argv: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--language" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--language="):
            return arg.split("=", 1)[1]
    return os.environ.get("WAYMARK_LANGUAGE", "en")


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    _ = translator(_language_from(args_in))
    parser = build_parser(_)
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args, _) or 0)
