"""A progress bar for long replays, drawn on a terminal only (never into a pipe or a file)."""

from __future__ import annotations

import time
from typing import TextIO

MIB = 1024 * 1024
SHOW_ABOVE = 4 * MIB  # smaller inputs finish before a bar would be worth drawing


class Progress:
    """Bytes done out of a known total, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.width = width
        self.done = 0
        self._last = 0.0
        self._started = time.monotonic()
        self._drawn = False

    @classmethod
    def maybe(cls, total: int, stream: TextIO, force: bool | None = None) -> Progress | None:
        """A bar when `stream` is a terminal and the input is big (or when forced on/off)."""
        wanted = force if force is not None else stream.isatty() and total >= SHOW_ABOVE
        return cls(total, stream) if wanted else None

    def advance(self, nbytes: int, label: str = "") -> None:
        self.done += nbytes
        now = time.monotonic()
        if now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            self.draw(label, now)

    def draw(self, label: str, now: float) -> None:
        share = min(1.0, self.done / self.total)
        filled = int(share * self.width)
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / MIB / elapsed
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r{label[-40:]:40} [{bar}] {share:4.0%} "
            f"{self.done / MIB:.1f}/{self.total / MIB:.1f} MiB {rate:.1f} MiB/s"
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
