"""Helpers shared by the store tests (a plain module: the tests folder has no packages)."""

from __future__ import annotations

from dataclasses import dataclass

PIN = "258046"


@dataclass
class Clock:
    """A clock a test moves by hand (wall-clock seconds or monotonic seconds)."""

    now: float = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
