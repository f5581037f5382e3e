"""Clients of the agency server's API, on one transport seam and one error mapping.

``SyncClient`` (a device) claims an enrolment code, uploads the outbox in batches and downloads
the configuration; ``BackgroundSyncer`` runs it whenever the server is reachable.
``CoordinatorClient`` (the console and ``waymark export``) reads sealed envelopes and devices
and erases records with a coordinator token.
"""

from sync.client._background import BackgroundSyncer, backoff_delay
from sync.client._client import SyncClient, SyncReport, fingerprint_of
from sync.client._coordinator import CoordinatorClient

__all__ = [
    "BackgroundSyncer",
    "CoordinatorClient",
    "SyncClient",
    "SyncReport",
    "backoff_delay",
    "fingerprint_of",
]
