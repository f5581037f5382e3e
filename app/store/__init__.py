"""The encrypted local store: everything a tablet holds, readable only with the worker's PIN.

``app.store.crypto`` is the crypto recipe (the only module importing ``cryptography.hazmat``);
the store facade and its errors are imported lazily so that importing the recipe stays cheap.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "Store": "app.store.store",
    "StoreSettings": "app.store.store",
    "Enrolment": "app.store.store",
    "RecordInfo": "app.store.store",
    "Outbox": "app.store.outbox",
    "AuditLog": "app.store.audit",
    "StoreError": "app.store.errors",
    "Locked": "app.store.errors",
    "PinRejected": "app.store.errors",
    "Throttled": "app.store.errors",
    "Corrupt": "app.store.errors",
    "Wiped": "app.store.errors",
    "NotFound": "app.store.errors",
    "NotEnrolled": "app.store.errors",
    "InvalidState": "app.store.errors",
    "PinNotSet": "app.store.errors",
    "PinAlreadySet": "app.store.errors",
    "WrongPin": "app.store.errors",
    "default_data_dir": "app.store.store",
    "describe": "app.store.messages",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
