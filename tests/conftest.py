"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared/ folder that sits beside the checkout (conformance forms, anchors)."""
    assert SHARED.is_dir(), f"shared/ must sit beside the checkout at {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """A git-ignored folder for screenshots and other things a person should look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the real-browser tests last. Playwright's synchronous API keeps an asyncio loop
    running in the main thread for as long as its browser lives, and code under test that
    calls ``asyncio.run`` (the in-process server transport) cannot run beside it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    for item in items:
        if item.get_closest_marker("browser") is not None:
            # Chromium on a shared two-core machine has hung a renderer (its page never
            # answered again) and dropped a first screen's text field, each once per run,
            # in a different test each time. A browser test gets five minutes, not ten, and
            # one more run on a fresh page; the run's summary counts every rerun.
            item.add_marker(pytest.mark.timeout(300))
            item.add_marker(pytest.mark.flaky(reruns=1))
