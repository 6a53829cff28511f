"""The only code that opens, reads, seeks and stats a log file."""

from __future__ import annotations

import base64
import gzip
import os
from dataclasses import dataclass
from typing import Any

from logsidecar.logline import LineBatch
from logsidecar.tail.framing import Framer
from logsidecar.tail.generations import FileState
from logsidecar.tail.identity import HEAD_BYTES, FileId, head_digest
from logsidecar.tail.known import Fingerprint


def stat_path(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def read_head(path: str, length: int = HEAD_BYTES) -> bytes | None:
    """The first `length` bytes of a file (a .gz file: of its content), or None if unreadable."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read(length)
        with open(path, "rb") as f:
            return f.read(length)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None


@dataclass(frozen=True)
class Position:
    """Where a stream stands, as committed: JSON-able, enough to find the file again."""

    source: str
    path: str
    dev: int
    ino: int
    head_len: int
    head_digest: str
    offset: int  # just past the last complete line handed out
    skipping: bool = False  # inside an over-long line whose start was handed out
    draining: bool = False  # rotated away or deleted: read to its end, then closed
    mtime_ns: int = 0  # the file's mtime and size when last looked at (0: not known)
    size: int = 0
    siblings: tuple[FileState, ...] = ()  # seen empty: its rotated siblings then
    # A head shorter than HEAD_BYTES, itself (base64): a copytruncate copy made before we read
    # our last line holds less than the head, so only the bytes can tell it is ours
    short_head: str = ""
    generation: bool = False  # an unseen rotated generation being read (its lines are counted)
    after: tuple[int, ...] = ()  # (dev, ino) of the stream read before this one, if any

    @property
    def head_bytes(self) -> bytes:
        return base64.b64decode(self.short_head) if self.short_head else b""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Position:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["after"] = tuple(int(n) for n in fields.get("after", ()))
        fields["siblings"] = tuple(
            (int(d), int(i), int(m), int(n)) for d, i, m, n in fields.get("siblings", ())
        )
        return cls(**fields)

    @property
    def fid(self) -> FileId:
        return FileId(self.dev, self.ino)


class FileStream:
    """One open file of one source, read from `offset` on, framed into lines."""

    def __init__(
        self,
        path: str,
        source: str,
        fd: int,
        fid: FileId,
        offset: int,
        framer: Framer,
        gz: gzip.GzipFile | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self._fd: int | None = fd
        self._gz = gz
        self.fid = fid
        self.offset = offset
        self.framer = framer
        self.draining = False
        self.last_data = 0.0  # monotonic time of the last bytes read
        self.head = b""
        self._mtime_ns = 0
        self.seen_mtime_ns = 0  # the file's mtime and size at the last fstat
        self.seen_size = 0
        self.at_eof = False  # the last read reached the end of the file (not just its budget)
        # The tailer's bookkeeping: whether this stream's identity is committed (it may be read),
        # whether it is a rotated generation nobody read, and the stream to read to its end first.
        self.durable = True
        self.generation = False
        self.after: FileStream | None = None
        # when seen empty: its rotated siblings then (device, inode, mtime)
        self.siblings_then: frozenset[FileState] = frozenset()
        self._refresh_head()

    @classmethod
    def open(
        cls, path: str, source: str, framer: Framer, offset: int | None = 0
    ) -> FileStream | None:
        """Open `path` at `offset` (None: at its end). A .gz file is read decompressed."""
        stream, _ = cls.open_or_error(path, source, framer, offset)
        return stream

    @classmethod
    def open_or_error(
        cls, path: str, source: str, framer: Framer, offset: int | None = 0
    ) -> tuple[FileStream | None, OSError | None]:
        """Like open(), with the reason when the file could not be opened."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            return None, exc
        st = os.fstat(fd)
        gz = None
        if path.endswith(".gz"):
            # a rotated copy: it no longer changes; read through our descriptor, so it is the
            # file we opened even if the name is reused
            gz = gzip.GzipFile(fileobj=open(fd, "rb", closefd=False), mode="rb")  # noqa: SIM115
        start = st.st_size if offset is None and gz is None else (offset or 0)
        try:
            if gz is not None:
                gz.seek(start)
            elif start:
                os.lseek(fd, start, os.SEEK_SET)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            if gz is not None:
                gz.close()
            os.close(fd)
            return None, exc if isinstance(exc, OSError) else OSError(str(exc))
        stream = cls(path, source, fd, FileId.of(st), start, framer, gz)
        stream.seen_mtime_ns, stream.seen_size = st.st_mtime_ns, st.st_size
        return stream, None

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def line_offset(self) -> int:
        """Offset just past the last complete line handed out."""
        return self.offset - self.framer.pending

    def position(self) -> Position:
        return Position(
            self.source,
            self.path,
            self.fid.dev,
            self.fid.ino,
            len(self.head),
            head_digest(self.head),
            self.line_offset,
            self.framer.skipping,
            self.draining,
            self.seen_mtime_ns,
            self.seen_size,
            tuple(sorted(self.siblings_then)) if not self.head else (),
            base64.b64encode(self.head).decode() if 0 < len(self.head) < HEAD_BYTES else "",
            self.generation,
            (self.after.fid.dev, self.after.fid.ino)
            if self.after and not self.after.closed
            else (),
        )

    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.fid, len(self.head), head_digest(self.head))

    def _pread_head(self, length: int) -> bytes:
        if self._fd is None:
            return b""
        if self._gz is not None:
            return self.head  # a compressed copy does not change under us
        try:
            return os.pread(self._fd, length, 0)
        except OSError:
            return b""

    def refresh_head(self) -> None:
        """Take the file's head again while it is shorter than HEAD_BYTES (not read yet)."""
        self._refresh_head()

    def _refresh_head(self) -> None:
        if len(self.head) < HEAD_BYTES:
            if self._gz is not None:
                self.head = read_head(self.path) or b""
            else:
                self.head = self._pread_head(HEAD_BYTES)

    def head_intact(self) -> bool:
        """Whether the file still starts with the bytes we saw (False after copytruncate)."""
        return not self.head or self._pread_head(len(self.head)) == self.head

    def size(self) -> int:
        if self._fd is None or self._gz is not None:
            return self.offset
        try:
            return os.fstat(self._fd).st_size
        except OSError:
            return self.offset

    def changed(self) -> tuple[int, bool]:
        """The file's size, and whether it was written since we last looked (by its mtime):
        a file rewritten to exactly the size we had read is caught by the latter."""
        if self._fd is None or self._gz is not None:
            return self.offset, False
        try:
            st = os.fstat(self._fd)
        except OSError:
            return self.offset, False
        written = st.st_mtime_ns != self._mtime_ns
        self._mtime_ns = self.seen_mtime_ns = st.st_mtime_ns
        self.seen_size = st.st_size
        return st.st_size, written

    def read(self, budget: int, block: int) -> LineBatch | None:
        """Read up to `budget` bytes in blocks of `block`; None when nothing was read."""
        if self._fd is None:
            return None
        chunks = []
        total = 0
        while total < budget:
            want = min(block, budget - total)
            data = self._read_block(want)
            if not data:
                break
            chunks.append(data)
            total += len(data)
            if len(data) < want:
                break
        self.at_eof = total < budget
        if not total:
            return None
        self.offset += total
        if len(self.head) < HEAD_BYTES:
            self._refresh_head()
        framed = self.framer.feed(b"".join(chunks) if len(chunks) > 1 else chunks[0])
        return LineBatch(self.source, self.path, framed.lines, total, framed.truncated)

    def _read_block(self, want: int) -> bytes:
        if self._gz is None:
            assert self._fd is not None
            return os.read(self._fd, want)
        try:
            return self._gz.read(want)
        except (OSError, EOFError):  # cut short (still being compressed) or corrupt: its end
            return b""

    def flush(self) -> LineBatch | None:
        """Hand out the partial last line, if any, as a complete one."""
        framed = self.framer.flush()
        if not framed.lines:
            return None
        return LineBatch(self.source, self.path, framed.lines, 0, framed.truncated)

    def rewind(self, framer: Framer) -> None:
        """After a truncation: read the file again from its start, with a fresh framer."""
        if self._fd is not None:
            os.lseek(self._fd, 0, os.SEEK_SET)
        self.offset = 0
        self.framer = framer
        self.head = b""
        self._refresh_head()

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
            self._gz = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
