"""The device's sync client.

``SyncClient`` claims an enrolment code, uploads the outbox in batches and downloads the
configuration; ``BackgroundSyncer`` runs it whenever the server is reachable.
"""

from sync.client._background import BackgroundSyncer, backoff_delay
from sync.client._client import SyncClient, SyncReport, fingerprint_of

__all__ = ["BackgroundSyncer", "SyncClient", "SyncReport", "backoff_delay", "fingerprint_of"]
