"""Replay: run rules over log files from their start and render the metrics they produce, and
every detector transition.

The same path as `run`: files are cut into lines by the tailer's framer, fed through
`pipeline.feed` (engine, then metric store, then detectors) and rendered by the collector behind
/metrics. Each file is read by the source whose `paths` match it, by full path or else by file
name; with one source, that source reads everything; `source=` forces one. `.gz` files are read
decompressed. Detectors run on event time: a source's `timestamp` when it has one (yesterday's
log replays with yesterday's windows), evaluated every second of it as a running sidecar would.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from logsidecar import pipeline
from logsidecar.detect.alerts import AnomalySnapshot, Transition
from logsidecar.detect.bank import Detectors
from logsidecar.errors import LogsidecarError
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore, Snapshot
from logsidecar.progress import Progress
from logsidecar.replay_render import Format, render
from logsidecar.rules.engine import Engine
from logsidecar.rules.model import Source
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.taps import Tap, TapBatch
from logsidecar.tail.framing import Framer
from logsidecar.tail.globs import selection

__all__ = ["Format", "Replay", "ReplayDetectors", "ReplayError", "render", "replay"]

BLOCK_BYTES = 256 * 1024
EVALUATION_SECONDS = 1.0  # detectors are evaluated every second of event time, as `run` does


class ReplayError(LogsidecarError):
    """A file could not be read, or no source could be chosen for it."""


@dataclass
class Replay:
    """The outcome: the store's final state, and which source read which file."""

    snapshot: Snapshot
    files: dict[str, str] = field(default_factory=dict)  # path -> source
    transitions: list[Transition] = field(default_factory=list)
    anomalies: AnomalySnapshot = field(default_factory=AnomalySnapshot)


def matching_sources(path: str, sources: Sequence[Source]) -> list[Source]:
    """The sources that would tail `path` where it is (by the tailer's own glob matching); if
    none would, those one of whose globs ends in a pattern its file name matches. Exclusions
    apply either way."""
    chosen = [s for s in sources if selection(s.paths, s.exclude).wants(path)]
    return chosen or [s for s in sources if selection(s.paths, s.exclude).wants_name(path)]


def pick_source(path: str, sources: Sequence[Source], forced: str | None = None) -> Source:
    """The source that reads `path` (see the module docstring). Raises ReplayError."""
    if forced is not None:
        for source in sources:
            if source.name == forced:
                return source
        names = ", ".join(s.name for s in sources)
        raise ReplayError(f"no source named {forced!r} (sources: {names})")
    if len(sources) == 1:
        return sources[0]
    found = matching_sources(path, sources)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ReplayError(f"{path}: no source's paths match it; name one with --source")
    names = ", ".join(s.name for s in found)
    raise ReplayError(f"{path}: several sources match it ({names}); name one with --source")


def _open(path: str) -> BinaryIO:
    try:
        if path.endswith(".gz"):
            return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
        return open(path, "rb")
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror or exc}") from None


def replay(
    ruleset: RuleSet,
    paths: Sequence[str],
    *,
    source: str | None = None,
    now: float | None = None,
    max_line_bytes: int = 65536,
    block_bytes: int = BLOCK_BYTES,
    progress: Progress | None = None,
) -> Replay:
    """Read `paths` from their start through the rules. `now` is the arrival time given to
    events without a timestamp of their own (default: the wall clock). Series with
    `expire_after` are expired against the latest event timestamp read, if any."""
    chosen = {path: pick_source(path, ruleset.sources, source).name for path in paths}
    clock = time.time() if now is None else now
    engine = Engine(ruleset, idle_by_event_time=True, event_time=True)
    store = MetricStore(rule_metric_defs(ruleset))
    detectors = ReplayDetectors(ruleset)
    latest: float | None = None  # the latest event time read from a timestamp field

    def feed(batch: LineBatch) -> float | None:
        taps: dict[Tap, TapBatch] = {}
        found = pipeline.feed(engine, store, [batch], clock, taps=taps)
        detectors.feed(taps)
        return found

    for path, name in chosen.items():
        framer = Framer(max_line_bytes)
        with _open(path) as handle:
            try:
                while block := handle.read(block_bytes):
                    framed = framer.feed(block)
                    batch = LineBatch(name, path, framed.lines, len(block), framed.truncated)
                    latest = _later(latest, feed(batch))
                    if progress is not None:
                        progress.advance(len(block), path)
            except (OSError, EOFError) as exc:
                raise ReplayError(f"cannot read {path}: {exc}") from None
        tail = framer.flush()
        if tail.lines:
            latest = _later(latest, feed(LineBatch(name, path, tail.lines, 0, tail.truncated)))
    taps: dict[Tap, TapBatch] = {}
    pipeline.finish(engine, store, clock, taps=taps)
    detectors.feed(taps)
    detectors.finish(clock if latest is None else latest)  # the state at the end of the log
    if latest is not None:
        store.expire(latest)  # series idle at the end of the log, by the log's own clock
    if progress is not None:
        progress.close()
    return Replay(store.snapshot(), chosen, detectors.transitions, detectors.snapshot())


class ReplayDetectors:
    """The detectors of a replay: they start at the first time they are fed (the log's own
    time, not the wall clock's) and are evaluated every `EVALUATION_SECONDS` of it."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.bank: Detectors | None = None
        self.transitions: list[Transition] = []

    def _started(self, at: float) -> Detectors:
        if self.bank is None:
            self.bank = Detectors(self.ruleset.detectors, at, interval=EVALUATION_SECONDS)
        return self.bank

    def feed(self, taps: dict[Tap, TapBatch]) -> None:
        times = [t for batch in taps.values() for t, _ in batch.counts]
        if times:
            self.transitions.extend(self._started(min(times)).feed(taps))

    def finish(self, end: float) -> None:
        self.transitions.extend(self._started(end).evaluate(end))

    def snapshot(self) -> AnomalySnapshot:
        return self.bank.snapshot() if self.bank is not None else AnomalySnapshot()


def _later(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def run_replay(
    ruleset: RuleSet,
    paths: Sequence[str],
    out: TextIO,
    err: TextIO,
    *,
    source: str | None = None,
    fmt: Format = "prometheus",
    max_line_bytes: int = 65536,
    progress: bool | None = None,
) -> None:
    """The `replay` command: replay, then print. Raises ReplayError."""
    total = sum(Path(p).stat().st_size for p in paths if Path(p).is_file())
    bar = Progress.maybe(total, err, progress)
    result = replay(ruleset, paths, source=source, max_line_bytes=max_line_bytes, progress=bar)
    out.write(render(result, fmt))
