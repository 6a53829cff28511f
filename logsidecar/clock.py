"""Time, passed in. Production uses SystemClock; tests advance a FakeClock instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch (for timestamps that leave the process)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals and timeouts)."""


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._wall = start
        self._mono = 0.0

    def time(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._wall += seconds
        self._mono += seconds


class Waker:
    """Wakes a sleeping loop early: file events, signals and reload requests all call wake()."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True when woken. Clears the wake-up."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken
