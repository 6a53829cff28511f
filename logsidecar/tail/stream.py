"""The only code that opens, reads, seeks and stats a log file."""

from __future__ import annotations

import os

from logsidecar.logline import LineBatch
from logsidecar.tail.framing import Framer
from logsidecar.tail.identity import Change, FileId, classify


def stat_path(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


class FileStream:
    """One open file of one source, read from `offset` on, framed into lines."""

    def __init__(
        self, path: str, source: str, fd: int, fid: FileId, offset: int, max_line_bytes: int
    ) -> None:
        self.path = path
        self.source = source
        self._fd: int | None = fd
        self.fid = fid
        self.offset = offset
        self.framer = Framer(max_line_bytes)
        self.last_data = 0.0  # monotonic time of the last bytes read

    @classmethod
    def open(
        cls, path: str, source: str, max_line_bytes: int, at_end: bool = False
    ) -> FileStream | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        st = os.fstat(fd)
        offset = st.st_size if at_end else 0
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        return cls(path, source, fd, FileId.of(st), offset, max_line_bytes)

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def line_offset(self) -> int:
        """Offset just past the last complete line handed out."""
        return self.offset - self.framer.pending

    def size(self) -> int:
        if self._fd is None:
            return self.offset
        return os.fstat(self._fd).st_size

    def read(self, budget: int, block: int) -> LineBatch | None:
        """Read up to `budget` bytes in blocks of `block`; None when nothing was read."""
        if self._fd is None:
            return None
        chunks = []
        total = 0
        while total < budget:
            data = os.read(self._fd, min(block, budget - total))
            if not data:
                break
            chunks.append(data)
            total += len(data)
            if len(data) < block:
                break
        if not total:
            return None
        self.offset += total
        framed = self.framer.feed(b"".join(chunks) if len(chunks) > 1 else chunks[0])
        return LineBatch(self.source, self.path, framed.lines, total, framed.truncated)

    def flush(self) -> LineBatch | None:
        """Hand out the partial last line, if any, as a complete one."""
        framed = self.framer.flush()
        if not framed.lines:
            return None
        return LineBatch(self.source, self.path, framed.lines, 0, framed.truncated)

    def check(self) -> Change:
        """Classify, at EOF, what happened to the file."""
        if self._fd is None:
            return Change.DELETED
        return classify(self.fid, self.offset, self.size(), stat_path(self.path))

    def rewind(self) -> None:
        """After a truncation: read the file again from its start."""
        if self._fd is not None:
            os.lseek(self._fd, 0, os.SEEK_SET)
        self.offset = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
