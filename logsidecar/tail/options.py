"""The tailer's settings, and the events it counts for the caller."""

from __future__ import annotations

import errno
from collections import Counter
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("logsidecar")


@dataclass
class TailStats:
    """Events since the last time the caller took them."""

    rotations: Counter[str] = field(default_factory=Counter)
    truncations: Counter[str] = field(default_factory=Counter)
    recovered: Counter[str] = field(default_factory=Counter)  # copies read after copytruncate
    lost: list[str] = field(default_factory=list)  # checkpointed files not found again
    open_errors: Counter[str] = field(default_factory=Counter)  # matched, could not be opened
    generations: Counter[str] = field(default_factory=Counter)  # unseen rotated files found
    generation_lines: Counter[str] = field(default_factory=Counter)  # lines read from those

    def __bool__(self) -> bool:
        return bool(
            self.rotations
            or self.truncations
            or self.recovered
            or self.lost
            or self.open_errors
            or self.generations
            or self.generation_lines
        )


@dataclass(frozen=True)
class TailOptions:
    max_line_bytes: int = 65536
    block_bytes: int = 256 * 1024
    budget_bytes: int = 1024 * 1024  # per stream per poll, so one busy file cannot starve others
    poll_budget_bytes: int = 4 * 1024 * 1024  # per poll, so memory stays bounded with many files
    rotate_wait: float = 5.0  # keep reading a renamed-away or deleted file this long after EOF
    partial_timeout: float = 5.0  # hand out a partial last line after this much quiet
    # Read no byte of a newly found file before its identity is committed: to_state() includes
    # it, committed() makes it readable (so a crash before the commit cannot lose it).
    durable_first: bool = False


class OpenFailures:
    """Files to read that could not be opened, by (source, path): each failure episode (from the
    first failed open to the first look that opens it, or no longer finds it) is counted in
    `open_errors` and logged once."""

    def __init__(self) -> None:
        self._known: set[tuple[str, str]] = set()  # failing at the last look
        self._now: set[tuple[str, str]] = set()  # failing at this one

    def begin(self) -> None:
        self._known, self._now = self._known | self._now, set()

    def failed(self, source: str, path: str, error: OSError, stats: TailStats) -> None:
        if error.errno == errno.ENOENT:
            return  # not a failure: it went between the look and the open
        key = (source, path)
        if key not in self._known and key not in self._now:
            stats.open_errors[source] += 1
            log.warning("file_open_failed", path=path, source=source, error=str(error))
        self._now.add(key)

    def end(self) -> None:
        self._known = self._now
