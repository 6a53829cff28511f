"""Pure line framing: bytes in, complete lines out.

A framer is fed blocks of bytes as they are read and returns the complete lines in them. It keeps
the partial last line until its newline arrives (or the caller flushes it), cuts lines longer than
`max_line_bytes` and skips the rest of such a line, drops a trailing carriage return, and replaces
invalid UTF-8. Memory is bounded by `max_line_bytes` whatever the input.

The common case does no per-line Python work: one split and one decode per block.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Framed:
    lines: list[str]
    truncated: int = 0


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _strip_cr(lines: list[str]) -> list[str]:
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class Framer:
    """Incremental line framer for one file."""

    __slots__ = ("_partial", "_skipping", "max_line_bytes")

    def __init__(self, max_line_bytes: int = 65536) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be positive")
        self.max_line_bytes = max_line_bytes
        self._partial = b""
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes held back: the partial line not yet ended by a newline."""
        return len(self._partial)

    @property
    def skipping(self) -> bool:
        """True while discarding the rest of an over-long line."""
        return self._skipping

    def restore(self, partial: bytes, skipping: bool) -> None:
        self._partial = partial[: self.max_line_bytes]
        self._skipping = skipping

    def feed(self, data: bytes) -> Framed:
        limit = self.max_line_bytes
        if self._skipping:
            nl = data.find(b"\n")
            if nl < 0:
                return Framed([])
            data = data[nl + 1 :]
            self._skipping = False
        if self._partial:
            data = self._partial + data
            self._partial = b""
        last = data.rfind(b"\n")
        out = Framed([])
        if last >= 0:
            region = data[:last]
            tail = data[last + 1 :]
            if last > limit and max(map(len, region.split(b"\n"))) > limit:
                out = self._frame_slow(region)
            else:
                text = _decode(region)
                lines = text.split("\n")
                out.lines = _strip_cr(lines) if "\r" in text else lines
        else:
            tail = data
        if len(tail) > limit:
            out.lines.append(_strip_cr([_decode(tail[:limit])])[0])
            out.truncated += 1
            self._skipping = True
        else:
            self._partial = tail
        return out

    def _frame_slow(self, region: bytes) -> Framed:
        limit = self.max_line_bytes
        out = Framed([])
        for raw in region.split(b"\n"):
            if len(raw) > limit:
                raw = raw[:limit]
                out.truncated += 1
            line = _decode(raw)
            out.lines.append(line[:-1] if line.endswith("\r") else line)
        return out

    def flush(self) -> Framed:
        """Return the partial line as a complete one (at rotation, deletion, quiet or shutdown)."""
        if self._skipping:
            self._skipping = False
            return Framed([])
        if not self._partial:
            return Framed([])
        raw, self._partial = self._partial, b""
        return Framed(_strip_cr([_decode(raw)]))
