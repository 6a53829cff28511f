"""The map of open streams: discovery, reading, and what to do at EOF.

Streams are known by (source, device, inode), not by path. `poll()` re-evaluates the globs,
reads every stream up to a byte budget, and decides at EOF what happened to each file:

- grown: read on;
- truncated in place, or its head replaced (copytruncate): the bytes we had not read yet are read
  from the rotated copy when one starts with the same head, then the file is read again from 0;
- renamed: followed to its new name — still a live stream when the new name matches the globs,
  otherwise drained (kept open and read for `rotate_wait` after its last byte, then closed);
- deleted: drained likewise.

`positions()` returns where every stream stands (at line boundaries), and a Tailer built with
`restore=` those positions finds each file again — at its path, renamed in its directory, or as a
rotated copy — and continues from there, so rotations that happened while it was down are read
to their end.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from logsidecar.clock import Clock
from logsidecar.logline import LineBatch
from logsidecar.tail.discovery import expand, watch_root
from logsidecar.tail.framing import Framer
from logsidecar.tail.globs import selection
from logsidecar.tail.identity import Change, FileId, classify, head_digest
from logsidecar.tail.siblings import find_copy, find_renamed
from logsidecar.tail.stream import FileStream, Position, read_head, stat_path


@dataclass(frozen=True)
class WatchSpec:
    """What one source reads: its globs, the exclusions, where to start in files found at start."""

    source: str
    paths: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    start_at: str = "beginning"

    def wants(self, path: str) -> bool:
        """Whether `path` is one of this source's files (by its globs and exclusions)."""
        return selection(self.paths, self.exclude).wants(path)


@dataclass
class TailStats:
    """Events since the last time the caller took them."""

    rotations: Counter[str] = field(default_factory=Counter)
    truncations: Counter[str] = field(default_factory=Counter)
    recovered: Counter[str] = field(default_factory=Counter)  # copies read after copytruncate
    lost: list[str] = field(default_factory=list)  # checkpointed files not found again

    def __bool__(self) -> bool:
        return bool(self.rotations or self.truncations or self.recovered or self.lost)


@dataclass(frozen=True)
class TailOptions:
    max_line_bytes: int = 65536
    block_bytes: int = 256 * 1024
    budget_bytes: int = 1024 * 1024  # per stream per poll, so one busy file cannot starve others
    poll_budget_bytes: int = 4 * 1024 * 1024  # per poll, so memory stays bounded with many files
    rotate_wait: float = 5.0  # keep reading a renamed-away or deleted file this long after EOF
    partial_timeout: float = 5.0  # hand out a partial last line after this much quiet


class Tailer:
    def __init__(
        self,
        specs: Sequence[WatchSpec],
        clock: Clock,
        options: TailOptions,
        restore: Sequence[Position] = (),
    ) -> None:
        self.specs = tuple(specs)
        self.clock = clock
        self.options = options
        self.streams: dict[tuple[str, FileId], FileStream] = {}
        self._paths: dict[tuple[str, str], FileStream] = {}  # live streams by (source, path)
        self.stats = TailStats()
        self._fresh = {spec.source for spec in self.specs}  # sources whose start_at applies
        self._turn = 0
        self._restore(restore)

    # -- set-up ------------------------------------------------------------------------------
    def _framer(self) -> Framer:
        return Framer(self.options.max_line_bytes)

    def _spec(self, source: str) -> WatchSpec | None:
        return next((s for s in self.specs if s.source == source), None)

    def _add(self, stream: FileStream, live: bool) -> None:
        stream.last_data = self.clock.monotonic()
        stream.draining = not live
        self.streams[(stream.source, stream.fid)] = stream
        if live:
            self._paths[(stream.source, stream.path)] = stream

    def _restore(self, positions: Sequence[Position]) -> None:
        # A file that was empty at the commit has no head to know it by, only its inode: it
        # comes last, so that it cannot take a file another position knows better.
        for pos in sorted(positions, key=lambda p: p.head_len == 0):
            spec = self._spec(pos.source)
            if spec is None or (pos.source, pos.fid) in self.streams:
                continue
            self._fresh.discard(pos.source)
            path = self._locate(pos)
            if path is None and pos.head_len:
                path = self._copy_of(pos)  # a copy is known by its head: never an empty one's
            if path is None:
                self.stats.lost.append(pos.path)
                continue
            framer = self._framer()
            framer.restore(b"", pos.skipping)
            stream = FileStream.open(path, pos.source, framer, pos.offset)
            if stream is None:
                self.stats.lost.append(pos.path)
                continue
            if stream.size() < pos.offset:  # truncated while we were down
                copy = self._copy_of(pos)
                if copy is not None:
                    self._open_copy(copy, pos.source, pos.offset, framer)
                stream.rewind(self._framer())
            self._add(stream, live=not pos.draining and spec.wants(path) and path == stream.path)

    def _locate(self, pos: Position) -> str | None:
        """The path that names the checkpointed file now, checked by identity and head."""
        candidates = [pos.path]
        renamed = find_renamed(os.path.dirname(pos.path) or ".", pos.fid)
        if renamed is not None and renamed != pos.path:
            candidates.append(renamed)
        for path in candidates:
            st = stat_path(path)
            if st is None or FileId.of(st) != pos.fid:
                continue
            head = read_head(path, pos.head_len)
            if (
                head is not None
                and len(head) == pos.head_len
                and head_digest(head) == pos.head_digest
            ):
                return path
        return None

    @staticmethod
    def _copy_of(pos: Position) -> str | None:
        """A rotated copy (copytruncate while we were down) holding the checkpointed bytes."""
        return find_copy(pos.path, pos.head_len, pos.head_digest, pos.fid, pos.offset - 1)

    def _open_copy(self, path: str, source: str, offset: int, framer: Framer) -> None:
        copy = FileStream.open(path, source, framer, offset)
        if copy is not None and (source, copy.fid) not in self.streams:
            self._add(copy, live=False)
            self.stats.recovered[source] += 1

    def set_specs(self, specs: Sequence[WatchSpec]) -> None:
        """New sources after a reload: streams of unchanged sources carry on where they were."""
        old = {spec.source: spec for spec in self.specs}
        self.specs = tuple(specs)
        keep = {spec.source for spec in self.specs if old.get(spec.source) == spec}
        for key, stream in list(self.streams.items()):
            if key[0] not in keep:
                self._close(stream)
        self._fresh |= {spec.source for spec in self.specs if spec.source not in old}

    def watch_roots(self) -> set[tuple[str, bool]]:
        return {watch_root(p) for spec in self.specs for p in spec.paths}

    # -- the poll ----------------------------------------------------------------------------
    def discover(self) -> None:
        fresh, self._fresh = self._fresh, set()
        for _ in range(2):  # a rename found frees its old path: look once more
            if not self._discover(fresh):
                break

    def _discover(self, fresh: set[str]) -> bool:
        renamed = False
        for spec in self.specs:
            for path in expand(spec.paths, spec.exclude):
                if (spec.source, path) in self._paths:
                    continue
                at_end = spec.source in fresh and spec.start_at == "end"
                stream = FileStream.open(path, spec.source, self._framer(), None if at_end else 0)
                if stream is None:
                    continue
                known = self.streams.get((spec.source, stream.fid))
                if known is not None:  # a file we read, renamed to a name the globs match
                    stream.close()
                    self._rename(known, path, live=True)
                    renamed = True
                    continue
                self._add(stream, live=True)
        return renamed

    def _rename(self, stream: FileStream, path: str, live: bool) -> None:
        if self._paths.get((stream.source, stream.path)) is stream:
            del self._paths[(stream.source, stream.path)]
        stream.path = path
        stream.draining = not live
        if live:
            self._paths[(stream.source, path)] = stream

    def poll(self, rescan: bool = True) -> tuple[list[LineBatch], bool]:
        """Read what is new. Returns the batches and whether there is more to do at once.

        `rescan=False` skips re-evaluating the globs (the loop rescans when a watch event woke
        it, after a poll that said there is more, and on a slow timer)."""
        if rescan:
            self.discover()
        batches: list[LineBatch] = []
        more = False
        now = self.clock.monotonic()
        streams = list(self.streams.values())
        if streams:  # start with another stream each time, so none waits behind the rest
            self._turn = (self._turn + 1) % len(streams)
            streams = streams[self._turn :] + streams[: self._turn]
        read = 0
        for stream in streams:
            if read >= self.options.poll_budget_bytes:
                more = True
                break
            size, written = stream.changed()  # idle, a stream costs this fstat and one stat
            if stream.draining or written or size != stream.offset:
                if not stream.draining and (size < stream.offset or not stream.head_intact()):
                    self._truncated(stream, batches)  # truncated, or replaced (copytruncate)
                    more = True
                    continue
                n = self._read(stream, batches, now)
                read += n
                if n >= self.options.budget_bytes:
                    more = True
                    continue
            if stream.draining:
                if now - stream.last_data >= self.options.rotate_wait:
                    self._flush(stream, batches)
                    self._close(stream)
                continue
            change = classify(stream.fid, stat_path(stream.path))
            if change in (Change.ROTATED, Change.DELETED):
                self._moved(stream)
                more = True
            elif stream.framer.pending and now - stream.last_data >= self.options.partial_timeout:
                self._flush(stream, batches)
        return batches, more

    def _moved(self, stream: FileStream) -> None:
        """Our file's path names another file, or nothing: follow it, or drain it."""
        self.stats.rotations[stream.source] += 1
        spec = self._spec(stream.source)
        renamed = find_renamed(os.path.dirname(stream.path) or ".", stream.fid)
        live = renamed is not None and spec is not None and spec.wants(renamed)
        self._rename(stream, renamed or stream.path, live)

    def _truncated(self, stream: FileStream, batches: list[LineBatch]) -> None:
        self.stats.truncations[stream.source] += 1
        digest = head_digest(stream.head)
        copy = find_copy(stream.path, len(stream.head), digest, stream.fid, stream.offset)
        if copy is not None:
            self._open_copy(copy, stream.source, stream.offset, stream.framer)
        elif stream.at_eof:
            self._flush(stream, batches)  # the file ended in that unfinished line
        # else: we had read only part of a line when its file lost it, and no copy holds the
        # rest; that fragment was never a line, so it is dropped rather than counted
        stream.rewind(self._framer())

    def _read(self, stream: FileStream, batches: list[LineBatch], now: float) -> int:
        """Read one stream up to its budget; returns the bytes read."""
        batch = stream.read(self.options.budget_bytes, self.options.block_bytes)
        if batch is None:
            return 0
        stream.last_data = now
        batches.append(batch)
        return batch.nbytes

    @staticmethod
    def _flush(stream: FileStream, batches: list[LineBatch]) -> None:
        batch = stream.flush()
        if batch is not None:
            batches.append(batch)

    def _close(self, stream: FileStream) -> None:
        stream.close()
        self.streams.pop((stream.source, stream.fid), None)
        if self._paths.get((stream.source, stream.path)) is stream:
            del self._paths[(stream.source, stream.path)]

    # -- state -------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        """Where every stream stands: committed together with what its lines produced."""
        return [stream.position() for stream in self.streams.values()]

    def drain_all(self) -> list[LineBatch]:
        """At shutdown: read every file to its end and hand out partial lines."""
        batches: list[LineBatch] = []
        for _ in range(1000):  # bounded: a writer that never stops must not hold shutdown
            new, more = self.poll()
            batches.extend(new)
            if not more:
                break
        for stream in self.streams.values():
            self._flush(stream, batches)
        return batches

    def lag(self) -> dict[str, int]:
        """Bytes written and not yet read, per open path."""
        return {s.path: max(0, s.size() - s.offset) for s in self.streams.values()}

    def take_stats(self) -> TailStats:
        stats, self.stats = self.stats, TailStats()
        return stats

    def close(self) -> None:
        for stream in list(self.streams.values()):
            self._close(stream)
