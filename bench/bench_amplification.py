"""Unauthenticated work: /health latency while senders without a credential push gzip bodies
at the upload endpoint, as a ratio to the quiet latency measured in the same run.

A real server process (``waymark server``, SQLite) on loopback. Each attacker loops sending a
small gzip body that inflates a thousandfold, with no token or with a made-up one; the server
must answer 401 before reading, let alone inflating, it. A second phase sends the same bodies
with a stolen (real) device token but no device signature: the body is read, never inflated.

Run: ``python bench/bench_amplification.py`` (about half a minute).
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.client import SyncClient  # noqa: E402
from sync.protocol import API_PREFIX  # noqa: E402
from sync.server import Settings, admin  # noqa: E402
from tests.pg import free_port  # noqa: E402
from tests.sync.helpers import AgencyKeys  # noqa: E402

ATTACKERS = 4
PROBES = 200
BODY = gzip.compress(b"{" + b" " * 7_000_000 + b"}")  # ~7 KB on the wire, 7 MB inflated


def health_latency(url: str, n: int = PROBES) -> float:
    """Median seconds of a /health round trip."""
    times = []
    with httpx.Client(base_url=url + API_PREFIX, timeout=30) as http:
        for _ in range(n):
            t0 = time.perf_counter()
            http.get("/health").raise_for_status()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def attack(url: str, token: str | None, stop: threading.Event, counts: list[int]) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(base_url=url + API_PREFIX, timeout=30) as http:
        while not stop.is_set():
            response = http.post("/envelopes", content=BODY, headers=headers)
            assert response.status_code == 401, response.status_code
            counts.append(1)


def under_attack(url: str, token: str | None) -> tuple[float, float]:
    stop, counts = threading.Event(), []
    threads = [threading.Thread(target=attack, args=(url, token, stop, counts))
               for _ in range(ATTACKERS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(1.0)
    latency = health_latency(url)
    stop.set()
    for t in threads:
        t.join()
    return latency, len(counts) / (time.perf_counter() - start)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "server")
        admin.install_agency_key(settings, AgencyKeys.new().public_raw)
        code = admin.create_enrolment(settings, "north")
        admin.dispose_engines()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "app", "server", "--data-dir", str(settings.data_dir),
             "--port", str(port)],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=subprocess.DEVNULL,
        )
        try:
            while not SyncClient(url).health(timeout=1):
                time.sleep(0.2)
            client = SyncClient(url)
            client.claim(code.code, "tablet")
            stolen = client.credential.token  # type: ignore[union-attr]
            quiet = health_latency(url)
            print(f"gzip body: {len(BODY):,} bytes on the wire, 7,000,002 inflated")
            print(f"quiet /health median: {quiet * 1000:.2f} ms (baseline)")
            for label, token in (("no token", None),
                                 ("made-up token", "dev_0000000000000000.made-up"),
                                 ("stolen token, unsigned", stolen)):
                loaded, rate = under_attack(url, token)
                print(f"{ATTACKERS} senders, {label}: /health median {loaded * 1000:.2f} ms"
                      f" = {loaded / quiet:.1f}x quiet; {rate:.0f} refused requests/s")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
