"""Joining continuation lines into events (stack traces, panics), one pending event per file.

A line matching the source's `start` pattern begins a new event and completes the pending one; any
other line continues the pending event (or begins one, when nothing is pending: the first lines of
a file read from its middle are not lost). An event holds at most `max_lines` lines: later
continuation lines are dropped and counted, so memory stays bounded whatever the input. A pending
event is completed when no line has arrived for `timeout` seconds (`flush`), since its writer may
never write the next start line.

Time is passed in. The pending events are plain data (`state`/`restore`) so checkpoints can keep
them across a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from logsidecar.rules.regex import Regex


@dataclass(slots=True)
class _Pending:
    lines: list[str]
    last: float  # when its last line arrived


def _join(lines: list[str]) -> str:
    while len(lines) > 1 and not lines[-1]:
        lines.pop()  # trailing blank lines are not part of the event
    return "\n".join(lines)


class Joiner:
    """Multiline state of one source: a pending event per file path."""

    __slots__ = ("_pending", "max_lines", "start", "timeout")

    def __init__(self, start: Regex, max_lines: int, timeout: float) -> None:
        self.start = start
        self.max_lines = max_lines
        self.timeout = timeout
        self._pending: dict[str, _Pending] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def feed(self, path: str, lines: list[str], now: float) -> tuple[list[str], int]:
        """The events completed by `lines`, and how many lines were dropped (over max_lines)."""
        if not lines:
            return [], 0
        events: list[str] = []
        dropped = 0
        test = self.start.test
        limit = self.max_lines
        pending = self._pending.get(path)
        current = pending.lines if pending is not None else None
        for line in lines:
            if current is None or test(line):
                if current is not None:
                    events.append(_join(current))
                current = [line]
            elif len(current) < limit:
                current.append(line)
            else:
                dropped += 1
        if current is not None:
            self._pending[path] = _Pending(current, now)
        return events, dropped

    def flush(self, now: float, force: bool = False) -> list[str]:
        """Complete the events that have been quiet for `timeout` (all of them when forced)."""
        if not self._pending:
            return []
        events: list[str] = []
        for path, pending in list(self._pending.items()):
            if force or now - pending.last >= self.timeout:
                events.append(_join(pending.lines))
                del self._pending[path]
        return events

    def state(self) -> list[dict[str, Any]]:
        return [
            {"path": path, "lines": list(p.lines), "last": p.last}
            for path, p in self._pending.items()
        ]

    def restore(self, entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            lines = [str(x) for x in entry.get("lines", [])][: self.max_lines]
            if lines:
                self._pending[str(entry["path"])] = _Pending(lines, float(entry.get("last", 0.0)))
