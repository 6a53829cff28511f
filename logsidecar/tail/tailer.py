"""The map of open streams: discovery, reading, and what to do at EOF.

Streams are known by (source, device, inode), not by path. `poll()` re-evaluates the globs,
reads every stream up to a byte budget, and decides at EOF what happened to each file:

- grown: read on;
- truncated in place, or its head replaced (copytruncate): the bytes we had not read yet are read
  from the rotated copy when one starts with the same head, then the file is read again from 0;
- renamed: followed to its new name — still a live stream when the new name matches the globs,
  otherwise drained (kept open and read for `rotate_wait` after its last byte, then closed);
- deleted: drained likewise.

Rotations faster than our looks leave generations nobody read: they are found and read, oldest
first, before the live file goes on (tail/rotation.py).

With `durable_first`, a file found is not read before its identity is committed: `to_state()`
includes it at its starting offset and `committed()` makes it readable. Restored positions are
durable; everything else opened (new files, copies, generations) waits for the next commit.

`to_state()` is what a restart needs; `restore()` of it finds each file again — at its path,
renamed in its directory, or as a rotated copy — continues from there, and reads the generations
rotated away while we were down (tail/restore.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from logsidecar.clock import Clock
from logsidecar.logline import LineBatch
from logsidecar.tail import rotation
from logsidecar.tail.discovery import expand, watch_root
from logsidecar.tail.framing import Framer
from logsidecar.tail.globs import selection
from logsidecar.tail.identity import Change, FileId, classify
from logsidecar.tail.known import RecentlyClosed
from logsidecar.tail.options import OpenFailures, TailOptions, TailStats
from logsidecar.tail.restore import parse_section, restore_section, retry_unopened
from logsidecar.tail.siblings import sibling_ids
from logsidecar.tail.stream import FileStream, Position, stat_path

__all__ = ["TailOptions", "TailStats", "Tailer", "WatchSpec"]


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


class Tailer:
    def __init__(self, specs: Sequence[WatchSpec], clock: Clock, options: TailOptions) -> None:
        """No I/O here: `restore()` finds the checkpointed files, `poll()` the rest."""
        self.specs = tuple(specs)
        self.clock = clock
        self.options = options
        self.streams: dict[tuple[str, FileId], FileStream] = {}
        self._paths: dict[tuple[str, str], FileStream] = {}  # live streams by (source, path)
        self.stats = TailStats()
        self.fresh_sources = {spec.source for spec in self.specs}  # sources whose start_at applies
        self._turn = 0
        self.closed = RecentlyClosed()  # streams closed lately: their content was read
        self._successor: dict[tuple[str, str], FileStream] = {}  # a new file at a live path
        # reads after this stream (the last rotated generation found before it)
        self._included: list[FileStream] = []  # not durable yet, in the last to_state()
        self.open_failures = OpenFailures()
        self.unopened: list[Position] = []  # restored, found, but could not be opened yet

    # -- set-up ------------------------------------------------------------------------------
    def framer(self) -> Framer:
        return Framer(self.options.max_line_bytes)

    def spec_of(self, source: str) -> WatchSpec | None:
        return next((s for s in self.specs if s.source == source), None)

    def adopt(self, stream: FileStream, live: bool, durable: bool = False) -> None:
        """Start reading `stream`; with durable_first, only once a commit included it."""
        stream.last_data = self.clock.monotonic()
        stream.draining = not live
        stream.durable = durable or not self.options.durable_first
        self.streams[(stream.source, stream.fid)] = stream
        if live:
            self._paths[(stream.source, stream.path)] = stream
            if not stream.head:  # seen empty: a copy of it is a sibling that is not there yet
                stream.siblings_then = sibling_ids(stream.path)

    @staticmethod
    def check_state(section: Mapping[str, Any]) -> None:
        """Raise StateError when `section` could not be restored (no I/O, nothing changed)."""
        parse_section(section)

    def restore(self, section: Mapping[str, Any]) -> None:
        """Find the files of a `to_state()` section again (`{}`: none; the old form
        `{"positions": [...]}` is one) and the generations rotated away since."""
        restore_section(self, section)

    def read_next(self, source: str, live_path: str, last: FileStream | None) -> None:
        """The next file found at `live_path` is read after `last` (when that is not None)."""
        if last is not None:
            self._successor[(source, live_path)] = last

    def set_specs(self, specs: Sequence[WatchSpec]) -> None:
        """New sources after a reload: streams of unchanged sources carry on where they were."""
        old = {spec.source: spec for spec in self.specs}
        self.specs = tuple(specs)
        keep = {spec.source for spec in self.specs if old.get(spec.source) == spec}
        for key, stream in list(self.streams.items()):
            if key[0] not in keep:
                self._close(stream)
        self.fresh_sources |= {spec.source for spec in self.specs if spec.source not in old}

    def watch_roots(self) -> set[tuple[str, bool]]:
        return {watch_root(p) for spec in self.specs for p in spec.paths}

    # -- discovery ---------------------------------------------------------------------------
    def discover(self) -> None:
        fresh, self.fresh_sources = self.fresh_sources, set()
        self.open_failures.begin()
        retry_unopened(self)  # before the globs: such a file goes on from its offset, not 0
        for _ in range(2):  # a rename found frees its old path: look once more
            if not self._discover(fresh):
                break
        self.open_failures.end()

    def _discover(self, fresh: set[str]) -> bool:
        renamed = False
        for spec in self.specs:
            for path in expand(spec.paths, spec.exclude):
                if (spec.source, path) in self._paths:
                    continue
                at_end = spec.source in fresh and spec.start_at == "end"
                offset = None if at_end else 0
                stream, error = FileStream.open_or_error(path, spec.source, self.framer(), offset)
                if stream is None:
                    if error is not None:
                        self.open_failed(spec.source, path, error)
                    continue
                known = self.streams.get((spec.source, stream.fid))
                if known is not None:  # a file we read, renamed to a name the globs match
                    stream.close()
                    self.rename(known, path, live=True)
                    renamed = True
                    continue
                stream.after = self._successor.pop((spec.source, path), None)
                self.adopt(stream, live=True)
        return renamed

    def open_failed(self, source: str, path: str, error: OSError) -> None:
        self.open_failures.failed(source, path, error, self.stats)

    def rename(self, stream: FileStream, path: str, live: bool) -> None:
        if self._paths.get((stream.source, stream.path)) is stream:
            del self._paths[(stream.source, stream.path)]
        stream.path = path
        stream.draining = not live
        if live:
            self._paths[(stream.source, path)] = stream

    # -- the poll ----------------------------------------------------------------------------
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
        waiting: list[FileStream] = []
        for stream in streams:
            if read >= self.options.poll_budget_bytes:
                more = True
                break
            if not stream.durable:
                continue
            if stream.after is not None:
                if not (stream.after.closed or stream.after.at_eof):
                    waiting.append(stream)  # an older generation is read to its end first
                    continue
                stream.after = None
            seen_ns = stream.seen_mtime_ns
            size, written = stream.changed()  # idle, a stream costs this fstat and one stat
            if stream.draining or written or size != stream.offset:
                if not stream.draining and rotation.lost_content(self, stream, size, seen_ns):
                    rotation.truncated(self, stream, batches, seen_ns)
                    more = True
                    continue
                n = self._read(stream, batches, now)
                read += n
                if n >= self.options.budget_bytes:
                    more = True
                    continue
            if stream.draining:
                if now - stream.last_data >= self.options.rotate_wait:
                    self.flush(stream, batches)
                    self._close(stream)
                continue
            change = classify(stream.fid, stat_path(stream.path))
            if change in (Change.ROTATED, Change.DELETED):
                rotation.moved(self, stream)
                more = True
            elif stream.framer.pending and now - stream.last_data >= self.options.partial_timeout:
                self.flush(stream, batches)
        # one whose older generation was read to its end in this poll goes on at once
        return batches, more or any(s.after and (s.after.closed or s.after.at_eof) for s in waiting)

    def _read(self, stream: FileStream, batches: list[LineBatch], now: float) -> int:
        """Read one stream up to its budget; returns the bytes read."""
        batch = stream.read(self.options.budget_bytes, self.options.block_bytes)
        if batch is None:
            return 0
        stream.last_data = now
        self._hand_out(stream, batch, batches)
        return batch.nbytes

    def flush(self, stream: FileStream, batches: list[LineBatch]) -> None:
        batch = stream.flush()
        if batch is not None:
            self._hand_out(stream, batch, batches)

    def _hand_out(self, stream: FileStream, batch: LineBatch, batches: list[LineBatch]) -> None:
        if stream.generation:
            self.stats.generation_lines[stream.source] += len(batch.lines)
        batches.append(batch)

    def _close(self, stream: FileStream) -> None:
        self.closed.add(stream.fingerprint())
        stream.close()
        self.streams.pop((stream.source, stream.fid), None)
        if self._paths.get((stream.source, stream.path)) is stream:
            del self._paths[(stream.source, stream.path)]

    # -- state -------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        """Where every stream stands (those not durable yet: where they will start)."""
        return [stream.position() for stream in self.streams.values()]

    def to_state(self) -> dict[str, Any]:
        """A JSON-able section with all a restart needs. The streams not durable yet that it
        includes become readable when `committed()` says it was written."""
        self._included = [s for s in self.streams.values() if not s.durable]
        for stream in self._included:
            stream.refresh_head()  # it may have been written since it was found
        return {
            "positions": [p.to_json() for p in self.positions() + self.unopened],
            "closed": self.closed.to_json(),
        }

    def committed(self) -> None:
        """The last `to_state()` is durable: the streams it included may be read."""
        for stream in self._included:
            stream.durable = True
        self._included = []

    @property
    def awaiting_commit(self) -> bool:
        """Some stream is not read before a commit includes it: commit at once."""
        return any(not s.durable for s in self.streams.values())

    def drain_all(self) -> list[LineBatch]:
        """At shutdown: read every file to its end and hand out partial lines."""
        batches: list[LineBatch] = []
        for _ in range(1000):  # bounded: a writer that never stops must not hold shutdown
            new, more = self.poll()
            batches.extend(new)
            if not more:
                break
        for stream in self.streams.values():
            if stream.durable:
                self.flush(stream, batches)
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
