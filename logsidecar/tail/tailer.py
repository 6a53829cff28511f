"""The path -> stream map: discovery, reading, and what to do at EOF.

`poll()` is called by the processing loop whenever it wakes. It re-evaluates the globs, reads
every stream up to a byte budget, and classifies each stream that reached EOF: a truncated file is
read again from 0, a rotated or deleted file is drained and kept open for `rotate_wait` seconds
(a writer may still append to it) before it is closed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from logsidecar.clock import Clock
from logsidecar.logline import LineBatch
from logsidecar.tail.discovery import expand, watch_root
from logsidecar.tail.identity import Change
from logsidecar.tail.stream import FileStream


@dataclass(frozen=True)
class WatchSpec:
    """What one source reads: its globs, the exclusions, where to start in files found at start."""

    source: str
    paths: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    start_at: str = "beginning"


@dataclass
class TailStats:
    """Events since the last time the caller took them."""

    rotations: Counter[str] = field(default_factory=Counter)
    truncations: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class TailOptions:
    max_line_bytes: int = 65536
    block_bytes: int = 256 * 1024
    budget_bytes: int = 4 * 1024 * 1024  # per stream per poll, so one busy file cannot starve
    rotate_wait: float = 5.0  # keep reading a renamed-away or deleted file this long after EOF
    partial_timeout: float = 5.0  # hand out a partial last line after this much quiet


class Tailer:
    def __init__(self, specs: Sequence[WatchSpec], clock: Clock, options: TailOptions) -> None:
        self.specs = tuple(specs)
        self.clock = clock
        self.options = options
        self.streams: dict[tuple[str, str], FileStream] = {}  # (source, path) -> live stream
        self.draining: list[FileStream] = []  # rotated away or deleted, read until quiet
        self.stats = TailStats()
        self._fresh = {spec.source for spec in self.specs}  # sources whose start_at applies

    def set_specs(self, specs: Sequence[WatchSpec]) -> None:
        """New sources after a reload: streams of unchanged sources carry on where they were."""
        old = {spec.source: spec for spec in self.specs}
        self.specs = tuple(specs)
        keep = {spec.source for spec in self.specs if old.get(spec.source) == spec}
        for key, stream in list(self.streams.items()):
            if key[0] not in keep:
                stream.close()
                del self.streams[key]
        self._fresh = {spec.source for spec in self.specs if spec.source not in old}

    def watch_roots(self) -> set[tuple[str, bool]]:
        return {watch_root(p) for spec in self.specs for p in spec.paths}

    def discover(self) -> None:
        fresh, self._fresh = self._fresh, set()
        for spec in self.specs:
            for path in expand(spec.paths, spec.exclude):
                key = (spec.source, path)
                if key in self.streams:
                    continue
                at_end = spec.source in fresh and spec.start_at == "end"
                stream = FileStream.open(path, spec.source, self.options.max_line_bytes, at_end)
                if stream is not None:
                    stream.last_data = self.clock.monotonic()
                    self.streams[key] = stream

    def poll(self) -> tuple[list[LineBatch], bool]:
        """Read what is new. Returns the batches and whether a budget ran out (more to read)."""
        self.discover()
        batches: list[LineBatch] = []
        more = False
        now = self.clock.monotonic()
        opts = self.options
        for stream in self.draining:
            more |= self._read(stream, batches, now)
        for key, stream in list(self.streams.items()):
            if self._read(stream, batches, now):
                more = True
                continue
            change = stream.check()
            if change is Change.GROWN:
                more = True
            elif change is Change.TRUNCATED:
                self._flush(stream, batches)
                stream.rewind()
                self.stats.truncations[stream.source] += 1
                more = True
            elif change in (Change.ROTATED, Change.DELETED):
                del self.streams[key]
                self.draining.append(stream)
                if change is Change.ROTATED:
                    self.stats.rotations[stream.source] += 1
                    more = True  # the new file at the path is picked up at once
            elif stream.framer.pending and now - stream.last_data >= opts.partial_timeout:
                self._flush(stream, batches)
        for stream in list(self.draining):
            if now - stream.last_data >= opts.rotate_wait:
                self._flush(stream, batches)
                stream.close()
                self.draining.remove(stream)
        return batches, more

    def _read(self, stream: FileStream, batches: list[LineBatch], now: float) -> bool:
        opts = self.options
        batch = stream.read(opts.budget_bytes, opts.block_bytes)
        if batch is None:
            return False
        stream.last_data = now
        if batch.lines or batch.nbytes:
            batches.append(batch)
        return batch.nbytes >= opts.budget_bytes

    @staticmethod
    def _flush(stream: FileStream, batches: list[LineBatch]) -> None:
        batch = stream.flush()
        if batch is not None:
            batches.append(batch)

    def drain_all(self) -> list[LineBatch]:
        """At shutdown: read every file to its end and hand out partial lines."""
        batches: list[LineBatch] = []
        for _ in range(1000):  # bounded: a writer that never stops must not hold shutdown
            new, more = self.poll()
            batches.extend(new)
            if not more:
                break
        for stream in [*self.streams.values(), *self.draining]:
            self._flush(stream, batches)
        return batches

    def lag(self) -> dict[str, int]:
        """Bytes written and not yet read, per open path."""
        out: dict[str, int] = {}
        for stream in [*self.streams.values(), *self.draining]:
            out[stream.path] = max(0, stream.size() - stream.offset)
        return out

    def take_stats(self) -> TailStats:
        stats, self.stats = self.stats, TailStats()
        return stats

    def close(self) -> None:
        for stream in [*self.streams.values(), *self.draining]:
            stream.close()
        self.streams.clear()
        self.draining.clear()
