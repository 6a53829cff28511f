"""Replay: run rules over log files from their start and render the metrics they produce.

The same path as `run`: files are cut into lines by the tailer's framer, fed through
`pipeline.feed` (engine, then metric store) and rendered by the collector behind /metrics. Each
file is read by the source whose `paths` match it, by full path or else by file name; with one
source, that source reads everything; `source=` forces one. `.gz` files are read decompressed.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import CollectorRegistry

from logsidecar import pipeline
from logsidecar.errors import LogsidecarError
from logsidecar.logline import LineBatch
from logsidecar.metrics.collector import SnapshotCollector
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore, Snapshot
from logsidecar.progress import Progress
from logsidecar.rules.engine import Engine
from logsidecar.rules.model import Source
from logsidecar.rules.ruleset import RuleSet
from logsidecar.tail.framing import Framer
from logsidecar.tail.globs import selection

BLOCK_BYTES = 256 * 1024
Format = Literal["prometheus", "openmetrics", "json"]
# self-metrics that mean something for a replay (not lag, rotations or open files)
REPLAY_SELF_METRICS = frozenset(
    {
        "logsidecar_lines_total",
        "logsidecar_bytes_total",
        "logsidecar_parse_errors_total",
        "logsidecar_timestamp_errors_total",
        "logsidecar_multiline_lines_dropped_total",
        "logsidecar_lines_truncated_total",
        "logsidecar_rule_matches_total",
        "logsidecar_value_errors_total",
        "logsidecar_series_overflow_total",
    }
)


class ReplayError(LogsidecarError):
    """A file could not be read, or no source could be chosen for it."""


@dataclass
class Replay:
    """The outcome: the store's final state, and which source read which file."""

    snapshot: Snapshot
    files: dict[str, str] = field(default_factory=dict)  # path -> source


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
    engine = Engine(ruleset, idle_by_event_time=True)
    store = MetricStore(rule_metric_defs(ruleset))
    latest: float | None = None  # the latest event time read from a timestamp field
    for path, name in chosen.items():
        framer = Framer(max_line_bytes)
        with _open(path) as handle:
            try:
                while block := handle.read(block_bytes):
                    framed = framer.feed(block)
                    batch = LineBatch(name, path, framed.lines, len(block), framed.truncated)
                    latest = _later(latest, pipeline.feed(engine, store, [batch], clock))
                    if progress is not None:
                        progress.advance(len(block), path)
            except (OSError, EOFError) as exc:
                raise ReplayError(f"cannot read {path}: {exc}") from None
        tail = framer.flush()
        if tail.lines:
            batch = LineBatch(name, path, tail.lines, 0, tail.truncated)
            latest = _later(latest, pipeline.feed(engine, store, [batch], clock))
    pipeline.finish(engine, store, clock)
    if latest is not None:
        store.expire(latest)  # series idle at the end of the log, by the log's own clock
    if progress is not None:
        progress.close()
    return Replay(store.snapshot(), chosen)


def _later(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def _shown(snapshot: Snapshot) -> set[str]:
    return {
        name
        for name in snapshot.defs
        if not name.startswith("logsidecar_")
        or (name in REPLAY_SELF_METRICS and snapshot.series.get(name))
    }


def render(result: Replay, fmt: Format = "prometheus") -> str:
    """The metrics as /metrics would show them (without build info; series sorted by their
    labels, so that the output does not depend on how the input was cut into batches), or
    JSON."""
    shown = _shown(result.snapshot)
    if fmt == "json":
        import json

        return json.dumps(as_json(result, shown), indent=2, sort_keys=True) + "\n"
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        SnapshotCollector(
            lambda: result.snapshot, build_info=False, include=shown.__contains__, ordered=True
        )
    )
    if fmt == "openmetrics":
        text: bytes = generate_openmetrics(registry)  # type: ignore[no-untyped-call]
        return text.decode()
    return generate_latest(registry).decode()


def as_json(result: Replay, shown: set[str]) -> dict[str, Any]:
    snap = result.snapshot
    metrics: list[dict[str, Any]] = []
    for name, metric in snap.defs.items():
        if name not in shown:
            continue
        samples = []
        for labels, value in sorted(snap.series.get(name, {}).items()):
            entry: dict[str, Any] = {"labels": dict(zip(metric.labels, labels, strict=True))}
            if isinstance(value, float | int):
                entry["value"] = value
            else:
                entry["buckets"] = dict(
                    zip([*map(str, metric.buckets), "+Inf"], _cumulative(value.counts), strict=True)
                )
                entry["sum"], entry["count"] = value.total, value.count
            samples.append(entry)
        metrics.append({"name": name, "type": metric.kind, "help": metric.help, "samples": samples})

    def by_label(metric: str) -> dict[str, float]:
        return {labels[0]: value for labels, value in snap.series.get(metric, {}).items()}  # type: ignore[misc]

    return {
        "files": result.files,
        "rules": by_label("logsidecar_rule_matches_total"),
        "sources": {
            "lines": by_label("logsidecar_lines_total"),
            "parse_errors": by_label("logsidecar_parse_errors_total"),
        },
        "metrics": metrics,
    }


def _cumulative(counts: list[int]) -> list[int]:
    out, total = [], 0
    for n in counts:
        total += n
        out.append(total)
    return out


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
