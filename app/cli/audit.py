"""``waymark audit verify [--data DIR | --file EXPORT]``: check an audit log's hash chain.

``--data`` checks a device's live log; ``--file`` an exported log (the console's audit export,
CSV or JSON, with its chain head), with the same recipe and the same check
(:mod:`app.store.chain`).

Needs no PIN: the log holds no answer content. Exit code 0 when the chain is whole, 1 when an
entry was edited, removed or reordered (the first broken entry is named), 2 when there is no
store to check.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.i18n import N_

_PROBLEMS = {
    "hash_mismatch": N_("Entry {seq} was changed after it was written."),
    "chain_broken": N_("The entry before entry {seq} was removed, changed or moved."),
    "sequence_gap": N_("Entries are missing or out of order at entry {seq}."),
    "head_mismatch": N_("The newest entries were removed (the log ends before entry {seq})."),
    "schema_too_old": N_("This store is too old to have a verifiable log; open it in Waymark."),
    "not_an_audit_export": N_("This file is not an audit log exported by Waymark."),
}


def register(subparsers: Any, _: Any) -> None:
    parser = subparsers.add_parser("audit", help=_("Check the device's audit log"))
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help=_("Verify that no audit entry was changed"))
    verify.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help=_("the device data folder (default: this device's Waymark data)"),
    )
    verify.add_argument(
        "--file",
        type=Path,
        default=None,
        metavar="EXPORT",
        help=_("an exported audit log (CSV or JSON, from the console)"),
    )
    verify.set_defaults(func=run_verify)


def _verify_export(path: Path) -> Any:
    from app.store import chain

    try:
        links, head = chain.read_export(path.read_bytes())
    except chain.ExportUnreadable:  # not UTF-8, or not the export's shape: one answer
        return chain.Report(False, 0, chain.ChainCode.NOT_AN_AUDIT_EXPORT)
    return chain.verify(links, head)


def run_verify(args: argparse.Namespace, _: Any) -> int:
    if getattr(args, "file", None) is not None:
        try:
            report = _verify_export(args.file)
        except OSError:
            print(_("The file {path} could not be read.", path=str(args.file)))
            return 2
        return _report(report, _)
    return _verify_device(args, _)


def _verify_device(args: argparse.Namespace, _: Any) -> int:
    from app.store.audit import verify_file
    from app.store.errors import StoreError
    from app.store.store import default_data_dir

    data_dir = args.data if args.data is not None else default_data_dir()
    try:
        report = verify_file(data_dir)
    except StoreError:
        print(_("The store in {path} is damaged and cannot be read.", path=str(data_dir)))
        return 1
    if report.problem == "no_store":
        print(_("No Waymark store found in {path}.", path=str(data_dir)))
        return 2
    return _report(report, _)


def _report(report: Any, _: Any) -> int:
    if report.ok:
        print(
            _.ngettext(
                "Audit log intact: {n} entry checked.",
                "Audit log intact: {n} entries checked.",
                report.entries,
            )
        )
        return 0
    message = _PROBLEMS.get(report.problem or "", N_("The audit log is damaged at entry {seq}."))
    print(_("Audit log NOT intact."), _(message, seq=report.seq))
    return 1
