"""The record that flows from the tailer to the rule engine: a batch of complete lines."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class LineBatch:
    """Complete lines read from one file in one go, for one source.

    `lines` have no trailing newline or carriage return. `nbytes` is what was consumed from the
    file to produce them (newlines included), `truncated` how many of them were cut at the
    maximum line length.
    """

    source: str
    path: str
    lines: list[str]
    nbytes: int = 0
    truncated: int = 0
    times: list[float] | None = field(default=None)
