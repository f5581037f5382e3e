"""Semantics identifiers of the console's controls (``[flt-semantics-identifier="..."]`` in
the browser), for tests and assistive tools. Keep them stable."""

SCREEN = "console-screen-"  # + route value: "console-screen-dashboard"
KEY_PATH = "console-key-path"
PASSPHRASE = "console-passphrase"  # noqa: S105 - an element id, not a secret
ACTOR = "console-actor"
OPEN = "console-open"
LANGUAGE = "console-language-"  # + code
NAV = "console-nav-"  # + route value: dashboard, records, export
PULL = "console-pull"
LOCK = "console-lock"
NOTICE = "console-notice"
TOTAL = "console-total"
CHART = "console-chart-"  # + sites, weeks, pathways, dimensions
BAR = "console-bar-"  # + chart + "-" + key
DEVICE = "console-device-"  # + device id
RECORD = "console-record-"  # + record id, in the list
RECORD_ID = "console-record-id"
STATE = "console-state-"  # + pathway id: the pathway's current state
FOLLOW = "console-follow-"  # + pathway id + "-" + state
HISTORY = "console-history-"  # + pathway id
ERASE = "console-erase"
ERASE_CONFIRM = "console-erase-confirm"
ERASE_CANCEL = "console-erase-cancel"
EXPORT = "console-export-"  # + csv, xlsx, json
EXPORT_RECORD = "console-export-record"
EXPORT_DIR = "console-export-dir"
